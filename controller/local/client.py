"""The local control socket: `printstation status|jobs|pause|...` talk to the running daemon.

A Unix socket in the state directory, one JSON request per connection:
``{"cmd": "pause", "args": {}}`` → ``{"ok": true, "result": {...}}`` or
``{"ok": false, "error": {"code": "...", "message": "..."}}``. It needs no network, so a
technician at the kiosk can act while the link to the centre is down.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

from contract.commands import local_request

MAX_REQUEST_BYTES = 512 * 1024
TIMEOUT_S = 30.0


class DaemonNotRunning(Exception):
    pass


def request(
    socket_path: Path, cmd: str, args: dict[str, Any] | None = None, session: str | None = None
) -> dict[str, Any]:
    """Send one request to the daemon (in the web page's `session`) and return its reply."""
    body = local_request(cmd, args or {}, session) + b"\n"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.settimeout(TIMEOUT_S)
        try:
            client.connect(str(socket_path))
        except (FileNotFoundError, ConnectionRefusedError) as exc:
            raise DaemonNotRunning(
                f"the daemon is not running (no control socket at {socket_path})"
            ) from exc
        client.sendall(body)
        client.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := client.recv(65536):
            chunks.append(chunk)
    reply: dict[str, Any] = json.loads(b"".join(chunks) or b"{}")
    return reply
