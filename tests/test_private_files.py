"""Issue 28: what a local user in group `printstation` (the technicians' group, given the
command line by docs/operations.md) can and cannot read: the config yes, the broker password,
the TLS key and the backups no."""

from __future__ import annotations

import io
import os
import pwd
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from controller.app.backup import backup_database
from controller.app.cli import main

pytestmark = pytest.mark.skipif(os.getuid() != 0, reason="needs root to act as another user")

NOBODY = pwd.getpwnam("nobody").pw_uid
TECHNICIANS = 4928  # stands for group printstation: a gid no account uses here


def as_technician(action: Callable[[], str]) -> str:
    """`action`'s answer, run in a forked child as user nobody in the technicians' group (the
    interpreter itself is not theirs to run here, so the child does not exec)."""
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child
        answer = "child failed"
        try:
            os.close(read_end)
            os.setgroups([TECHNICIANS])
            os.setgid(TECHNICIANS)
            os.setuid(NOBODY)
            answer = action()
        finally:
            os.write(write_end, answer.encode())
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        answer = pipe.read().decode()
    os.waitpid(child, 0)
    return answer


def technician_reads(path: Path) -> str:
    """What a technician gets when reading `path`: its text, or the error's name."""

    def read() -> str:
        try:
            return path.read_text()
        except OSError as exc:
            return type(exc).__name__

    return as_technician(read)


def technician_runs(*argv: str) -> str:
    """`printstation ARGV` as a technician: its exit code and what it wrote to stderr."""

    def run() -> str:
        with redirect_stderr(io.StringIO()) as errors, redirect_stdout(io.StringIO()):
            code = main(list(argv))
        return f"{code} {errors.getvalue()}"

    return as_technician(run)


@pytest.fixture
def etc() -> Iterator[Path]:
    """A config directory as the package makes it: others may pass through /tmp to it."""
    folder = Path(tempfile.mkdtemp(prefix="etc-printstation-"))
    folder.chmod(0o755)
    yield folder
    for item in sorted(folder.rglob("*"), reverse=True):
        item.rmdir() if item.is_dir() else item.unlink()
    folder.rmdir()


def test_the_broker_password_is_the_services_alone(etc: Path) -> None:
    """The config is group-readable, the password is not in it, and the command line runs
    without reading the password file (it cannot)."""
    password = etc / "mqtt-password"
    password.write_text("s3cret\n")
    password.chmod(0o600)
    key, cert = etc / "station.key", etc / "station.crt"
    key.write_text("-----BEGIN PRIVATE KEY-----\n")
    key.chmod(0o600)
    cert.write_text("-----BEGIN CERTIFICATE-----\n")
    config = etc / "station.toml"
    config.write_text(
        f'[station]\nid = "3271-bogor-timur-01"\nstate_dir = "{etc / "state"}"\n'
        f'[mqtt]\nusername = "3271-bogor-timur-01"\npassword_file = "{password}"\n'
        f'tls_cert = "{cert}"\ntls_key = "{key}"\n'
    )
    os.chown(config, 0, TECHNICIANS)
    config.chmod(0o640)  # as debian/printstation.postinst leaves it
    assert "password_file" in technician_reads(config)
    assert "s3cret" not in technician_reads(config)
    assert technician_reads(password) == technician_reads(key) == "PermissionError"
    status = technician_runs("--config", str(config), "status")
    assert status.startswith("4 "), status  # the daemon is not running: the config read fine


def test_a_backup_is_0600_whatever_the_umask(etc: Path) -> None:
    database = etc / "station.db"
    with sqlite3.connect(database) as conn:
        conn.execute("CREATE TABLE jobs (nik TEXT)")
    conn.close()
    target = etc / "copy.db"
    old = os.umask(0o022)
    try:
        backup_database(database, target)
    finally:
        os.umask(old)
    assert target.stat().st_mode & 0o777 == 0o600
    os.chown(target, 0, TECHNICIANS)
    assert technician_reads(target) == "PermissionError"


def test_a_failed_backup_leaves_no_file(etc: Path) -> None:
    with pytest.raises(sqlite3.Error):
        backup_database(etc / "missing.db", etc / "copy.db")
    assert not (etc / "copy.db").exists()
