"""The doctor's checks of files on disk: the state directory, the modes of the files with
personal data (the database, its WAL, the backups) and of the secrets (the broker password
file, the TLS key). They only look: nothing is created, changed or written."""

from __future__ import annotations

import os
import pwd
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from controller.app.backup import BACKUPS_DIR
from controller.app.config import Config
from controller.app.language import _

SERVICE_USER = "printstation"  # the unit's User=; the owner of the state directory it makes
LOW_FREE_MB = 100
DB_FILES = ("", "-wal", "-shm")


class Verdict(StrEnum):
    """A check's verdict, as its line starts."""

    OK = "ok"
    WARN = "warn"
    FAIL = "FAIL"
    SKIP = "skip"


@dataclass(frozen=True)
class Finding:
    """What one check found: its line."""

    name: str
    verdict: Verdict
    detail: str


def state_dir(config: Config) -> Finding:
    directory = config.state_dir
    if not directory.is_dir():
        text = _("%(dir)s does not exist yet (the service makes it)")
        return Finding("state_dir", Verdict.WARN, text % {"dir": directory})
    stats = os.statvfs(directory)
    free_mb = stats.f_bavail * stats.f_frsize // 2**20
    if not os.access(directory, os.W_OK):
        return Finding("state_dir", Verdict.FAIL, _("%(dir)s is not writable") % {"dir": directory})
    verdict = Verdict.WARN if free_mb < LOW_FREE_MB else Verdict.OK
    text = _("%(dir)s writable, %(free)s MB free")
    return Finding("state_dir", verdict, text % {"dir": directory, "free": free_mb})


def personal_data_modes(config: Config) -> Finding:
    """The database, its WAL and the backups hold personal data: readable by the daemon's
    user only (the daemon's umask, the unit's UMask=0077, `backup` makes its copies 0600)."""
    database = [config.db_path.with_name(config.db_path.name + end) for end in DB_FILES]
    backups = config.state_dir / BACKUPS_DIR
    files = [path for path in database if path.is_file()]
    if backups.is_dir():
        files += sorted(path for path in backups.iterdir() if path.is_file())
    if not files:
        return Finding("modes", Verdict.SKIP, _("no database or backup yet"))
    exposed = [
        _("%(path)s is %(mode)o") % {"path": path, "mode": mode}
        for path in files
        if (mode := path.stat().st_mode & 0o777) & 0o077
    ]
    if exposed:
        text = _("%(files)s: personal data readable by others")
        return Finding("modes", Verdict.FAIL, text % {"files": "; ".join(exposed)})
    text = _("%(count)s files of personal data readable by their owner only")
    return Finding("modes", Verdict.OK, text % {"count": len(files)})


def secrets(config: Config) -> list[Finding]:
    """The broker password and the TLS key: in files of their own, 0600 to the service user;
    an inline password in a config others may read fails."""
    mqtt, findings = config.mqtt, []
    if mqtt.password:
        config_mode = Path(config.path).stat().st_mode & 0o777
        readable = config_mode & 0o077
        findings.append(
            Finding(
                "secrets",
                Verdict.FAIL if readable else Verdict.WARN,
                _(
                    "%(path)s: [mqtt] password is in the config (mode %(mode)o):"
                    " move it to a file of its own, 0600, named by [mqtt] password_file"
                )
                % {"path": config.path, "mode": config_mode},
            )
        )
    owner = _service_user(config)
    for key, path in (("password_file", mqtt.password_file), ("tls_key", mqtt.tls_key)):
        if path:
            findings.append(_secret_file(key, Path(path), owner))
    return findings


def _secret_file(key: str, path: Path, owner: str | None) -> Finding:
    try:
        stats = path.stat()
    except OSError as exc:
        return Finding("secrets", Verdict.FAIL, f"[mqtt] {key} {path}: {exc.strerror}")
    mode = stats.st_mode & 0o777
    problems = (
        [_("mode %(mode)o, readable by others (0600)") % {"mode": mode}] if mode & 0o077 else []
    )
    holder = _user_name(stats.st_uid)
    if owner is not None and holder != owner:
        problems.append(
            _("owned by %(holder)s, not %(owner)s") % {"holder": holder, "owner": owner}
        )
    if problems:
        return Finding("secrets", Verdict.FAIL, f"[mqtt] {key} {path}: " + ", ".join(problems))
    text = _("%(mode)o, owner %(holder)s") % {"mode": mode, "holder": holder}
    return Finding("secrets", Verdict.OK, f"[mqtt] {key} {path}: {text}")


def _service_user(config: Config) -> str | None:
    """Who the daemon runs as: the owner of its state directory (systemd gives it to User=),
    else the package's user; None when neither exists (the owner is then not checked)."""
    if config.state_dir.is_dir():
        return _user_name(config.state_dir.stat().st_uid)
    try:
        return pwd.getpwnam(SERVICE_USER).pw_name
    except KeyError:
        return None


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)
