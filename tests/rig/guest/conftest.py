"""Fixtures for the checks that run inside the rig's guest (tests/rig/test_usb_rig.py boots it):
the virtual printer as a USB gadget on dummy_hcd (as root, like the printer's own firmware),
and the station daemon as an unprivileged user (nobody, with only the lp group, as the
service runs with SupplementaryGroups=lp).

Both are started once per module: under software emulation a Python process takes seconds to
start, and the rig must stay within its CI budget. The checks therefore run in file order and
each one judges only what it added (its own jobs, the cards since it began).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from controller.local.client import DaemonNotRunning, request
from firmware.models import EVOLIS_VENDOR_ID
from firmware.usb_gadget import CONFIGFS, GadgetSpec
from testkit.jobs import make_job, payload
from testkit.waiting import wait_until

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[3]
NOBODY, LP = 65534, 7
UDC = "dummy_udc.0"
VENDOR = EVOLIS_VENDOR_ID
USB_DEVICES = Path("/sys/bus/usb/devices")
DAEMON_CONFIG = """
[station]
id = "3271-bogor-timur-01"
state_dir = "{state_dir}"
[mqtt]
host = "127.0.0.1"
port = 9
[printer]
driver = "usb"
card_timeout_s = 60
command_timeout_s = 8  # a silent printer is lost sooner (a card takes this printer ~4 s)
[local]
submit = true  # the checks hand their jobs in over the control socket
[log]
format = "json"
level = "info"
"""


def usb_printer() -> Path | None:
    """The sysfs directory of the Evolis device on the bus, if one is enumerated."""
    for device in USB_DEVICES.glob("[0-9]-[0-9]*"):
        if ":" in device.name:
            continue
        try:
            vendor = int((device / "idVendor").read_text(), 16)
        except OSError:  # not there, or going (ENODEV while the device is removed)
            continue
        if vendor == VENDOR:
            return device
    return None


def device_node(device: Path) -> Path:
    bus, address = (int((device / name).read_text()) for name in ("busnum", "devnum"))
    return Path(f"/dev/bus/usb/{bus:03d}/{address:03d}")


def keep(log: Path) -> None:
    """Copy a log out of the guest, to $RIG_ARTIFACTS on the host's /tmp, when it is set."""
    if artifacts := os.environ.get("RIG_ARTIFACTS"):
        shutil.copy(log, Path(artifacts) / log.name)


def settle() -> None:
    subprocess.run(["udevadm", "settle", "--timeout=20"], check=True)


def as_user(groups: tuple[int, ...]) -> list[str]:
    """A command prefix: run as nobody with exactly `groups`, no capabilities."""
    group_list = ",".join(map(str, groups)) if groups else "-"
    flag = f"--groups={group_list}" if groups else "--clear-groups"
    return [
        "setpriv",
        f"--reuid={NOBODY}",
        f"--regid={NOBODY}",
        flag,
        "--inh-caps=-all",
        "--bounding-set=-all",
    ]


@dataclass
class Gadget:
    """The running gadget program and the UDC it is bound to."""

    process: subprocess.Popen[bytes]
    state_dir: Path
    log: Path

    def unplug(self) -> None:
        """Pull the cable (UDC unbind) and keep it out until the printer has noticed, as a
        person's hand does (the gadget notices at its next poll)."""
        noticed = self.link_losses()
        (CONFIGFS / GadgetSpec.name / "UDC").write_text("\n")
        wait_until(lambda: usb_printer() is None, timeout=10, what="the printer to leave the bus")
        wait_until(lambda: self.link_losses() > noticed, 30, "the printer to notice", every=0.05)

    def link_losses(self) -> int:
        return self.log.read_text(errors="replace").count('"gadget.link_lost"')

    def plug(self) -> Path:
        """Put the cable back (UDC bind) and wait for the host to enumerate the printer; as at
        start-up, that can take tens of seconds under emulation on a loaded machine."""
        (CONFIGFS / GadgetSpec.name / "UDC").write_text(UDC)
        try:
            device = wait_until(usb_printer, timeout=30, what="the printer to enumerate")
        except AssertionError as error:
            raise AssertionError(f"{error}; {self.diagnosis()}") from None
        settle()
        return device

    def diagnosis(self) -> str:
        """What to read when the printer does not come back: the gadget program's exit status,
        the end of its log and of the kernel's."""
        kernel = subprocess.run(["dmesg"], capture_output=True, text=True).stdout
        gadget = self.log.read_text(errors="replace")
        return (
            f"gadget exit status {self.process.poll()}; gadget log ends:\n{gadget[-3000:]}\n"
            f"kernel log ends:\n{kernel[-3000:]}"
        )

    def toggle_mute(self) -> None:
        self.process.send_signal(signal.SIGUSR1)

    def toggle_slow(self) -> None:
        self.process.send_signal(signal.SIGUSR2)

    def cards(self) -> list[dict[str, Any]]:
        path = self.state_dir / "virtual-printer" / "cards.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory on the guest's own tmpfs that nobody may write to."""
    tmp_path_factory.getbasetemp().chmod(0o755)
    directory = Path(tmp_path_factory.mktemp("rig", numbered=True))
    directory.chmod(0o777)
    return directory


