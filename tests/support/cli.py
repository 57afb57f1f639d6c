"""`python -m controller ...` as a child process."""

from __future__ import annotations

import subprocess
import sys


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """An `env` given is all the child's environment, in English unless it says otherwise."""
    return subprocess.run(
        [sys.executable, "-m", "controller", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=None if env is None else {"LANGUAGE": "en", **env},
    )
