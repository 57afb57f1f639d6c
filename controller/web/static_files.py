"""The page's static files (its style sheet, htmx and their notices), typed by suffix: Starlette's
own StaticFiles guesses each type with `mimetypes`, which reads the system's whole MIME database
(/etc/mime.types: 0.3 MB of the page's memory, docs/benchmarks.md) for these few files."""

from __future__ import annotations

import os
from pathlib import PurePath

from starlette.datastructures import Headers
from starlette.responses import FileResponse, Response
from starlette.staticfiles import NotModifiedResponse, StaticFiles
from starlette.types import Scope

TYPES = {".css": "text/css", ".js": "text/javascript"}
OTHERWISE = "text/plain"  # the licence and the README


class ShippedFiles(StaticFiles):
    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        media_type = TYPES.get(PurePath(full_path).suffix, OTHERWISE)
        response = FileResponse(
            full_path, status_code=status_code, stat_result=stat_result, media_type=media_type
        )
        if self.is_not_modified(response.headers, Headers(scope=scope)):
            return NotModifiedResponse(response.headers)
        return response
