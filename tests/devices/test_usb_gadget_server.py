"""The USB rig's gadget program (firmware/usb_gadget.py) on the host side: a cable pulled while
it opens its node is a link not there yet, never the end of the program."""

from __future__ import annotations

import socket
from pathlib import Path

from contract.clock import ManualClock
from firmware.usb_gadget import GadgetServer
from firmware.virtual_printer import VirtualPrinter


def test_a_node_without_a_device_is_waited_for(tmp_path: Path) -> None:
    """CI's rig: after an unplug, opening /dev/g_printer0 answered ENXIO ("no such device or
    address") and the gadget exited with status 1, so every later check found no printer. A
    socket file answers open(2) the same way."""
    node = tmp_path / "g_printer0"
    printer = VirtualPrinter(tmp_path / "printer", clock=ManualClock())
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(str(node))
        assert GadgetServer(printer, node)._open() is None
