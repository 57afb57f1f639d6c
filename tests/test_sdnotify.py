"""The notify protocol never blocks the core loop, even when nobody reads the socket."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

from controller.app.sdnotify import Notifier


def test_messages_arrive_and_a_full_socket_does_not_block(tmp_path: Path) -> None:
    path = tmp_path / "notify.sock"
    receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    receiver.bind(str(path))
    notifier = Notifier({"NOTIFY_SOCKET": str(path), "WATCHDOG_USEC": "30000000"})
    assert notifier.watchdog_interval_s == 15.0
    notifier.ready("up")
    assert receiver.recv(100) == b"READY=1\nSTATUS=up"
    flood = threading.Thread(  # far more than an unread datagram socket buffers
        target=lambda: [notifier.watchdog() for _ in range(5000)], daemon=True
    )
    flood.start()
    flood.join(5)
    assert not flood.is_alive(), "a send blocked on a socket nobody reads"
    receiver.close()


def test_without_notify_socket_it_does_nothing() -> None:
    notifier = Notifier({})
    assert not notifier.enabled and notifier.watchdog_interval_s is None
    notifier.ready()
    notifier.watchdog()
