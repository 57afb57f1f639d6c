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
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.reliability import checks
from tests.reliability.conftest import Report
from tests.reliability.harness import TOPIC_BASE, StationProcess, StationSettings
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


def remount(path: Path, mode: str) -> None:
    done = mount("-o", f"remount,{mode}", str(path))
    assert done.returncode == 0, done.stderr.decode()


class DiskRun:
    def __init__(self, workdir: Path, stack: ExitStack) -> None:
        self.today = station_today()
        self.broker = Broker.plain(workdir / "broker")
        self.broker.start()
        stack.callback(self.broker.kill)
        self.recorder = Recorder(self.broker.port, "disk-recorder").start()
        stack.callback(self.recorder.stop)
        self.central = CentralOffice(self.broker.port, "disk-central").start()
        stack.callback(self.central.stop)
        self.state = stack.enter_context(small_tmpfs(workdir / "station" / "state"))
        stack.callback(lambda: remount(self.state, "rw") if self.read_only else None)
        self.read_only = False
        self.settings = StationSettings(mqtt_port=self.broker.port)
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
        yield DiskRun(workdir, stack)


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
        remount(run.state, "ro")
        run.read_only = True
        during_ro = run.publish(3)
        run.station.start()
        assert run.station.process is not None
        code = run.station.process.wait(30)
        refusal = run.station.log_tail(1)
        assert code != 0 and "station database" in refusal, refusal
        remount(run.state, "rw")
        run.read_only = False
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
