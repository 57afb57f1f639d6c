"""The card's text fields: what must be present, character limits, and how values are shown.

`FIELD_MAX_CHARS` is a cheap first check and documentation of the limits; a value within it can
still be refused when the real font at the card's size makes it too wide for its box (a name of
many W's). The limits are what the layout holds for ordinary upper-case text: the name, the
place of birth (with the date) and the address may wrap onto two lines, the place of issue
onto two lines under the photo.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from .errors import Problem

FIELD_MAX_CHARS: dict[str, int] = {
    "nik": 16,
    "name": 60,
    "birth_place": 30,
    "birth_date": 10,
    "sex": 1,
    "blood_type": 2,
    "address": 60,
    "rt_rw": 7,
    "village": 30,
    "district": 30,
    "regency": 40,
    "province": 30,
    "religion": 30,
    "marital_status": 20,
    "occupation": 30,
    "nationality": 20,
    "valid_until": 16,
    "issued_place": 26,
    "issued_date": 10,
}
TEXT_FIELDS = tuple(FIELD_MAX_CHARS)

SEX_TEXT = {"L": "LAKI-LAKI", "P": "PEREMPUAN"}
BLOOD_TYPES = ("A", "B", "AB", "O", "-")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Checked:
    """Values ready to lay out (empty where a field had a problem) and the problems found."""

    values: dict[str, str]
    problems: list[Problem]


def card_date(value: str) -> str:
    """YYYY-MM-DD as the card prints dates, DD-MM-YYYY."""
    return date.fromisoformat(value).strftime("%d-%m-%Y")


def _is_date(value: str) -> bool:
    if not _ISO_DATE.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _problem(name: str, value: Any) -> str | None:
    if value is None:
        return "is missing"
    if not isinstance(value, str):
        return "must be a string"
    if not value.strip():
        return "is empty"
    if len(value) > FIELD_MAX_CHARS[name]:
        return f"is longer than {FIELD_MAX_CHARS[name]} characters"
    if not value.isprintable():
        return "has a control or non-printable character"
    if name in ("birth_date", "issued_date") and not _is_date(value):
        return "must be a date YYYY-MM-DD"
    if name == "sex" and value not in SEX_TEXT:
        return "must be L or P"
    if name == "blood_type" and value not in BLOOD_TYPES:
        return "must be one of A, B, AB, O, -"
    return None


def check_fields(card: dict[str, Any]) -> Checked:
    """Check presence, type, length and form of every text field, without measuring."""
    values: dict[str, str] = {}
    problems: list[Problem] = []
    for name in TEXT_FIELDS:
        value = card.get(name)
        problem = _problem(name, value)
        if problem is None:
            values[name] = value
        else:
            problems.append((name, problem))
            values[name] = ""
    return Checked(values, problems)


def shown(values: dict[str, str], name: str) -> str:
    """A checked field as printed: dates as DD-MM-YYYY, sex spelled out."""
    value = values[name]
    if not value:
        return ""
    if name in ("birth_date", "issued_date") or (name == "valid_until" and _is_date(value)):
        return card_date(value)
    if name == "sex":
        return SEX_TEXT[value]
    return value
