"""Run every benchmark, print one table and write JSON (`make bench`).

    .venv/bin/python -m bench.run [--quick] [--only card,intake] [--json PATH] [--strict]

Each measure is printed beside its raw baseline, measured in the same run (these machines
are noisy). `--quick` shortens the idle window to 10 s and uses fewer cards and jobs.
`--strict` exits 1 when a target is missed; otherwise a missed target is reported, not an
error. docs/benchmarks.md explains each measure and the last recorded run.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # `python bench/run.py`: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import card, duty, idle, intake, outbox, selection
from bench.common import ROOT, Context, Measure

BENCHMARKS: dict[str, Callable[[Context], list[Measure]]] = {
    "card": card.run,
    "intake": intake.run,
    "outbox": outbox.run,
    "selection": selection.run,
    "idle": idle.run,
    "duty": duty.run,
}
LIBRARIES = ("paho-mqtt", "Pillow", "pyusb", "structlog", "persist-queue", "gpiozero")
RESULTS = ROOT / "bench" / "results"


def command_output(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return (done.stdout or done.stderr).strip()


def machine(workdir: Path) -> dict[str, Any]:
    """What the numbers were measured on."""
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    total_kb = int(next(line for line in meminfo if line.startswith("MemTotal")).split()[1])
    disk = shutil.disk_usage(workdir)
    mount = command_output(["findmnt", "-n", "-o", "SOURCE,FSTYPE,OPTIONS", "-T", str(workdir)])
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return {
        "nproc": os.cpu_count(),
        "lscpu": command_output(["lscpu"]).splitlines()[:10],
        "memory_gb": round(total_kb / 2**20, 1),
        "disk": {"path": str(workdir), "mount": mount, "free_gb": round(disk.free / 2**30, 1)},
        "kernel": platform.release(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "mosquitto": command_output(["/usr/sbin/mosquitto", "-h"]).splitlines()[0:1],
        "libraries": versions,
    }


def number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    magnitude = abs(value)
    if float(value).is_integer():
        text = f"{int(value):,}"
    elif magnitude >= 1000:
        text = f"{value:,.0f}"
    elif magnitude >= 100:
        text = f"{value:.0f}"
    elif magnitude >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return f"{text} {unit}".strip()


def table(measures: list[Measure]) -> str:
    """The results as a Markdown table (readable in a terminal too)."""
    header = ("measure", "value", "raw baseline", "÷ baseline", "target", "result")
    rows = [header]
    for m in measures:
        verdict = {True: "met", False: "MISSED", None: ""}[m.met]
        baseline = f"{number(m.baseline, m.unit)} ({m.baseline_name})" if m.baseline_name else ""
        ratio = "-" if m.ratio is None else f"{m.ratio:.2f}"
        rows.append((m.name, number(m.value, m.unit), baseline, ratio, m.target, verdict))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) + " |"
        for row in rows
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs (about a minute)")
    parser.add_argument("--only", default="", help=f"comma-separated: {','.join(BENCHMARKS)}")
    parser.add_argument("--json", type=Path, default=RESULTS / "latest.json")
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args(argv)
    chosen = [name for name in args.only.split(",") if name] or list(BENCHMARKS)
    unknown = set(chosen) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")

    started = datetime.now(UTC)
    measures: list[Measure] = []
    timings: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="printstation-bench-") as tmp:
        ctx = Context(Path(tmp), quick=args.quick)
        info = machine(ctx.workdir)
        print(f"{info['nproc']} CPUs, {info['memory_gb']} GB, Python {info['python']}", end="")
        print(f", SQLite {info['sqlite']}; benchmarks: {', '.join(chosen)}", flush=True)
        for name in chosen:
            began = time.perf_counter()
            print(f"  {name} …", end="", flush=True)
            measures += BENCHMARKS[name](ctx)
            timings[name] = round(time.perf_counter() - began, 1)
            print(f" {timings[name]} s", flush=True)

    print()
    print(table(measures))
    missed = [m.name for m in measures if m.met is False]
    print(f"\n{len(missed)} target(s) missed" + (f": {', '.join(missed)}" if missed else ""))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "started": started.isoformat(timespec="seconds"),
        "quick": args.quick,
        "seconds": timings,
        "machine": info,
        "measures": [m.as_dict() for m in measures],
    }
    args.json.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    print(f"results: {args.json}")
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
