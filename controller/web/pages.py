"""The pages (GET): the station at a glance, its live state, the report to print, the login."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from contract.commands import JobsResult
from contract.periods import report_window
from contract.vocabulary import CommandErrorCode, CommandName
from controller.web import words
from controller.web.daemon import Refused
from controller.web.view import render, signed_in

Ask = Callable[..., Awaitable[dict[str, Any]]]  # a command to the daemon in the session
Values = Callable[[Ask, Request], Awaitable[dict[str, Any]]]  # a page's values


async def login_form(request: Request) -> Response:
    return render(request, "login.html")


async def home(request: Request) -> Response:
    return await _signed_in_page(request, "home.html", _home_values)


async def state(request: Request) -> Response:
    return await _signed_in_page(request, "state.html", _state_values)


async def report(request: Request) -> Response:
    zone = request.app.state.zone
    period = request.query_params.get("periode") or datetime.now(zone).date().isoformat()

    async def values(ask: Ask, request: Request) -> dict[str, Any]:
        try:
            bounds = report_window(period, zone)
        except ValueError:
            return {"period": period, "bad_period": True}
        books = await ask(CommandName.BLANKS_REPORT, bounds)
        return {
            "period": period,
            "books": books,
            "columns": words.BOOK_COLUMNS,
            "causes": words.CAUSES,
            "consumable_names": words.CONSUMABLES,
        }

    return await _signed_in_page(request, "report.html", values)


async def _signed_in_page(request: Request, template: str, values: Values) -> Response:
    """`template` with `values` asked of the daemon in the person's session; to the login
    when there is no session or the daemon ended it."""
    token = signed_in(request)
    if token is None:
        return RedirectResponse("/masuk", status_code=303)
    daemon = request.app.state.daemon

    async def ask(cmd: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
        return await daemon.ask(cmd, args, token)

    try:
        found = await values(ask, request)
    except Refused as refusal:
        if refusal.code == CommandErrorCode.NOT_AUTHORIZED:  # the daemon ended the session
            request.session.clear()
            if request.headers.get("HX-Request"):  # the polled panel: the whole page goes
                return Response(headers={"HX-Redirect": "/masuk"})
            return RedirectResponse("/masuk", status_code=303)
        return render(request, "unavailable.html", status_code=503, code=refusal.code)
    return render(request, template, **found)


async def _state_values(ask: Ask, request: Request) -> dict[str, Any]:
    status = await ask(CommandName.STATUS)
    zone = request.app.state.zone
    return {
        "station": status,
        "state_words": words.state(status),
        "waits": words.waits(status, zone),
        "as_of": words.local_time(status.get("time"), zone, "%H:%M:%S %Z")
        or datetime.now(zone).strftime("%H:%M:%S %Z"),
        "consumable_names": words.CONSUMABLES,
    }


async def _home_values(ask: Ask, request: Request) -> dict[str, Any]:
    values = await _state_values(ask, request)
    jobs = await ask(CommandName.JOBS)
    books = await ask(CommandName.BLANKS_REPORT, {})
    accounts = await ask(CommandName.ACCOUNT_LIST)
    zone = request.app.state.zone
    values.update(
        queue=JobsResult.from_json(jobs).jobs,
        job_states=words.JOB_STATES,
        received=lambda job: words.local_time(job.received_at, zone, "%d-%m %H:%M %Z"),
        in_custody=books["in_custody"],
        causes=words.CAUSES,
        accounts=accounts["accounts"],
        today=datetime.now(zone).date().isoformat(),
    )
    return values
