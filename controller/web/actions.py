"""The actions (POST), each checked for the session's CSRF token and done by the daemon in the
person's session; a countersignature is the supervisor's name and password, checked by the
daemon as a login of its own, for that one action."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from contract.shapes import to_json
from contract.vocabulary import CommandErrorCode, CommandName
from controller.web.daemon import NOT_RUNNING, Daemon, Refused
from controller.web.view import csrf_ok, render, signed_in
from controller.web.words import N_

REFUSALS = {
    CommandErrorCode.NOT_AUTHORIZED: N_(
        "Refused: you may not do this, or the name or password is wrong."
    ),
    CommandErrorCode.INVALID_ARGS: N_("Refused: check what you filled in."),
    CommandErrorCode.INVALID_STATE: N_(
        "Refused: not possible in the job's or the station's state now."
    ),
    CommandErrorCode.UNKNOWN_JOB: N_("Refused: no such job."),
    NOT_RUNNING: N_("The station service is not running: call the technician."),
}
DONE = {
    "tinjau": N_("Decision recorded."),
    "terima-lot": N_("Lot received and countersigned: it is in stock."),
    "isi-ulang": N_("Reload recorded with the supervisor's countersignature."),
    "serahkan": N_("Card handed over: recorded."),
    "musnahkan": N_("Destruction recorded."),
}
Act = Callable[[Daemon, str, FormData], Awaitable[None]]


async def login(request: Request) -> Response:
    form = await request.form()
    if not csrf_ok(request, form):
        return _forbidden()
    try:
        result = await request.app.state.daemon.ask(
            CommandName.LOGIN, {"name": form.get("nama", ""), "password": form.get("sandi", "")}
        )
    except Refused as refusal:
        locked = "locked" in refusal.message
        notice = N_("Account locked: ask a supervisor for a new password.") if locked else None
        request.session["notice"] = notice or REFUSALS.get(refusal.code, refusal.code)
        return render(request, "login.html", status_code=401)
    language, csrf = request.session.get("lang"), request.session["csrf"]
    request.session.clear()  # a new session at login
    request.session.update(
        token=result["session"], account=result["full_name"], role=result["role"], csrf=csrf
    )
    if language:
        request.session["lang"] = language
    return RedirectResponse("/", status_code=303)


async def logout(request: Request) -> Response:
    form = await request.form()
    if not csrf_ok(request, form):
        return _forbidden()
    if token := signed_in(request):
        await request.app.state.daemon.ask(CommandName.LOGOUT, {}, token)
    request.session.clear()
    return RedirectResponse("/masuk", status_code=303)


async def act(request: Request) -> Response:
    form = await request.form()
    if not csrf_ok(request, form):
        return _forbidden()
    token = signed_in(request)
    action = ACTIONS.get(request.path_params["action"])
    if token is None or action is None:
        return RedirectResponse("/masuk", status_code=303)
    try:
        await action(request.app.state.daemon, token, form)
    except Refused as refusal:
        request.session["notice"] = REFUSALS.get(refusal.code, N_("Refused."))
        if refusal.refusal is not None:  # why, said under the line in the page's language
            request.session["detail"] = to_json(refusal.refusal)
    else:
        request.session["notice"] = DONE[request.path_params["action"]]
    return RedirectResponse("/", status_code=303)


def _forbidden() -> Response:
    return PlainTextResponse("403: CSRF", status_code=403)


async def _resolve(daemon: Daemon, token: str, form: FormData) -> None:
    args = {"job_id": form.get("job_id"), "outcome": form.get("hasil")}
    await daemon.ask(CommandName.RESOLVE, _with_reason(args, form), token)


async def _receive(daemon: Daemon, token: str, form: FormData) -> None:
    lot = {"consumable": form.get("bahan"), "lot": form.get("lot")}
    args = {**lot, "quantity": _number(form, "jumlah"), "received_on": form.get("tanggal")}
    await daemon.ask(CommandName.LOT_RECEIVE, args, token)
    await _countersigned(daemon, form, CommandName.LOT_COUNTERSIGN, lot)


async def _reload(daemon: Daemon, token: str, form: FormData) -> None:
    args = {"consumable": form.get("bahan"), "count": _number(form, "jumlah")}
    await _countersigned(daemon, form, CommandName.RELOAD, _with_reason(args, form))


async def _collect(daemon: Daemon, token: str, form: FormData) -> None:
    await daemon.ask(CommandName.COLLECT, {"job_id": form.get("job_id")}, token)


async def _destroy(daemon: Daemon, token: str, form: FormData) -> None:
    args = {
        "count": _number(form, "jumlah"),
        "witness": form.get("saksi"),
        "destroyed_on": form.get("tanggal"),
    }
    await daemon.ask(CommandName.DESTROY_SPOILED, args, token)


async def _countersigned(daemon: Daemon, form: FormData, cmd: str, args: dict[str, Any]) -> None:
    """`cmd` done in a session of the supervisor named in the form, ended at once."""
    login = {"name": form.get("penyelia", ""), "password": form.get("sandi_penyelia", "")}
    session = (await daemon.ask(CommandName.LOGIN, login))["session"]
    try:
        await daemon.ask(cmd, args, session)
    finally:
        await daemon.ask(CommandName.LOGOUT, {}, session)


def _with_reason(args: dict[str, Any], form: FormData) -> dict[str, Any]:
    reason = str(form.get("alasan") or "").strip()
    return {**args, "reason": reason} if reason else args


def _number(form: FormData, key: str) -> int | str:
    text = str(form.get(key) or "")
    return int(text) if text.isdigit() else text  # not a number: the daemon names the field


ACTIONS: dict[str, Act] = {
    "tinjau": _resolve,
    "terima-lot": _receive,
    "isi-ulang": _reload,
    "serahkan": _collect,
    "musnahkan": _destroy,
}
