"""The virtual printer on the network (one TCP connection per exchange) and the network driver."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from unittest.mock import ANY

import pytest

from controller.devices.factory import network_driver
from controller.devices.net_transport import NetworkSettings
from controller.devices.printer import Fault, Identity, Level, Printed, PrinterUnavailable, Unknown
from evolis_wire.frames import decode_reply
from firmware.net_server import PrinterServer, serve_in_thread
from firmware.virtual_printer import VirtualPrinter
from testkit.broker import free_port
from testkit.waiting import wait_until


@pytest.fixture
def serve() -> Iterator[Callable[[VirtualPrinter], PrinterServer]]:
    servers: list[PrinterServer] = []

    def start(printer: VirtualPrinter) -> PrinterServer:
        servers.append(serve_in_thread(printer))
        return servers[-1]

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def exchange(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request)
        sock.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := sock.recv(4096):
            data += chunk
        return data


def test_each_exchange_is_one_connection_and_one_frame(make_printer, serve):
    server = serve(make_printer())
    poll = exchange(server.port, b"")
    assert len(poll) == 43 and poll[:3] == b"\x00\x00\x00"
    reply = decode_reply(exchange(server.port, b"\x1bRtp\r\x00"))
    assert reply.text == "Evolis Primacy" and "CFG_X01" in reply.status.flags
    assert exchange(server.port, b"\x1c\x6e\x00\x00\x00\x00") == b""  # not an Avansia


def test_the_network_driver_prints_and_follows_the_card(make_printer, serve, make_panels, clock):
    printer = make_printer(cards=10, ribbon=20, film=30, seconds_per_card=15)
    server = serve(printer)
    driver = network_driver("127.0.0.1", server.port, clock=clock, virtual_extensions=True)
    assert driver.identity() == Identity("Evolis Primacy", "VP0000001", "VP-1.0.0")
    start = clock.monotonic()
    panels = make_panels(seed=3)
    assert driver.print_card(panels) == Printed(1)
    assert clock.monotonic() - start == pytest.approx(15, abs=0.5)
    record = json.loads((printer.directory / "cards.jsonl").read_text())
    assert record["front_sha256"] == panels.front_sha256() and record["panels"] == 6
    assert driver.status().consumables["cards"] == Level(9, 10)
    driver.set_level("cards", 50, 100)
    assert printer.state.cards == 50


def test_faults_over_the_network(make_printer, serve, make_panels, clock):
    faults = [
        {"at_card": 1, "kind": "cover_open", "seconds": 5},
        {"at_card": 1, "kind": "unplug", "seconds": 3},
    ]
    server = serve(make_printer(faults=faults))
    driver = network_driver("127.0.0.1", server.port, clock=clock)
    assert driver.print_card(make_panels()) == Fault("cover_open", "WAR_COVER_OPEN")
    clock.advance(5)
    outcome = driver.print_card(make_panels())
    assert isinstance(outcome, Unknown) and outcome.counter_before == 0
    assert driver.card_counter() == 1  # reconnected once the printer is back
    assert driver.status().consumables == {"ribbon": Level(249, 250)}


def test_a_printer_that_is_not_there_is_unavailable(clock, make_panels):
    port = free_port()
    settings = NetworkSettings(connect_timeout_s=0.5, reconnect_timeout_s=2)
    driver = network_driver("127.0.0.1", port, clock=clock, settings=settings)
    with pytest.raises(PrinterUnavailable):
        driver.card_counter()
    assert driver.print_card(make_panels()) == Fault("disconnected", ANY)


@pytest.mark.slow
def test_the_virtual_printer_command_serves_on_the_network(tmp_path):
    port = free_port()
    command = [sys.executable, "-m", "controller", "virtual-printer"]
    command += ["--listen", f"127.0.0.1:{port}", "--state-dir", str(tmp_path), "--model", "zenius"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:

        def model() -> str | None:
            assert process.poll() is None
            try:
                return decode_reply(exchange(port, b"\x1bRtp;d\r\x00")).text
            except ConnectionRefusedError:
                return None

        assert wait_until(model, 20, "the virtual printer to listen") == "Zenius"
        assert (tmp_path / "virtual-printer" / "state.json").exists()
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(10) == 0
