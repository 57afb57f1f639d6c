"""The station and the virtual printer through the real Linux USB stack (dummy_hcd, usblp,
udevd, libusb, pyusb). Runs only inside the rig's guest: tests/rig/test_usb_rig.py boots it and
reports each check as its own test. Every check prints the facts it saw (`RIG:` lines)."""

from __future__ import annotations

import errno
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from testkit.waiting import wait_until
from tests.rig.guest.conftest import LP, as_user, device_node, usb_printer

pytestmark = pytest.mark.skipif(
    not Path("/sys/class/udc/dummy_udc.0").exists(), reason="only inside the rig's guest"
)
RULES = Path("/run/udev/rules.d/60-printstation.rules")
DEBIAN_RULES = Path("/usr/lib/udev/rules.d/50-udev-default.rules")
DEBIAN_MASK = Path("/run/udev/rules.d/50-udev-default.rules")  # /run overrides /usr/lib
DEBIAN_CLASS_RULE = 'ENV{ID_USB_INTERFACES}=="*:0701??:*", GROUP="lp"'
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
    result = probe((LP,))
    fact(f"1284 id over libusb: {result.stdout.strip()!r}")
    assert result.stdout.strip().endswith(";DES:Evolis Primacy (virtual);")


def restart_udevd() -> None:
    """A new udevd, which reads the rules as they are now (after `udevadm control --reload`
    the running one still applied the old rules to the next device, in one run of three)."""
    subprocess.run(["udevadm", "control", "--exit"], check=True)
    subprocess.run(["/lib/systemd/systemd-udevd", "--daemon"], check=True)


@contextmanager
def udev_rules(gadget, *, debian_class_rule: bool = True, project_rule: bool = True) -> Iterator:
    """The printer re-plugged under udev without Debian's printer-class line (masked by a copy
    of its file in /run/udev/rules.d) and/or the project's rule; everything restored after."""
    saved = RULES.read_text()
    if not debian_class_rule:
        lines = DEBIAN_RULES.read_text().splitlines(keepends=True)
        DEBIAN_MASK.write_text("".join(line for line in lines if DEBIAN_CLASS_RULE not in line))
    if not project_rule:
        RULES.unlink()
    try:
        restart_udevd()
        gadget.unplug()
        gadget.plug()
        yield
    finally:
        DEBIAN_MASK.unlink(missing_ok=True)
        RULES.write_text(saved)
        restart_udevd()
        gadget.unplug()
        gadget.plug()


def node_access() -> tuple[int, int]:
    """The group and mode of the printer's device node."""
    stat = device_node(usb_printer()).stat()
    return stat.st_gid, stat.st_mode & 0o777


def test_udev_gives_the_lp_group_the_printer(gadget) -> None:
    fact(f"{device_node(usb_printer())}: group, mode {node_access()}")
    assert node_access() == (LP, 0o660)
    assert probe((LP,)).returncode == 0
    refused = probe(())
    fact(f"nobody without lp: {refused.stdout.strip()}")
    assert refused.returncode == 3 and f"errno {errno.EACCES}" in refused.stdout
    with udev_rules(gadget, debian_class_rule=False):
        fact(f"the project's rule alone: {node_access()}")
        assert node_access() == (LP, 0o660)
        assert probe((LP,)).returncode == 0
    with udev_rules(gadget, debian_class_rule=False, project_rule=False):
        fact(f"neither rule: {node_access()}")
        assert node_access() == (0, 0o664)
        assert probe((LP,)).returncode == 3
    # What the station meets next: usblp holds the printer again, and lp has it.
    device = usb_printer()
    assert (device / f"{device.name}:1.0" / "driver").resolve().name == "usblp"
    assert node_access() == (LP, 0o660)


