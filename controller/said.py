"""A message said in English that the command line can say again in the person's language.

The parts below the command line (the config's checks and rules, the doctor's probes) may not
import its catalog (controller/app/language.py); they say a message with `said`, which gives the
English text, a str like any other, and keeps the message and the values put into it.
`language.say` looks the message up in the catalog and puts the values in again. The catalog's
test extracts `said`'s messages, so each is written out in its call.

The daemon's refusals (`CommandError`) are said too: `refusal` writes one for the control
socket with its message and values (`Refusal.template`, `values`, `said`), and `say_refusal`
says it again with a catalog: the command line's, and the web page's daemon words (the same
catalog, read by the web process as a file).
"""

from __future__ import annotations

from collections.abc import Callable

from contract.commands import CommandReply, Refusal
from contract.vocabulary import CommandErrorCode


class Said(str):
    """A problem's English text (a str like any other), with the message it was made from and
    the values put into it (a value may be Said itself)."""

    message: str
    values: dict[str, object]


def said(message: str, **values: object) -> Said:
    """`message` % `values` in English, remembering both (printf-style, as gettext's are)."""
    text = Said(message % values if values else message)
    text.message, text.values = message, values
    return text


def refusal(code: CommandErrorCode, text: str) -> CommandReply:
    """The reply refusing with `code` because of `text`: its English text and, when it was
    said, its message and values to say it again (a value said itself, without values of its
    own, is named in `said`; one with values is sent in English). A message whose values, as
    text, do not give the English again (`%(n)r` of a number) is sent as English alone."""
    values = {name: str(value) for name, value in getattr(text, "values", {}).items()}
    if not isinstance(text, Said) or (text.message % values if values else text.message) != text:
        return CommandReply(error=Refusal(code, str(text)))
    nested = tuple(
        name for name, value in text.values.items() if isinstance(value, Said) and not value.values
    )
    sent = Refusal(code, str(text), text.message, values or None, nested or None)
    return CommandReply(error=sent)


def say_refusal(refusal: Refusal, gettext: Callable[[str], str]) -> str:
    """A refusal read from the control socket, said with `gettext` (a catalog's): its message
    and values (the values named in `said` through `gettext` too), or its English message when
    the daemon sent no message (an older daemon) or its values are not what the text says."""
    template, values = refusal.template, dict(refusal.values or {})
    try:
        if template is None or (template % values if values else template) != refusal.message:
            return refusal.message
        for name in set(refusal.said or ()) & values.keys():
            values[name] = gettext(values[name])
        return gettext(template) % values if values else gettext(template)
    except (KeyError, TypeError, ValueError):  # a template that does not fit its values
        return refusal.message
