"""Issue 26: the command line's manual actions against a running station's control socket:
`resolve --reason` settles a card whose counter moved, the actions answer in words, `reload`
names its options in its errors, `submit` says which key turns it on, and the blanks' books
come as a table or CSV."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from contract.vocabulary import ActionSource
from controller.app.cli import EXIT_REFUSED, EXIT_USAGE, main
from controller.local.server import ControlServer
from controller.queue.audit import Actor
from testkit.jobs import make_job, payload
from testkit.waiting import wait_until
from tests.station.conftest import Running

LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[")  # the station's, same process
pytestmark = pytest.mark.skipif(
    __import__("os").getuid() != 0, reason="root may act without being a configured operator"
)


@pytest.fixture
def cli(
    make_station, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> Iterator[Callable[..., tuple[Running, Callable[..., tuple[int, str, str]]]]]:
    servers: list[ControlServer] = []

    def start(**station: object) -> tuple[Running, Callable[..., tuple[int, str, str]]]:
        running = make_station(**station)
        server = ControlServer(running.config.control_socket, running.commands)
        server.start()
        servers.append(server)

        def run(*argv: str) -> tuple[int, str, str]:
            try:
                code = main(["--config", str(tmp_path / "station.toml"), *argv])
            except SystemExit as exit_:  # argparse's usage errors
                code = int(exit_.code or 0)
            out = capsys.readouterr()
            printed = [line for line in out.out.splitlines(True) if not LOG_LINE.match(line)]
            return code, "".join(printed), out.err

        return running, run

    yield start
    for server in servers:
        server.stop()


def test_resolve_with_a_reason_settles_a_card_whose_counter_moved(cli) -> None:
    running, run = cli(faults='{ at_card = 1, kind = "unplug", seconds = 0.2 }')
    running.store.intake.submit(payload(make_job(3)))
    wait_until(lambda: running.states()["needs_review"] == 1, timeout=15)
    code, _, err = run("resolve", "JOB-2026-000003", "not_printed")
    assert code == EXIT_REFUSED and "needs a reason" in err
    code, out, err = run(
        "resolve", "JOB-2026-000003", "not_printed", "--reason", "tray empty, printer checked"
    )
    assert code == 0, err
    assert out.startswith("job JOB-2026-000003 is ")
    [event] = running.events("job.resolved")
    assert event.data["reason"] == "tray empty, printer checked"


def test_the_actions_answer_in_words_and_reload_names_its_options(cli) -> None:
    running, run = cli(paused=True)
    assert run("resume")[1].startswith("resumed: printing goes on")
    assert run("pause")[1].startswith("paused: the card in progress finishes")
    running.store.intake.submit(payload(make_job(1)))
    assert (
        run("cancel", "JOB-2026-000001")[1] == "job JOB-2026-000001 is cancelled (0 blanks used)\n"
    )
    assert run("reload", "ribbon", "150")[1] == "reloaded: 150 of 200 on the books\n"
    code, _, err = run("reload", "ribbon", "300")
    assert code == EXIT_REFUSED and "--capacity" in err
    code, _, err = run("reload", "ribbon", "100", "--capacity", "0")
    assert code == EXIT_USAGE and "argument --capacity: must be a whole number" in err
    code, _, err = run("reload", "ribbon", "many")
    assert code == EXIT_USAGE and "argument count: must be a whole number" in err
    code, _, err = run("reload", "ribbon", "100", "--capacity", "50")
    assert code == EXIT_USAGE and "--capacity must be at least COUNT" in err


def test_submit_says_which_key_turns_it_on(cli, tmp_path: Path) -> None:
    _, run = cli()
    job = tmp_path / "job.json"
    job.write_bytes(payload(make_job(1)))
    code, _, err = run("submit", str(job))
    assert code == EXIT_REFUSED and "'[local] submit = true'" in err


def test_the_blanks_books_as_a_table_and_csv(cli) -> None:
    running, run = cli(paused=True)
    siti = ("account-add", "siti", "--full-name", "Siti", "--role", "supervisor")
    assert run(*siti, "--unix-user", "siti")[0] == 0
    code, _, err = run("lot-receive", "cards", "L-9", "25", "--received-on", "2026-12-01")
    assert code == EXIT_REFUSED and "needs a named person" in err  # root has no account
    code, _, err = run(
        "account-add", "rootop", "--full-name", "Root", "--role", "operator", "--unix-user", "root"
    )
    assert code == 0, err
    assert run("lot-receive", "cards", "L-9", "25", "--received-on", "2026-12-01")[0] == 0
    assert run("blanks-report", "--csv")[1].splitlines()[1:] == []  # not countersigned yet
    siti_at_kiosk = Actor(ActionSource.LOCAL, "siti (uid 1001, pid 7)", user="siti")
    running.commands.handle("lot-countersign", {"consumable": "cards", "lot": "L-9"}, siti_at_kiosk)
    code, out, _ = run("blanks-report", "--csv")
    assert out.splitlines() == [
        "consumable,lot,received,printed,spoiled,destroyed,in_custody,adjusted,in_stock",
        "cards,L-9,25,0,0,0,0,0,25",
    ]
    table = run("blanks-report", "2026-12")[1].splitlines()
    assert table[0].split()[:3] == ["CONSUMABLE", "LOT", "RECEIVED"]
    assert table[1].split()[:3] == ["cards", "L-9", "25"]
    assert run("blanks-report", "2026-13")[0] == EXIT_USAGE
    page = run("blanks-report", "2026-12", "--html")[1]
    assert page.startswith("<!DOCTYPE html>") and "3271-bogor-timur-01, 2026-12" in page
    assert "<td>L-9</td><td>25</td>" in page and "Supervisor" in page
