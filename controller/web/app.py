"""The web page's application: its routes and the signed session cookie (which holds the
daemon's session token, the CSRF token and the language; the CSRF check: view.py)."""

from __future__ import annotations

import secrets
from pathlib import Path
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route

from controller.local.sessions import MAX_S
from controller.web import actions, pages
from controller.web.daemon import Daemon
from controller.web.i18n import HERE, LANGUAGES, environments
from controller.web.static_files import ShippedFiles


def build_app(socket_path: Path, zone: ZoneInfo, *, https_only: bool = True) -> Starlette:
    """The page for the daemon at `socket_path`, with times in `zone`."""
    app = Starlette(
        routes=[
            Route("/", pages.home),
            Route("/keadaan", pages.state),
            Route("/laporan", pages.report),
            Route("/masuk", pages.login_form),
            Route("/masuk", actions.login, methods=["POST"]),
            Route("/keluar", actions.logout, methods=["POST"]),
            Route("/bahasa/{language}", choose_language),
            Route("/aksi/{action}", actions.act, methods=["POST"]),
            Mount("/static", ShippedFiles(directory=HERE / "static"), name="static"),
        ],
        middleware=[
            Middleware(
                SessionMiddleware,
                secret_key=secrets.token_urlsafe(32),  # a restart ends every session anyway
                session_cookie="printstation",
                max_age=int(MAX_S),
                same_site="strict",
                https_only=https_only,
            )
        ],
    )
    app.state.daemon = Daemon(socket_path)
    app.state.zone = zone
    app.state.templates = environments()
    return app


async def choose_language(request: Request) -> Response:
    language = request.path_params["language"]
    if language in LANGUAGES:
        request.session["lang"] = language
    return RedirectResponse("/", status_code=303)
