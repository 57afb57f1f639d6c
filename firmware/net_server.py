"""The virtual printer as a network printer: what Evolis' tools open as `socket://host:port`.

One TCP connection per exchange, as Evolis' own library uses a printer on the network: the
printer reads the request until the host shuts its write side (EOF), answers with one frame
(`VirtualPrinter.exchange`; an empty request is a bare status poll) and closes. A request in
the Avansia printers' binary protocol (first byte 0x1C, which libevolis tries first) is closed
without a reply, which is how libevolis learns that this printer speaks the ESC language. While
the printer is unplugged (an `unplug` fault) connections are closed unanswered.
"""

from __future__ import annotations

import socket
import socketserver
import threading

import structlog

from .virtual_printer import VirtualPrinter

log = structlog.get_logger(__name__)

AVANSIA_PROTOCOL = 0x1C
MAX_REQUEST_BYTES = 64 << 20
READ_TIMEOUT_S = 30.0


class _Exchange(socketserver.BaseRequestHandler):
    server: PrinterServer

    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.settimeout(READ_TIMEOUT_S)
        try:
            request = _read_until_eof(sock)
        except OSError as error:
            log.warning("virtual_printer.net_read_failed", error=str(error))
            return
        printer = self.server.printer
        if not printer.attached or request[:1] == bytes([AVANSIA_PROTOCOL]):
            return
        try:
            printer.misreport.drip(printer.exchange(request), sock.sendall, printer.clock.sleep)
        except OSError as error:
            log.warning("virtual_printer.net_reply_failed", error=str(error))


def _read_until_eof(sock: socket.socket) -> bytes:
    data = bytearray()
    while chunk := sock.recv(1 << 16):
        data += chunk
        if len(data) > MAX_REQUEST_BYTES:
            raise OSError(f"request longer than {MAX_REQUEST_BYTES} bytes")
    return bytes(data)


class PrinterServer(socketserver.TCPServer):
    """Serves one printer, one exchange at a time (a printer has one input)."""

    allow_reuse_address = True

    def __init__(self, printer: VirtualPrinter, host: str, port: int) -> None:
        self.printer = printer
        super().__init__((host, port), _Exchange)

    @property
    def port(self) -> int:
        return int(self.server_address[1])


def serve_in_thread(
    printer: VirtualPrinter, host: str = "127.0.0.1", port: int = 0
) -> PrinterServer:
    """Start serving on a daemon thread (port 0: any free port); `shutdown()` to stop."""
    server = PrinterServer(printer, host, port)
    threading.Thread(target=server.serve_forever, name="virtual-printer", daemon=True).start()
    log.info("virtual_printer.listening", host=host, port=server.port)
    return server
