"""A full disk, then a read-only one, under the running daemon's state directory.

The state directory is a small tmpfs of its own (`mount -t tmpfs`, which needs root or
CAP_SYS_ADMIN, as CI has; elsewhere the test is skipped and says why). Mid-run the test fills
it to the last byte, publishes jobs, frees it, remounts it read-only, publishes more, and
makes it writable again. While storage fails the station must show the `storage_error` alert
in its status and acknowledge no job it could not store: those jobs reach it later only
because the broker still holds them (the central office never sends anything twice here).
Nothing it had acknowledged before may be lost, and the usual checks hold at the end.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, closing, contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.reliability import checks
from tests.reliability.conftest import Report
from tests.reliability.harness import TOPIC_BASE, StationProcess, StationSettings
from tests.reliability.operator import Operator
from tests.reliability.peers import CentralOffice, Recorder
from tests.reliability.people import encode, person_of, valid_job
from tests.support.broker import Broker
from tests.support.jobs import station_today
from tests.support.waiting import wait_until

pytestmark = pytest.mark.reliability
TMPFS_SIZE = "8m"


def mount(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["mount", *args], capture_output=True, check=False)


@contextmanager
def small_tmpfs(path: Path) -> Iterator[Path]:
    path.mkdir(parents=True)
    done = mount("-t", "tmpfs", "-o", f"size={TMPFS_SIZE},mode=0755", "tmpfs", str(path))
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs ({done.stderr.decode().strip()}): needs root")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)


def fill(directory: Path) -> int:
    """Write a file until the file system has no byte left; returns its size."""
    written = 0
    with open(directory / "filler", "wb", buffering=0) as filler:
        for chunk in (1 << 20, 1 << 16, 1 << 12, 1 << 9):
            block = os.urandom(chunk)
            while True:
                try:
                    written += filler.write(block)
                except OSError as exc:
                    if exc.errno != errno.ENOSPC:
                        raise
                    break
    return written


@contextmanager
def remounted_read_only(path: Path) -> Iterator[None]:
    """The file system at `path` read-only until the block ends (no file open for writing)."""
    done = mount("-o", "remount,ro", str(path))
    assert done.returncode == 0, done.stderr.decode()
    try:
        yield
    finally:
        mount("-o", "remount,rw", str(path))


class DiskRun:
    """The station on storage of its own (`storage` mounts it at the path it is given), a
    broker, the central office and a recorder."""

    def __init__(
        self,
        workdir: Path,
        stack: ExitStack,
        storage: Callable[[Path], AbstractContextManager[Path]],
        seconds_per_card: float = 0.02,
    ) -> None:
        self.today = station_today()
        self.broker = Broker.plain(workdir / "broker")
        self.broker.start()
        stack.callback(self.broker.kill)
        self.recorder = Recorder(self.broker.port, "disk-recorder").start()
        stack.callback(self.recorder.stop)
        self.central = CentralOffice(self.broker.port, "disk-central").start()
        stack.callback(self.central.stop)
        self.state = stack.enter_context(storage(workdir / "station" / "state"))
        self.settings = StationSettings(
            mqtt_port=self.broker.port, seconds_per_card=seconds_per_card
        )
        self.station = StationProcess(workdir / "station", self.settings)
        stack.callback(self.station.kill)
        self.jobs: dict[str, dict[str, Any]] = {}

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


def describe(status: dict[str, Any]) -> str:
    return f"{status['state']}, alerts {[alert['code'] for alert in status['alerts']]}"


@contextmanager
def disk_run(workdir: Path) -> Iterator[DiskRun]:
    with ExitStack() as stack:
        yield DiskRun(workdir, stack, small_tmpfs)


def test_a_full_disk_then_a_read_only_one_raise_the_alarm_and_lose_nothing(
    tmp_path: Path, report: Report
) -> None:
    with disk_run(tmp_path) as run:
        run.station.start()
        run.station.wait_ready()
        run.recorder.wait_for_station()
        before = run.publish(8)
        run.printed(before, 90)

        # The disk fills up under the running station.
        full_at = time.time()
        filler = fill(run.state)
        during_full = run.publish(5)
        full_status = run.wait_for_storage_alert(full_at)
        (run.state / "filler").unlink()
        writable_at = time.time()
        # No resend: only the broker, which kept what the station did not acknowledge, can
        # bring these jobs back; none was accepted before storage worked again.
        run.printed(during_full, 90)
        accepted = run.events("job.accepted")
        early = [job for job in during_full if accepted[job] < writable_at - 0.2]
        assert not early, f"accepted while the disk was full: {early}"
        recovered_s = max(run.events("card.printed").values()) - writable_at

        # A power cut, and the storage comes back read-only (a worn SD card does that).
        run.station.kill()
        with remounted_read_only(run.state):
            during_ro = run.publish(3)
            run.station.start()
            assert run.station.process is not None
            code = run.station.process.wait(30)
            refusal = run.station.log_tail(1)
            assert code != 0 and "station database" in refusal, refusal
        run.station.start()
        run.station.wait_ready()
        run.printed(during_ro, 90)

        assert run.station.stop() == 0
        ev = checks.gather(run.station.db_path, run.station.cards(), run.recorder.messages())
        people = [person_of(job, n + 1, "disk") for n, job in enumerate(run.jobs.values())]
        storage_events = [
            e["type"] for e in ev.events.values()
            if e["type"].startswith("alert.") and e["data"]["code"] == "storage_error"
        ]  # fmt: skip
        assert storage_events[:1] == ["alert.raised"], storage_events
        printer_state = run.station.state_dir / "virtual-printer" / "state.json"
        figures = {
            "state directory": f"its own tmpfs of {TMPFS_SIZE}",
            "disk filled under the running station with (bytes)": filler,
            "status while full": describe(full_status),
            "jobs published while full": len(during_full),
            "accepted while full": len(early),
            "all printed after space came back, within (s)": round(recovered_s, 1),
            "read-only at start: the daemon": f"exit {code}: {refusal.strip()[:100]}",
            "jobs published meanwhile, printed after": len(during_ro),
            "storage alert events": storage_events,
            **checks.check_jobs_ended_once(ev, run.jobs),
            **checks.check_cards(ev, []),
            **checks.check_events(ev),
            **checks.check_no_personal_data(ev, people),
            "cards": checks.check_consumables(run.station.db_path, printer_state, ev)["cards"],
        }
    report("disk full, then read-only", figures)


# -- storage that turns read-only under the running station (an SD card that fails) ---------


class Ext4Volume:
    """An ext4 file system in an image file on a loop device, mounted with `errors=remount-ro`
    (as Debian mounts its root): an ext4 error, which `trigger_fs_error` raises on purpose,
    turns it read-only at once under the files open on it, as a failing SD card does. The
    printer's own memory (the virtual printer's files) is bind-mounted from elsewhere: it is
    not on the Pi's storage."""

    def __init__(self, image: Path, mountpoint: Path, printer_memory: Path) -> None:
        self.image, self.mountpoint, self.printer_memory = image, mountpoint, printer_memory
        self.device = ""

    def attach(self) -> Ext4Volume:
        with self.image.open("wb") as sparse:
            sparse.truncate(64 << 20)
        for command in (["mkfs.ext4", "-q", "-F", str(self.image)], ["losetup", "-f", "--show",
                        str(self.image)]):  # fmt: skip
            done = subprocess.run(command, capture_output=True, check=False)
            if done.returncode:
                pytest.skip(f"cannot make an ext4 loop device ({done.stderr.decode().strip()})")
        self.device = done.stdout.decode().strip()
        self.mountpoint.mkdir(parents=True, exist_ok=True)
        self.printer_memory.mkdir(parents=True, exist_ok=True)
        self.mount()
        return self

    def mount(self) -> None:
        done = mount("-o", "errors=remount-ro", self.device, str(self.mountpoint))
        assert done.returncode == 0, done.stderr.decode()
        printer = self.mountpoint / "virtual-printer"
        printer.mkdir(exist_ok=True)
        done = mount("--bind", str(self.printer_memory), str(printer))
        assert done.returncode == 0, done.stderr.decode()

    def fail(self) -> None:
        """An ext4 error: the kernel aborts the journal and remounts the volume read-only."""
        name = Path(self.device).name
        Path(f"/sys/fs/ext4/{name}/trigger_fs_error").write_text("reliability test\n")

    def options(self) -> list[str]:
        for line in Path("/proc/mounts").read_text().splitlines():
            fields = line.split()
            if fields[0] == self.device and fields[1] == str(self.mountpoint):
                return fields[3].split(",")
        return []

    def repair(self) -> int:
        """What a technician does: unmount, fsck, mount again; returns e2fsck's exit code."""
        self.unmount()
        checked = subprocess.run(["e2fsck", "-f", "-y", self.device], capture_output=True)
        assert checked.returncode in (0, 1), checked.stdout.decode()  # 1: errors corrected
        self.mount()
        return checked.returncode

    def unmount(self) -> None:
        for path in (self.mountpoint / "virtual-printer", self.mountpoint):
            subprocess.run(["umount", str(path)], capture_output=True, check=False)

    def detach(self) -> None:
        self.unmount()
        if self.device:
            subprocess.run(["losetup", "-d", self.device], capture_output=True, check=False)


