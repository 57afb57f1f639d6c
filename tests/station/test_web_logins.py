"""Issue 27: the web page's logins at the daemon: passwords hashed with argon2id, a session per
login that acts for its account (audited under the person's name), the lock after five wrong
passwords, lifted only by a new password, and sessions that end."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from contract.vocabulary import ActionSource
from controller.app.cli import EXIT_USAGE, main
from controller.local.client import request
from controller.local.server import ControlServer
from controller.local.sessions import IDLE_S, MAX_S, Sessions
from controller.queue.audit import Actor
from tests.station.conftest import Running

ROOT = Actor(ActionSource.LOCAL, "root (uid 0, pid 10)", user="root", superuser=True)
Ask = Callable[..., dict[str, Any]]


@pytest.fixture
def socket_station(make_station) -> Iterator[tuple[Running, Ask]]:
    running = make_station(paused=True)
    for name, role in (("siti", "supervisor"), ("budi", "operator")):
        account = {"name": name, "full_name": name.title(), "role": role}
        running.commands.handle("account-add", account, ROOT)
        running.commands.handle(
            "account-password", {"name": name, "password": f"{name}-pw-1"}, ROOT
        )
    server = ControlServer(running.config.control_socket, running.commands)
    server.start()

    def ask(cmd: str, args: dict[str, Any] | None = None, session: str | None = None) -> Any:
        return request(running.config.control_socket, cmd, args, session)

    yield running, ask
    server.stop()


def test_a_login_opens_a_session_whose_actions_are_audited_under_the_person(
    socket_station,
) -> None:
    running, ask = socket_station
    reply = ask("login", {"name": "budi", "password": "budi-pw-1"})
    assert reply["ok"] and reply["result"]["role"] == "operator"
    session = reply["result"]["session"]
    assert ask("resume", {}, session)["ok"]
    receive = {"consumable": "cards", "lot": "L-1", "quantity": 10, "received_on": "2026-12-01"}
    assert ask("lot-receive", receive, session)["ok"]  # needs a named person: the session's
    countersign = ask("lot-countersign", {"consumable": "cards", "lot": "L-1"}, session)
    assert countersign["error"]["code"] == "not_authorized"  # an operator may not
    entries = running.store.audit.entries()
    assert [(e.command, e.account) for e in entries[-4:]] == [
        ("login", None),
        ("resume", "budi"),
        ("lot-receive", "budi"),
        ("lot-countersign", "budi"),
    ]
    assert all("pw" not in str(e.args) for e in entries)  # no password in the audit
    ask("logout", {}, session)
    assert ask("status", {}, session)["error"]["code"] == "not_authorized"


def test_five_wrong_passwords_lock_the_account_until_a_new_one_is_set(socket_station) -> None:
    _, ask = socket_station
    for _ in range(4):
        assert "wrong" in ask("login", {"name": "budi", "password": "nope"})["error"]["message"]
    assert "locked" in ask("login", {"name": "budi", "password": "nope"})["error"]["message"]
    locked = ask("login", {"name": "budi", "password": "budi-pw-1"})
    assert "locked" in locked["error"]["message"]  # the right password no longer opens it
    siti = ask("login", {"name": "siti", "password": "siti-pw-1"})["result"]["session"]
    assert ask("account-password", {"name": "budi", "password": "budi-pw-2"}, siti)["ok"]
    assert ask("login", {"name": "budi", "password": "budi-pw-2"})["ok"]


def test_an_operator_sets_only_their_own_password(socket_station) -> None:
    _, ask = socket_station
    budi = ask("login", {"name": "budi", "password": "budi-pw-1"})["result"]["session"]
    other = ask("account-password", {"name": "siti", "password": "taken-over"}, budi)
    assert other["error"]["code"] == "not_authorized"
    assert (
        ask("account-password", {"name": "budi", "password": "short"}, budi)["error"]["code"]
        == "invalid_args"
    )
    assert ask("account-password", {"name": "budi", "password": "budi-pw-9"}, budi)["ok"]


def test_the_command_line_sets_a_password_typed_twice(socket_station, monkeypatch) -> None:
    running, ask = socket_station
    typed = iter(["budi-baru-1", "budi-baru-1", "satu", "dua"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(typed))
    config = ["--config", running.config.path]
    assert main([*config, "account-password", "budi"]) == 0
    assert ask("login", {"name": "budi", "password": "budi-baru-1"})["ok"]
    assert main([*config, "account-password", "budi"]) == EXIT_USAGE  # the two differ


def test_a_password_is_stored_as_an_argon2id_hash(socket_station) -> None:
    running, _ = socket_station
    with running.store.db.reading() as conn:
        stored = conn.execute("SELECT hash FROM passwords WHERE account = 'budi'").fetchone()[0]
    assert stored.startswith("$argon2id$") and "budi-pw-1" not in stored


def test_a_session_ends_when_idle_even_while_the_page_polls_and_after_a_working_day() -> None:
    now = [0.0]
    sessions = Sessions(lambda: now[0])
    token = sessions.open("budi")
    now[0] += IDLE_S - 1
    assert sessions.account(token) == "budi"  # used: the idle time starts again
    now[0] += IDLE_S - 1
    assert sessions.account(token, use=False) == "budi"  # the page's polling
    now[0] += 2
    assert sessions.account(token) is None  # polling kept nobody logged in
    token, opened = sessions.open("budi"), now[0]
    while now[0] + IDLE_S / 2 <= opened + MAX_S:
        now[0] += IDLE_S / 2
        assert sessions.account(token) == "budi"  # in use all day
    now[0] += IDLE_S / 2
    assert sessions.account(token) is None