@pytest.fixture(scope="module")
def gadget(work: Path) -> Iterator[Gadget]:
    started: list[Gadget] = []

    def start(*options: str) -> Gadget:
        state_dir = work / "printer"
        log = work / "gadget.log"
        process = subprocess.Popen(
            [sys.executable, "-m", "firmware.usb_gadget", "--state-dir", str(state_dir), *options],
            cwd=ROOT,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        gadget = Gadget(process, state_dir, log)
        started.append(gadget)
        wait_until(usb_printer, timeout=30, what="the gadget to enumerate")
        settle()
        return gadget

    # Two seconds per card: a window in which the station waits for `Se`'s answer (unplug
    # mid-card); SIGUSR2 makes every answer 1.2 s late, longer than the driver's 1 s read poll.
    yield start("--save-cards", "--seconds-per-card", "2", "--reply-delay", "1.2")
    for running in started:
        running.process.terminate()
        running.process.wait(15)
        keep(running.log)
        wait_until(lambda: usb_printer() is None, timeout=10, what="the gadget to go")


@dataclass
class Daemon:
    """`printstation run` as nobody, with `[printer] driver = "usb"` and default discovery."""

    process: subprocess.Popen[bytes]
    state_dir: Path
    log: Path

    def command(self, name: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
        reply = request(self.state_dir / "control.sock", name, args)
        assert reply.get("ok"), reply
        return reply["result"]

    def connected(self) -> bool:
        return bool(self.command("status")["printer"]["connected"])

    def counts(self) -> dict[str, int]:
        return self.command("jobs")["counts"]

    def submit(self, n: int) -> None:
        raw = base64.b64encode(payload(make_job(n))).decode()
        assert self.command("submit", {"payload_b64": raw})["outcome"] == "accepted"

    def events(self, name: str) -> list[dict[str, Any]]:
        found = []
        for line in self.log.read_text(errors="replace").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("event") == name:
                found.append(entry)
        return found

    def until(self, predicate: Callable[[], T], timeout: float, what: str) -> T:
        """Wait for `predicate`, asking the daemon 4 times a second (each question costs it CPU
        under emulation); on a timeout, say what the station's status was."""
        try:
            return wait_until(predicate, timeout, what, every=0.25)
        except AssertionError as error:
            status = self.command("status")
            seen = {key: status.get(key) for key in ("state", "reasons", "printer", "consumables")}
            raise AssertionError(f"{error}; status: {seen}; jobs: {self.counts()}") from None

    def knows_the_model(self) -> bool:
        return (self.command("status").get("printer") or {}).get("model") is not None

    def answers(self) -> bool:
        try:
            self.command("status")
        except (DaemonNotRunning, OSError):
            return False
        return True


@pytest.fixture(scope="module")
def daemon(work: Path, gadget: Gadget) -> Iterator[Daemon]:
    started: list[Daemon] = []

    def start(groups: tuple[int, ...] = (LP,)) -> Daemon:
        state_dir = work / "station"
        state_dir.mkdir(mode=0o700, exist_ok=True)
        os.chown(state_dir, NOBODY, NOBODY)
        config = work / "station.toml"
        config.write_text(DAEMON_CONFIG.format(state_dir=state_dir))
        log = work / "daemon.log"
        env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), "HOME": str(state_dir)}
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        process = subprocess.Popen(
            [*as_user(groups), sys.executable, "-m", "controller", "run", "--config", str(config)],
            cwd=ROOT,
            env=env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        daemon = Daemon(process, state_dir, log)
        started.append(daemon)
        wait_until(daemon.answers, 60, "the daemon's control socket", every=0.25)
        # The station knows which consumables the printer takes once the printer has said its
        # model over USB, which may come after the control socket answers.
        daemon.until(daemon.knows_the_model, 60, "the printer's model")
        # A Primacy prints direct to the card: no film to load, none counted (before the model
        # was known every consumable was, and a film reload raced the printer's answer).
        consumables = daemon.command("status")["consumables"]
        assert sorted(consumables) == ["cards", "ribbon"], consumables
        # As the operator does on a new station: blanks loaded (a real printer does not count
        # them; the ribbon's count the station adopts from the printer).
        daemon.command("reload", {"consumable": "cards", "count": 100, "capacity": 100})
        return daemon

    yield start()
    for running in started:
        running.process.terminate()
        try:
            running.process.wait(20)
        finally:
            keep(running.log)
        for line in running.log.read_text(errors="replace").splitlines():
            if '"usb.' in line or '"printer' in line or "Error" in line:
                print(f"DAEMON: {line[:400]}")
