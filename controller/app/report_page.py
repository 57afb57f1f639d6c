"""`printstation blanks-report --html`: the blanks' books as a page to print and sign (the
daily reconciliation an office files): the lots' table, the spoiled blanks in custody, and lines
for the operator's and the supervisor's signatures."""

from __future__ import annotations

from html import escape
from typing import Any

STYLE = (
    "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
    "th,td{border:1px solid #444;padding:.3em .6em;text-align:right}"
    "th:nth-child(-n+2),td:nth-child(-n+2){text-align:left}"
    ".sign{margin-top:3em;display:flex;gap:6em}.sign div{border-top:1px solid #000;width:18em}"
)


def books_page(result: dict[str, Any], columns: tuple[str, ...], heading: str) -> str:
    """A self-contained HTML page (no NIK: jobs are named by their id)."""
    head = "".join(f"<th>{escape(c.replace('_', ' '))}</th>" for c in columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{escape(str(lot.get(c, '')))}</td>" for c in columns) + "</tr>"
        for lot in result["lots"]
    )
    custody = "".join(
        f"<li>{escape(at)} {escape(job_id)}: {escape(cause)}</li>"
        for at, job_id, cause in result.get("in_custody") or []
    )
    title = escape(f"Blanks: {heading}")
    return (
        f"<!DOCTYPE html><html lang='id'><head><meta charset='utf-8'><title>{title}</title>"
        f"<style>{STYLE}</style></head><body><h1>{title}</h1>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
        f"<h2>Spoiled blanks in custody: {len(result.get('in_custody') or [])}</h2>"
        f"<ul>{custody}</ul>"
        "<div class='sign'><div>Operator</div><div>Supervisor</div></div></body></html>"
    )
