"""A message said in English that the command line can say again in the person's language.

The parts below the command line (the config's checks and rules, the doctor's probes) may not
import its catalog (controller/app/language.py); they say a message with `said`, which gives the
English text, a str like any other, and keeps the message and the values put into it.
`language.say` looks the message up in the catalog and puts the values in again. The catalog's
test extracts `said`'s messages, so each is written out in its call.
"""

from __future__ import annotations


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
