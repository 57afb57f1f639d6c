"""What an admin relies on: one daemon per state directory, SIGHUP that never touches a card,
STATUS= on every change, and a clean stop without a spurious error."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from testkit.broker import Broker
from testkit.cli import run_cli
from testkit.waiting import wait_until
from tests.daemon.conftest import ROOT
from tests.daemon.test_daemon import submit

pytestmark = pytest.mark.slow  # the daemon as a child process


def test_a_second_daemon_refuses_and_leaves_the_first_ones_socket(start_daemon) -> None:
    first = start_daemon()
    first.wait_ready()
    second = run_cli("run", "--config", str(first.config_path))
    assert second.returncode == 3
    lines = second.stderr.strip().splitlines()
    assert len(lines) == 1, second.stderr
    assert "another printstation daemon" in lines[0] and str(first.process.pid) in lines[0]
    assert first.command("status")["ok"]  # its control socket is still there and answers
    assert (first.state_dir / "control.sock").exists()


def test_sighup_during_a_card_rereads_the_config_and_the_card_is_printed(start_daemon) -> None:
    daemon = start_daemon(seconds_per_card=2)
    daemon.wait_ready()
    submit(daemon, 1)
    wait_until(lambda: daemon.command("status")["result"]["state"] == "printing")
    daemon.process.send_signal(signal.SIGHUP)
    wait_until(lambda: daemon.command("jobs")["result"]["counts"]["printed"] == 1)
    assert daemon.process.poll() is None
    assert daemon.command("jobs")["result"]["counts"]["needs_review"] == 0
    log = (daemon.config_path.parent / "daemon-0.log").read_text()
    assert "config reloaded" in log


def test_every_state_change_is_sent_as_status(start_daemon) -> None:
    daemon = start_daemon(seconds_per_card=1)
    daemon.wait_ready()
    submit(daemon, 1)
    wait_until(lambda: daemon.command("status")["result"]["duty"]["printed_today"] == 1)
    wait_until(lambda: daemon.command("status")["result"]["state"] == "ready")
    statuses = [m for m in daemon.messages() if m.startswith("STATUS=")]
    states = [m.split(";")[0] for m in statuses]
    assert "STATUS=state printing" in states
    assert states.index("STATUS=state printing") < len(states) - 1  # and a later one
    assert any("1/500 printed today" in m for m in statuses)


def test_a_clean_stop_logs_no_error(start_daemon, tmp_path) -> None:
    broker = Broker.plain(tmp_path / "broker")
    broker.start()
    try:
        daemon = start_daemon(mqtt_port=broker.port)
        daemon.wait_ready()
        wait_until(lambda: daemon.command("status")["result"]["link"]["connected"])
        daemon.process.send_signal(signal.SIGTERM)
        assert daemon.process.wait(20) == 0
    finally:
        broker.kill()
    records = [
        json.loads(line)
        for line in (tmp_path / "daemon-0.log").read_text().splitlines()
        if line.startswith("{")
    ]
    assert any(r["event"] == "mqtt offline status published" for r in records)
    assert [r for r in records if r["level"] in ("error", "critical")] == []


def test_status_and_jobs_are_tables_in_local_time_and_json_on_request(start_daemon) -> None:
    daemon = start_daemon(seconds_per_card=30)
    daemon.wait_ready()
    submit(daemon, 1)
    env = {"PRINTSTATION_CONFIG": str(daemon.config_path), "PYTHONPATH": str(ROOT)}
    table = run_cli("status", env=env)
    assert table.returncode == 0, table.stderr
    assert "MQTT" in table.stdout and "DISCONNECTED" in table.stdout
    assert "events not yet sent: 1" in table.stdout  # job.accepted, no broker
    assert " WIB" in table.stdout  # Asia/Jakarta, the default zone
    jobs = run_cli("jobs", "--config", str(daemon.config_path), env=env)
    assert jobs.stdout.splitlines()[0].split() == [
        "JOB", "STATE", "REASON", "TRIES", "NIK", "RECEIVED", "NOT", "AFTER",
    ]  # fmt: skip
    assert "JOB-2026-000001" in jobs.stdout and " WIB" in jobs.stdout
    as_json = json.loads(run_cli("--config", str(daemon.config_path), "status", "--json").stdout)
    assert as_json["link"] == {"connected": False, "session": as_json["link"]["session"],
                               "unsent_events": 1}  # fmt: skip


def test_submit_exits_non_zero_for_a_rejected_job(start_daemon, tmp_path) -> None:
    from testkit.jobs import make_job, payload

    daemon = start_daemon()
    daemon.wait_ready()
    env = {"PYTHONPATH": str(ROOT)}
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_bytes(payload(make_job(1)))
    bad.write_bytes(payload(make_job(2, schema="ektp.job/9")))
    accepted = run_cli("--config", str(daemon.config_path), "submit", str(good), env=env)
    assert accepted.returncode == 0, accepted.stderr
    refused = run_cli("submit", str(bad), "--config", str(daemon.config_path), env=env)
    assert refused.returncode == 5
    assert "job refused" in refused.stderr


def test_state_dir_problems_are_one_line_naming_the_directory_and_user() -> None:
    # Not under tmp_path: pytest's base directory is private to root, and one case runs as nobody.
    with tempfile.TemporaryDirectory(dir="/tmp") as name:
        base = Path(name)
        base.chmod(0o755)
        (base / "file").write_text("not a directory")
        (base / "locked").mkdir(mode=0o755)
        config = base / "station.toml"
        for state_dir, as_nobody, words in (
            (base / "file" / "state", False, "cannot be created as user root"),
            (base / "locked", True, "is not writable by user nobody"),
        ):
            config.write_text(
                f'[station]\nid = "3271-bogor-timur-01"\nstate_dir = "{state_dir}"\n'
                '[printer]\ndriver = "virtual"\n'
            )
            config.chmod(0o644)
            nobody = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
            result = subprocess.run(
                [*(nobody if as_nobody else []), sys.executable, "-m", "controller", "run",
                 "--config", str(config)],
                cwd=ROOT, capture_output=True, text=True, timeout=30,
                env={"PYTHONPATH": str(ROOT)},
            )  # fmt: skip
            assert result.returncode == 3, result.stderr
            lines = result.stderr.strip().splitlines()
            assert len(lines) == 1 and str(state_dir) in lines[0] and words in lines[0], lines


def test_backup_while_the_daemon_runs_holds_every_job(start_daemon, tmp_path) -> None:
    import sqlite3

    daemon = start_daemon(seconds_per_card=30)
    daemon.wait_ready()
    for n in (1, 2, 3):
        submit(daemon, n)
    target = tmp_path / "copy.db"
    result = run_cli("backup", "--to", str(target), "--config", str(daemon.config_path))
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(target) as copy:
        assert copy.execute("SELECT count(*) FROM jobs").fetchone()[0] == 3
    again = run_cli("backup", "--to", str(target), "--config", str(daemon.config_path))
    assert again.returncode == 5 and "exists already" in again.stderr
