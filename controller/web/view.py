"""What every page shares: rendering in the session's language, the CSRF token, the person
signed in."""

from __future__ import annotations

import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from contract.commands import Refusal
from contract.shapes import BadMessage, from_json
from controller.said import say_refusal
from controller.web.i18n import DEFAULT_LANGUAGE, daemon_words


def render(request: Request, template: str, status_code: int = 200, **values: Any) -> Response:
    """`template` in the session's language, with the person, the CSRF token and a notice
    (with the daemon's refusal under it, said in that language)."""
    session = request.session
    language = session.get("lang", DEFAULT_LANGUAGE)
    env = request.app.state.templates[language]
    page = env.get_template(template).render(
        language=language,
        person=session.get("account"),
        csrf=csrf_token(request),
        notice=session.pop("notice", None),
        detail=_detail(session.pop("detail", None), language),
        **values,
    )
    return HTMLResponse(page, status_code=status_code)


def _detail(kept: Any, language: str) -> str | None:
    """The daemon's refusal kept in the session, in `language` (None: none, or not one)."""
    if kept is None:
        return None
    try:
        refusal = from_json(Refusal, kept, "detail")
    except BadMessage:
        return None
    return say_refusal(refusal, daemon_words(language).gettext)


def csrf_token(request: Request) -> str:
    """The session's CSRF token (made at its first page)."""
    if "csrf" not in request.session:
        request.session["csrf"] = secrets.token_urlsafe(32)
    token: str = request.session["csrf"]
    return token


def csrf_ok(request: Request, form: Any) -> bool:
    sent, kept = form.get("csrf"), request.session.get("csrf")
    return isinstance(sent, str) and bool(kept) and secrets.compare_digest(sent, kept)


def signed_in(request: Request) -> str | None:
    """The daemon's session token of the person signed in, or None."""
    token = request.session.get("token")
    return token if isinstance(token, str) else None
