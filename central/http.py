"""The replica's HTTP endpoint: `/metrics` for Prometheus and `/healthz` for load balancers
and checks (200 when healthy, 503 with what failed), on one port."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, make_wsgi_app

Health = Callable[[], dict[str, bool]]  # check name -> passed


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Scrapes every 15 s are not news: no access log."""


class HttpEndpoint:
    def __init__(self, address: str, port: int, registry: CollectorRegistry, health: Health):
        self._metrics = make_wsgi_app(registry)
        self._health = health
        self.server = make_server(address, port, self._app, _Server, _QuietHandler)
        self._thread = threading.Thread(
            target=self.server.serve_forever, name="central-http", daemon=True
        )
        self._thread.start()

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _app(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz":
            checks = self._health()
            healthy = all(checks.values())
            body = json.dumps({"healthy": healthy, "checks": checks}).encode()
            start_response(
                "200 OK" if healthy else "503 Service Unavailable",
                [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
            )
            return [body]
        return self._metrics(environ, start_response)
