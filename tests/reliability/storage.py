"""The storage tests' parts: the station on a state directory of its own (a tmpfs, or an ext4
volume on a loop device), with a broker, the central office and a recorder, and the checks
both tests end with.

Mounting needs root (or CAP_SYS_ADMIN), as CI has; elsewhere the tests are skipped and say
why. The volume is mounted before anything else starts, so a skip leaves nothing running.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack, closing, contextmanager
from pathlib import Path
from typing import Any

import pytest

from testkit.broker import Broker
from testkit.jobs import station_today
from testkit.station_process import TOPIC_BASE, StationProcess, StationSettings
from testkit.waiting import wait_until
from tests.reliability import checks
from tests.reliability.peers import CentralOffice, Recorder
from tests.reliability.people import encode, person_of, valid_job

STORE_REFUSED = "store failed; message(s) not acknowledged"  # the MQTT intake's log line


def state_dir(workdir: Path) -> Path:
    """Where StationProcess(workdir / "station") keeps its state: the path to mount on."""
    return workdir / "station" / "state"


def mount(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["mount", *args], capture_output=True, check=False)


def must_mount(*args: str) -> None:
    done = mount(*args)
    assert done.returncode == 0, f"mount {' '.join(args)}: {done.stderr.decode()}"


@contextmanager
def small_tmpfs(path: Path, size: str = "8m") -> Iterator[Path]:
    path.mkdir(parents=True)
    done = mount("-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path))
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs ({done.stderr.decode().strip()}): needs root")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)


@contextmanager
def remounted_read_only(path: Path) -> Iterator[None]:
    """The file system at `path` read-only until the block ends (no file open for writing)."""
    must_mount("-o", "remount,ro", str(path))
    try:
        yield
    finally:
        mount("-o", "remount,rw", str(path))


def run_or_skip(*command: str) -> str:
    """Run a command the test cannot do without; skip the test (saying why) if it fails."""
    if shutil.which(command[0], path="/usr/sbin:/sbin:/usr/bin:/bin") is None:
        pytest.skip(f"{command[0]} is not installed")
    done = subprocess.run(command, capture_output=True, check=False)
    if done.returncode:
        pytest.skip(f"{' '.join(command[:2])} failed: {done.stderr.decode().strip()}")
    return done.stdout.decode().strip()


class StorageRun:
    """The station on the state directory mounted at `state_dir(workdir)`."""

    def __init__(self, workdir: Path, stack: ExitStack, seconds_per_card: float = 0.02) -> None:
        self.today = station_today()
        self.broker = Broker.plain(workdir / "broker")
        self.broker.start()
        stack.callback(self.broker.kill)
        self.recorder = Recorder(self.broker.port, "disk-recorder").start()
        stack.callback(self.recorder.stop)
        self.central = CentralOffice(self.broker.port, "disk-central").start()
        stack.callback(self.central.stop)
        self.state = state_dir(workdir)
        # No free-space floor: the disk itself must fill, as on a kiosk whose floor was set too
        # low (the floor's own refusal is tests/queue/test_queue_limits.py's).
        self.settings = StationSettings(
            mqtt_port=self.broker.port, seconds_per_card=seconds_per_card, min_free_mb=0
        )
        self.station = StationProcess(workdir / "station", self.settings)
        stack.callback(self.station.kill)
        self.jobs: dict[str, dict[str, Any]] = {}

    def start(self) -> None:
        self.station.start()
        self.station.wait_ready()
        self.recorder.wait_for_station()

    def publish(self, count: int) -> list[str]:
        ids = []
        for _ in range(count):
            n = len(self.jobs) + 1
            job = valid_job(n, "disk", today=self.today)
            self.jobs[job["job_id"]] = job
            self.central.job(encode(job))
            ids.append(job["job_id"])
        return ids

    def events(self, kind: str) -> dict[str, float]:
        """job_id -> arrival time of the first `kind` event for it."""
        first: dict[str, float] = {}
        for message in self.recorder.messages(f"{TOPIC_BASE}/event/{kind}"):
            first.setdefault(message.json()["job_id"], message.at)
        return first

    def statuses_since(self, since: float) -> list[dict[str, Any]]:
        return [m.json() for m in self.recorder.messages(f"{TOPIC_BASE}/status") if m.at >= since]

    def wait_for_storage_alert(self, since: float) -> dict[str, Any]:
        def alerted() -> dict[str, Any] | None:
            for status in self.statuses_since(since):
                if "storage_error" in {a["code"] for a in status.get("alerts", [])}:
                    return status
            return None

        return wait_until(alerted, 90, "a status with the storage_error alert")

    def printed(self, ids: list[str], timeout: float) -> None:
        wait_until(lambda: set(ids) <= set(self.events("card.printed")), timeout, "cards")

    def accepted_before(self, ids: list[str], moment: float) -> list[str]:
        """Those of `ids` whose job.accepted arrived before `moment` (all must have arrived)."""
        accepted = self.events("job.accepted")
        return [job for job in ids if accepted[job] < moment]

    def printing_now(self) -> list[str]:
        with closing(sqlite3.connect(f"file:{self.station.db_path}?mode=ro", uri=True)) as conn:
            rows = conn.execute("SELECT job_id FROM jobs WHERE state = 'printing'")
            return [row[0] for row in rows]

    def final_checks(self) -> tuple[checks.Evidence, dict[str, Any]]:
        """After a clean stop: the invariants' checks over the whole run, and their figures."""
        ev = checks.gather(self.station.db_path, self.station.cards(), self.recorder.messages())
        people = [person_of(job, n + 1, "disk") for n, job in enumerate(self.jobs.values())]
        printer_state = self.station.state_dir / "virtual-printer" / "state.json"
        consumables = checks.check_consumables(self.station.db_path, printer_state, ev)
        return ev, {
            **checks.check_jobs_ended_once(ev, self.jobs),
            **checks.check_cards(ev, []),
            **checks.check_events(ev),
            **checks.check_no_personal_data(ev, people),
            "cards": consumables["cards"],
        }


