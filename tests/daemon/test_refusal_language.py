"""Issue 27: the daemon's refusals reach the command line with their message and values, so it
says them in Bahasa Indonesia by default and in English with LANG=en; the control socket's
`error.message` stays English (docs/interface.md)."""

from __future__ import annotations

import pytest

from testkit.cli import run_cli
from tests.daemon.conftest import ROOT

pytestmark = pytest.mark.slow  # the daemon as a child process

OVER = ("reload", "cards", "5000")


def test_a_refused_reload_is_said_in_the_persons_language(start_daemon) -> None:
    daemon = start_daemon()
    daemon.wait_ready()
    config = str(daemon.config_path)
    default = run_cli("--config", config, *OVER, env={"PYTHONPATH": str(ROOT), "LANGUAGE": ""})
    assert default.returncode == 5
    assert default.stderr.startswith("printstation: invalid_args: jumlah 5000 melebihi kapasitas")
    assert "kapasitas baru" in default.stderr and "capacity 100" not in default.stderr
    english = run_cli(
        "--config", config, *OVER, env={"PYTHONPATH": str(ROOT), "LANGUAGE": "", "LANG": "en_US"}
    )
    assert english.returncode == 5
    assert english.stderr.startswith(
        "printstation: invalid_args: count 5000 is more than the cards capacity "
    )
    assert "give the new capacity" in english.stderr


def test_the_socket_sends_the_english_message_with_its_template_and_values(
    start_daemon,
) -> None:
    daemon = start_daemon()
    daemon.wait_ready()
    error = daemon.command("reload", {"consumable": "cards", "count": 5000})["error"]
    capacity = error["values"]["capacity"]
    assert error["message"] == (
        f"count 5000 is more than the cards capacity {capacity}; give the new capacity"
        " (`capacity`; --capacity on the command line)"
    )
    assert error["template"] % error["values"] == error["message"]
    assert error["values"]["count"] == "5000" and error["values"]["consumable"] == "cards"