def printing_now(db_path: Path) -> list[str]:
    with closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)) as conn:
        return [row[0] for row in conn.execute("SELECT job_id FROM jobs WHERE state = 'printing'")]


def test_storage_turning_read_only_mid_card_stops_cards_and_acks_and_loses_nothing(
    tmp_path: Path, report: Report
) -> None:
    volume = Ext4Volume(tmp_path / "sd-card.img", tmp_path / "station" / "state",
                        tmp_path / "printer-memory")  # fmt: skip

    @contextmanager
    def on_the_volume(path: Path) -> Iterator[Path]:
        assert path == volume.mountpoint
        try:
            yield volume.attach().mountpoint
        finally:
            volume.detach()

    with ExitStack() as stack:
        run = DiskRun(tmp_path, stack, on_the_volume, seconds_per_card=0.5)
        operator = Operator(run.station, run.central, run.recorder)
        run.station.start()
        run.station.wait_ready()
        run.recorder.wait_for_station()
        before = run.publish(6)
        wait_until(lambda: len(run.events("card.printed")) >= 2, 60, "two cards")
        in_progress = wait_until(lambda: printing_now(run.station.db_path), 30, "a card")

        failed_at, fed_before = time.time(), run.station.card_count()
        volume.fail()  # mid-card: the card's start is stored, its outcome cannot be
        options = volume.options()
        assert {"ro", "emergency_ro"} & set(options), options  # newer kernels: emergency_ro
        status = run.wait_for_storage_alert(failed_at)
        refused_before = run.station.log_lines("store failed; message(s) not acknowledged")
        during_ro = run.publish(3)
        wait_until(
            lambda: (
                run.station.log_lines("store failed; message(s) not acknowledged") > refused_before
            ),
            30,
            "the station refusing the jobs it cannot store",
        )
        accepted = run.events("job.accepted")
        assert not set(during_ro) & set(accepted), "a job acknowledged on read-only storage"

        # The technician stops the station (it stops cleanly) and repairs the storage.
        assert run.station.stop() == 0, run.station.log_tail()
        fed_after = run.station.card_count() - fed_before
        assert fed_after <= 1, f"{fed_after} blanks fed after the error: only the card in progress"
        fsck = volume.repair()
        run.station.start()
        run.station.wait_ready()
        operator.start()  # decides the interrupted card by the trays, if it is in review
        run.printed(before + during_ro, 90)
        operator.stop()
        assert run.station.stop() == 0

        ev = checks.gather(run.station.db_path, run.station.cards(), run.recorder.messages())
        people = [person_of(job, n + 1, "disk") for n, job in enumerate(run.jobs.values())]
        printer_state = run.station.state_dir / "virtual-printer" / "state.json"
        figures = {
            "state directory": "ext4 on a loop device, errors=remount-ro",
            "made read-only (ext4 error) mid-card of": in_progress[0],
            "mount options after the error": ",".join(options),
            "status while read-only": describe(status),
            "jobs published while read-only / acknowledged": f"{len(during_ro)} / 0",
            "blanks fed after the error (the card in progress)": fed_after,
            "the card in progress, at the next start": [
                e["type"] for e in ev.events.values() if e["job_id"] == in_progress[0]
            ],
            "operator reviews (by the tray)": [d.outcome for d in operator.log.decisions],
            "e2fsck exit code": fsck,
            **checks.check_jobs_ended_once(ev, run.jobs),
            **checks.check_cards(ev, []),
            **checks.check_events(ev),
            **checks.check_no_personal_data(ev, people),
            "cards": checks.check_consumables(run.station.db_path, printer_state, ev)["cards"],
        }
    report("storage read-only mid-card", figures)
