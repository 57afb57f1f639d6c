"""Issue 27: a refusal said by the daemon travels with its message and values (an addition to
the control socket's `error`), and the command line says it in the person's language; the
English `message` is as before."""

from __future__ import annotations

import json

import pytest

from contract.commands import CommandReply, Refusal
from contract.errors import CommandError
from contract.vocabulary import ActionSource, CommandErrorCode, Role
from controller.app.language import refusal_text
from controller.core.commands import StationCommands
from controller.queue.audit import Actor
from controller.said import refusal, said

NOT_AUTHORIZED = CommandErrorCode.NOT_AUTHORIZED
ROOT = Actor(ActionSource.LOCAL, "root (uid 0, pid 10)", user="root", superuser=True)


def _not_a_supervisor() -> Refusal:
    text = said(
        "%(doing)s needs a %(role)s; %(name)s is an %(has)s",
        doing=said("countersigning a lot"),
        role=Role.SUPERVISOR,
        name="budi",
        has=Role.OPERATOR,
    )
    body = json.loads(json.dumps(refusal(NOT_AUTHORIZED, text).body()))  # as on the socket
    error = CommandReply.from_body(body).error
    assert error is not None
    return error


def test_the_socket_sends_the_english_message_with_its_message_and_values() -> None:
    error = _not_a_supervisor()
    assert error.message == "countersigning a lot needs a supervisor; budi is an operator"
    assert error.template == "%(doing)s needs a %(role)s; %(name)s is an %(has)s"
    assert error.values == {
        "doing": "countersigning a lot",
        "role": "supervisor",
        "name": "budi",
        "has": "operator",
    }
    assert error.said == ("doing",)  # a message itself, translated too


@pytest.mark.parametrize(
    "text",
    ["wrong", said("%(n)r blanks", n=3), said("%(n)r blanks", n=None)],
    ids=["not said", "a number put in with %r", "None put in with %r"],
)
def test_a_text_whose_values_cannot_say_it_again_is_sent_in_english_alone(text: str) -> None:
    english = {"code": "not_authorized", "message": str(text)}
    assert refusal(NOT_AUTHORIZED, text).body() == {"ok": False, "error": english}


@pytest.mark.usefixtures("no_language")
def test_the_command_line_says_it_in_bahasa_indonesia() -> None:
    assert refusal_text(_not_a_supervisor()) == (
        "menandatangani lot memerlukan supervisor; budi adalah operator"
    )


def test_the_command_line_says_it_in_english_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANGUAGE", "en")
    assert refusal_text(_not_a_supervisor()) == (
        "countersigning a lot needs a supervisor; budi is an operator"
    )


@pytest.mark.usefixtures("no_language")
@pytest.mark.parametrize(
    "error",
    [
        Refusal(NOT_AUTHORIZED, "from an older daemon"),  # no template
        Refusal(NOT_AUTHORIZED, "as sent", "no account %(name)r", {}),  # values missing
        Refusal(NOT_AUTHORIZED, "as sent", "%(n)d blanks", {"n": "x"}),  # values that do not fit
        Refusal(NOT_AUTHORIZED, "as sent", "no account %(name)r", {"name": "x"}),  # not the message
    ],
)
def test_the_english_message_when_the_template_cannot_be_said(error: Refusal) -> None:
    assert refusal_text(error) == error.message


@pytest.mark.usefixtures("no_language")
def test_a_refusal_of_the_store_is_said_as_the_english_said_it(make_station) -> None:
    """An account that exists: the store's error passed on, its None Unix user put in as the
    English text put it (the socket's values are strings)."""
    local = StationCommands(make_station().station, local=True)
    account = {"name": "budi", "full_name": "Budi", "role": "operator"}
    local.handle("account-add", account, ROOT)
    with pytest.raises(CommandError) as refused:
        local.handle("account-add", account, ROOT)
    body = json.loads(json.dumps(refusal(refused.value.code, refused.value.message).body()))
    error = CommandReply.from_body(body).error
    assert error is not None and error.message == (
        "account 'budi' or Unix user None exists already"
    )
    assert refusal_text(error) == "akun 'budi' atau pengguna Unix None sudah ada"


@pytest.mark.usefixtures("no_language")
def test_a_template_the_catalog_does_not_know_is_said_in_english() -> None:
    error = Refusal(
        NOT_AUTHORIZED, "a newer daemon's words", "a newer daemon's %(what)s", {"what": "words"}
    )
    assert refusal_text(error) == "a newer daemon's words"