def test_station_prints_through_libusb_as_nobody(gadget, daemon) -> None:
    daemon.until(daemon.connected, timeout=60, what="the station to find the printer")
    interface = usb_printer() / f"{usb_printer().name}:1.0"
    # A claimed interface shows libusb's kernel side, usbfs, as its driver.
    assert (interface / "driver").resolve().name == "usbfs", "usblp still bound"
    assert not Path("/dev/usb/lp0").exists()
    assert daemon.events("usb.kernel_driver_detached")
    for n in (1, 2):
        daemon.submit(n)
    daemon.until(lambda: daemon.counts()["printed"] == 2, timeout=90, what="two cards printed")
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
    daemon.until(lambda: not daemon.connected(), timeout=60, what="printer.connected=false")
    fact(f"printer.connected=false {time.monotonic() - started:.1f} s after the unplug")
    after = int((gadget.plug() / "devnum").read_text())
    fact(f"address {before} -> {after}")
    assert after != before
    daemon.until(daemon.connected, timeout=60, what="the station to find the printer again")
    daemon.submit(3)
    daemon.until(lambda: daemon.counts()["printed"] == printed + 1, timeout=60, what="a card")
    cards = gadget.cards()
    assert [card["result"] for card in cards] == ["printed"] * 3 and printed_once(cards)
    assert daemon.process.poll() is None, "the same process went on"


def test_a_printer_that_stops_answering(gadget, daemon) -> None:
    printed, fed = daemon.counts()["printed"], len(gadget.cards())
    gadget.toggle_mute()
    daemon.submit(6)
    try:
        daemon.until(lambda: not daemon.connected(), timeout=90, what="a silent printer as lost")
        assert len(gadget.cards()) == fed
    finally:
        gadget.toggle_mute()
    fact(f"silent printer: {[e.get('reason') for e in daemon.events('printer.disconnected')][-2:]}")
    daemon.until(lambda: daemon.counts()["printed"] == printed + 1, timeout=90, what="the card")
    cards = gadget.cards()
    fact(f"after it answers again: {daemon.counts()} cards {len(cards)}")
    assert len(cards) == fed + 1 and printed_once(cards)


def test_a_printer_that_answers_slowly(gadget, daemon) -> None:
    printed, fed = daemon.counts()["printed"], len(gadget.cards())
    gadget.toggle_slow()
    try:
        daemon.submit(7)
        daemon.until(lambda: daemon.counts()["printed"] == printed + 1, timeout=120, what="a card")
    finally:
        gadget.toggle_slow()
    cards = gadget.cards()
    assert len(cards) == fed + 1 and cards[-1]["result"] == "printed" and printed_once(cards)


def test_unplug_mid_card_is_settled_by_the_counter(gadget, daemon) -> None:
    fed = len(gadget.cards())
    daemon.submit(4)
    # The card is fed (its line is in cards.jsonl) and the station waits for its result.
    wait_until(lambda: len(gadget.cards()) > fed, 60, "the card to be fed", every=0.05)
    _replug(gadget, daemon)
    daemon.until(lambda: daemon.counts()["needs_review"] == 1, 60, "needs_review")
    reasons = [e.get("reason") for e in daemon.events("printer.disconnected")]
    fact(f"the pending read's error: {reasons[-1]!r}")
    assert any(code in reasons[-1] for code in ("[Errno 5]", "[Errno 19]"))
    [review] = [job for job in daemon.command("jobs")["jobs"] if job["state"] == "needs_review"]
    fact(f"settled by the counter: {review['job_id']} needs_review, counter {fed} -> {fed + 1}")
    assert gadget.cards()[-1]["counter"] == fed + 1
    # A person finds the card in the output tray; the next card prints, and nothing twice.
    daemon.command("resolve", {"job_id": review["job_id"], "outcome": "printed"})
    printed = daemon.counts()["printed"]
    daemon.submit(5)
    daemon.until(lambda: daemon.counts()["printed"] == printed + 1, 60, "the next card")
    cards = gadget.cards()
    assert len(cards) == fed + 2 and printed_once(cards)
