"""The daemon and a printer whose `Rrt;all` says a ribbon count no ribbon holds: before issue 23
the report killed the core thread (a restart loop under systemd). Now the station shows
`printer_error`, stays up, and prints once the printer is sane."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from contract.clock import SystemClock
from firmware.net_server import PrinterServer, serve_in_thread
from firmware.virtual_printer import VirtualPrinter
from testkit.waiting import wait_until
from tests.daemon.test_daemon import submit


@pytest.fixture
def network_printer(tmp_path) -> Iterator[tuple[VirtualPrinter, PrinterServer]]:
    """An Evolis printer on the network (no virtual extensions: it counts only its ribbon)."""
    printer = VirtualPrinter(tmp_path / "printer", clock=SystemClock(), extensions=False)
    server = serve_in_thread(printer)
    yield printer, server
    server.shutdown()
    server.server_close()


def test_a_huge_ribbon_count_is_an_error_the_daemon_outlives(start_daemon, network_printer):
    printer, server = network_printer
    printer.misreport.ribbon_count = 10**20
    daemon = start_daemon(printer=f'driver = "network"\nhost = "127.0.0.1"\nport = {server.port}')
    daemon.wait_ready()
    for consumable in ("cards", "film"):  # this printer does not count them: a person books them
        daemon.command("reload", {"consumable": consumable, "count": 10, "capacity": 10})
    assert submit(daemon, 1)["result"]["outcome"] == "accepted"

    def status() -> dict:
        return daemon.command("status")["result"]

    wait_until(lambda: "printer_error" in status()["reasons"], timeout=20)
    assert daemon.process.poll() is None
    assert status()["queue"]["queued"] == 1 and printer.state.card_counter == 0

    printer.misreport.ribbon_count = None

    wait_until(lambda: status()["queue"] == {"queued": 0, "printing": 0, "needs_review": 0})
    assert printer.state.card_counter == 1 and daemon.process.poll() is None
    wait_until(lambda: status()["consumables"]["ribbon"]["remaining"] == 249, timeout=20)
    assert "printer_error" not in status()["reasons"]
