"""The central office's real parts for tests and the demo: gammu-smsd with its dummy phone on a
PostgreSQL database, replicas of `printstation-central run` as child processes, and the
office's record of the jobs (`citizens`)."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import psycopg

GAMMU_SMSD = shutil.which("gammu-smsd") or "/usr/bin/gammu-smsd"


def citizens(dsn: str, jobs: list[str]) -> None:
    """The office's record of each job `JOB-{station}-{nnnnn}`, bound to that station."""
    sql = "COPY citizen_jobs (job_id, phone, pickup_office, station) FROM STDIN"
    with psycopg.connect(dsn) as conn, conn.cursor() as cur, cur.copy(sql) as copy:
        for i, job in enumerate(jobs):
            copy.write_row((job, f"+62812{i:08d}", "Kecamatan Bogor Timur", job[4:-6]))


class GammuSmsd:
    """The real gammu-smsd on the test database, with Gammu's `dummy` phone (no modem)."""

    def __init__(self, workdir: Path, dbname: str) -> None:
        self.workdir = workdir
        (workdir / "phone").mkdir(parents=True, exist_ok=True)
        self.config = workdir / "smsdrc"
        self.config.write_text(
            "\n".join(
                [
                    "[gammu]",
                    f"device = {workdir}/phone",
                    "model = dummy",
                    "connection = none",
                    "[smsd]",
                    "service = sql",
                    "driver = native_pgsql",
                    "host = 127.0.0.1",
                    "user = postgres",
                    "password =",
                    f"database = {dbname}",
                    f"logfile = {workdir}/smsd.log",
                    "debuglevel = 0",
                    "commtimeout = 0",
                    "sendtimeout = 1",
                    "loopsleep = 0",
                    "statusfrequency = 0",
                    "phoneid = dummy",
                    "",
                ]
            )
        )
        self.process = subprocess.Popen(
            [GAMMU_SMSD, "-c", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=(workdir / "stderr.log").open("wb"),
        )

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


class CentralReplica:
    """`python -m central run` with a stable client id; killed (SIGKILL) and started again."""

    def __init__(self, workdir: Path, dsn: str, mqtt_port: int, replica: str, *extra: str) -> None:
        self.workdir, self.replica = workdir, replica
        workdir.mkdir(parents=True, exist_ok=True)
        self.log_path = workdir / f"{replica}.log"
        self.argv = [
            sys.executable,
            "-m",
            "central",
            "--database",
            dsn,
            "run",
            "--mqtt-port",
            str(mqtt_port),
            "--replica",
            replica,
            *extra,
        ]
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(20)

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_events(self) -> list[dict]:
        """The replica's log lines (JSON: its stderr is no terminal), as dicts."""
        return [json.loads(line) for line in self.log_text().splitlines() if line.startswith("{")]