def describe(status: dict[str, Any]) -> str:
    return f"{status['state']}, alerts {[alert['code'] for alert in status['alerts']]}"


class Ext4Volume:
    """An ext4 file system in an image file on a loop device, mounted with `errors=remount-ro`
    (as Debian mounts its root): an ext4 error, which `trigger_fs_error` raises on purpose,
    turns it read-only at once under the files open on it, as a failing SD card does. The
    printer's own memory (the virtual printer's files) is bind-mounted from elsewhere: it is
    not on the Pi's storage."""

    def __init__(self, image: Path, mountpoint: Path, printer_memory: Path) -> None:
        self.image, self.mountpoint, self.printer_memory = image, mountpoint, printer_memory
        self.device = ""

    @property
    def _printer_mount(self) -> Path:
        return self.mountpoint / "virtual-printer"

    @property
    def _trigger(self) -> Path:
        return Path("/sys/fs/ext4") / Path(self.device).name / "trigger_fs_error"

    def attach(self) -> None:
        """Make, attach and mount the volume; skip the test where that cannot be done."""
        with self.image.open("wb") as sparse:
            sparse.truncate(64 << 20)
        run_or_skip("mkfs.ext4", "-q", "-F", str(self.image))
        self.device = run_or_skip("losetup", "-f", "--show", str(self.image))
        self.mountpoint.mkdir(parents=True, exist_ok=True)
        self.printer_memory.mkdir(parents=True, exist_ok=True)
        self.mount()
        if not self._trigger.exists():
            pytest.skip(f"this kernel has no {self._trigger}")

    def mount(self) -> None:
        must_mount("-o", "errors=remount-ro", self.device, str(self.mountpoint))
        self._printer_mount.mkdir(exist_ok=True)
        must_mount("--bind", str(self.printer_memory), str(self._printer_mount))

    def fail(self) -> None:
        """An ext4 error: the kernel aborts the journal and remounts the volume read-only."""
        self._trigger.write_text("reliability test\n")

    def options(self) -> list[str]:
        for line in Path("/proc/mounts").read_text().splitlines():
            fields = line.split()
            if fields[0] == self.device and fields[1] == str(self.mountpoint):
                return fields[3].split(",")
        return []

    def repair(self) -> int:
        """What a technician does: unmount, fsck, mount again; returns e2fsck's exit code."""
        for path in (self._printer_mount, self.mountpoint):
            done = subprocess.run(["umount", str(path)], capture_output=True, check=False)
            assert done.returncode == 0, f"umount {path}: {done.stderr.decode()}"
        checked = subprocess.run(["e2fsck", "-f", "-y", self.device], capture_output=True)
        output = (checked.stdout + checked.stderr).decode()
        assert checked.returncode in (0, 1), output  # 1: errors corrected
        self.mount()
        return checked.returncode

    def detach(self) -> None:
        for path in (self._printer_mount, self.mountpoint):
            subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)
        if self.device:
            subprocess.run(["losetup", "-d", self.device], capture_output=True, check=False)
