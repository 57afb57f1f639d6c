"""The station and the virtual printer through the real Linux USB stack (dummy_hcd, usblp,
udevd, libusb, pyusb). Runs only inside the rig's guest: tests/rig/test_usb_rig.py boots it and
reports each check as its own test. Every check prints the facts it saw (`RIG:` lines)."""

from __future__ import annotations

import errno
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.rig.guest.conftest import PLUGDEV, as_user, device_node, usb_printer
from tests.support.waiting import wait_until

pytestmark = pytest.mark.skipif(
    not Path("/sys/class/udc/dummy_udc.0").exists(), reason="only inside the rig's guest"
)
RULES = Path("/run/udev/rules.d/60-printstation.rules")
PROBE = """
import sys, usb.core
dev = usb.core.find(idVendor=0x0F49)
try:
    if dev.is_kernel_driver_active(0):
        dev.detach_kernel_driver(0)
    raw = dev.ctrl_transfer(0xA1, 0, 0, 0, 1024).tobytes()
except usb.core.USBError as error:
    print("errno", error.errno); sys.exit(3)
print(raw[2:].decode())
"""


def fact(text: str) -> None:
    print(f"RIG: {text}")


def probe(groups: tuple[int, ...]) -> subprocess.CompletedProcess[str]:
    """Ask the printer for its 1284 id from a process of nobody with `groups`."""
    return subprocess.run(
        [*as_user(groups), sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60
    )


def printed_once(cards: list[dict]) -> bool:
    fronts = [card["front_sha256"] for card in cards if card["result"] == "printed"]
    return len(fronts) == len(set(fronts))


def test_the_gadget_is_a_printer_that_usblp_binds(gadget) -> None:
    device = usb_printer()
    assert device is not None
    ids = [(device / name).read_text().strip() for name in ("idVendor", "idProduct")]
    interface = device / f"{device.name}:1.0"
    klass = [(interface / f"bInterface{k}").read_text().strip() for k in ("Class", "SubClass")]
    driver = (interface / "driver").resolve().name
    fact(f"enumerated {ids} interface class {klass} driver {driver}")
    assert ids == ["0f49", "0b00"] and klass == ["07", "01"] and driver == "usblp"
    assert Path("/dev/usb/lp0").exists()
    result = probe((PLUGDEV,))
    fact(f"1284 id over libusb: {result.stdout.strip()!r}")
    assert result.stdout.strip().endswith(";DES:Evolis Primacy (virtual);")


def test_only_the_udev_rule_gives_the_station_user_the_printer(gadget) -> None:
    node = device_node(usb_printer())
    stat = node.stat()
    fact(f"{node}: group {stat.st_gid} mode {stat.st_mode & 0o777:o}")
    assert (stat.st_gid, stat.st_mode & 0o777) == (PLUGDEV, 0o660)
    assert probe((PLUGDEV,)).returncode == 0
    refused = probe(())
    fact(f"nobody without plugdev: {refused.stdout.strip()}")
    assert refused.returncode == 3 and f"errno {errno.EACCES}" in refused.stdout
    saved = RULES.read_text()
    RULES.unlink()
    try:
        subprocess.run(["udevadm", "control", "--reload"], check=True)
        gadget.unplug()
        stat = device_node(gadget.plug()).stat()
        fact(f"plugged in without the rule: group {stat.st_gid} mode {stat.st_mode & 0o777:o}")
        assert probe((PLUGDEV,)).returncode == 3
    finally:
        RULES.write_text(saved)
        subprocess.run(["udevadm", "control", "--reload"], check=True)
        gadget.unplug()
        device = gadget.plug()
    # What the station meets next: usblp holds the printer again.
    assert (device / f"{device.name}:1.0" / "driver").resolve().name == "usblp"


def test_station_prints_through_libusb_as_nobody(gadget, daemon) -> None:
    wait_until(daemon.connected, timeout=60, what="the station to find the printer")
    interface = usb_printer() / f"{usb_printer().name}:1.0"
    # A claimed interface shows libusb's kernel side, usbfs, as its driver.
    assert (interface / "driver").resolve().name == "usbfs", "usblp still bound"
    assert not Path("/dev/usb/lp0").exists()
    assert daemon.events("usb.kernel_driver_detached")
    for n in (1, 2):
        daemon.submit(n)
    wait_until(lambda: daemon.counts()["printed"] == 2, timeout=90, what="two cards printed")
    cards = gadget.cards()
    assert [card["result"] for card in cards] == ["printed", "printed"]
    assert printed_once(cards) and len({card["front_sha256"] for card in cards}) == 2
    pictures = sorted(p.name for p in (gadget.state_dir / "virtual-printer" / "cards").iterdir())
    fact(f"pictures: {pictures}")
    assert any(name.startswith("000001") for name in pictures)
    assert any(name.startswith("000002") for name in pictures)


def _replug(gadget, daemon) -> None:
    """Unplug (UDC unbind) and plug in again; the printer comes back at a new address."""
    before = int((usb_printer() / "devnum").read_text())
    gadget.unplug()
    after = int((gadget.plug() / "devnum").read_text())
    fact(f"address {before} -> {after}")
    assert after != before


def test_unplug_between_cards_and_go_on(gadget, daemon) -> None:
    printed = daemon.counts()["printed"]
    before = int((usb_printer() / "devnum").read_text())
    gadget.unplug()
    started = time.monotonic()
    wait_until(lambda: not daemon.connected(), timeout=60, what="printer.connected=false")
    fact(f"printer.connected=false {time.monotonic() - started:.1f} s after the unplug")
    after = int((gadget.plug() / "devnum").read_text())
    fact(f"address {before} -> {after}")
    assert after != before
    wait_until(daemon.connected, timeout=60, what="the station to find the printer again")
    daemon.submit(3)
    wait_until(lambda: daemon.counts()["printed"] == printed + 1, timeout=60, what="a card")
    cards = gadget.cards()
    assert [card["result"] for card in cards] == ["printed"] * 3 and printed_once(cards)
    assert daemon.process.poll() is None, "the same process went on"


def test_a_printer_that_stops_answering(gadget, daemon) -> None:
    printed, fed = daemon.counts()["printed"], len(gadget.cards())
    gadget.toggle_mute()
    daemon.submit(6)
    try:
        wait_until(lambda: not daemon.connected(), timeout=90, what="a silent printer as lost")
        assert len(gadget.cards()) == fed
    finally:
        gadget.toggle_mute()
    fact(f"silent printer: {[e.get('reason') for e in daemon.events('printer.disconnected')][-2:]}")
    wait_until(lambda: daemon.counts()["printed"] == printed + 1, timeout=90, what="the card")
    cards = gadget.cards()
    fact(f"after it answers again: {daemon.counts()} cards {len(cards)}")
    assert len(cards) == fed + 1 and printed_once(cards)


def test_a_printer_that_answers_slowly(gadget, daemon) -> None:
    printed, fed = daemon.counts()["printed"], len(gadget.cards())
    gadget.toggle_slow()
    try:
        daemon.submit(7)
        wait_until(lambda: daemon.counts()["printed"] == printed + 1, timeout=120, what="a card")
    finally:
        gadget.toggle_slow()
    cards = gadget.cards()
    assert len(cards) == fed + 1 and cards[-1]["result"] == "printed" and printed_once(cards)


@pytest.mark.xfail(
    reason="seen in the rig: after a mid-card unplug and re-plug the station's status polls fail "
    "every other time (printer connected / not reachable every 2 s) and the card is never "
    "settled; see docs/usb-rig.md",
    strict=False,
)
def test_unplug_mid_card_is_settled_by_the_counter(gadget, daemon) -> None:
    fed = len(gadget.cards())
    daemon.submit(4)
    # The card is fed (its line is in cards.jsonl) and the station waits for `Se`'s answer.
    wait_until(lambda: len(gadget.cards()) > fed, timeout=60, what="the card to be fed")
    _replug(gadget, daemon)
    wait_until(lambda: daemon.counts()["needs_review"] == 1, timeout=60, what="needs_review")
    reasons = [e.get("reason") for e in daemon.events("printer.disconnected")]
    fact(f"disconnect reasons so far: {reasons}")
    fact(f"after re-plug: {daemon.counts()} {daemon.command('jobs')['jobs']}")
    printed = daemon.counts()["printed"]
    daemon.submit(5)
    wait_until(lambda: daemon.counts()["printed"] == printed + 1, timeout=60, what="next card")
    cards = gadget.cards()
    assert printed_once(cards)
