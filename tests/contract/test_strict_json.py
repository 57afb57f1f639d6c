"""The storable reading's two ways: JSON as the stations write it (compact, ASCII) is read the
short way, anything else the long way, and both refuse the same documents. The short way
(`_as_written`) checks no key or string itself: a test of each poison written compactly, and a
property test over documents written every way, keep it honest."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contract import strict_json
from contract.events import event_payload
from contract.shapes import compact
from contract.strict_json import _NOT_AS_WRITTEN, StrictJsonError, _as_written, _long_way

HONEST = event_payload(
    "3271-bogor-timur-01", 7, "card.printed", "2026-11-22T10:00:00Z", "JOB-1",
    {"reason": "new", "nik_masked": "************0002", "attempts": 1, "card_counter": 4187},
).decode()  # fmt: skip


def test_what_a_station_writes_is_read_the_short_way() -> None:
    assert _as_written(HONEST) is not _NOT_AS_WRITTEN
    assert strict_json.loads_storable(HONEST) == json.loads(HONEST)


@pytest.mark.parametrize(
    "text",
    [
        compact({"a": "x\u0000y"}).decode(),  # NUL in a string
        compact({"x\u0000": 1}).decode(),  # NUL in a key
        compact({"a": "VP\ud800"}).decode(),  # a lone surrogate, escaped as the writer does
        compact({"\udfff": 1}).decode(),
        HONEST.replace('"attempts":1', '"attempts":1,"attempts":2'),  # a key twice
        HONEST.replace('"attempts":1', '"attempts":NaN'),
        HONEST.replace('"attempts":1', '"attempts":-Infinity'),
        HONEST.replace('"attempts":1', '"attempts":1e400'),
        HONEST.replace('"attempts":1', f'"attempts":{2**63}'),
        HONEST.replace('"attempts":1', f'"attempts":{-(2**63) - 1}'),
        HONEST.replace('"attempts":1', '"deep":' + "[" * 100_000 + "]" * 100_000),
        "\ufeff" + HONEST,
    ],
)
def test_a_poison_written_compactly_is_refused(text: str) -> None:
    with pytest.raises(StrictJsonError):
        strict_json.loads_storable(text)


def test_a_key_twice_is_no_document_as_written() -> None:
    """Written again, an object that had a key twice has it once: never the same text."""
    assert _as_written('{"a":1,"a":1}') is _NOT_AS_WRITTEN
    assert _as_written('{"a":{"b":[1],"b":[1]}}') is _NOT_AS_WRITTEN


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(st.characters(codec=None, exclude_categories=())),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(st.characters(codec=None), max_size=4), inner, max_size=4)
    ),
    max_leaves=12,
)


def outcome(read: Any, text: str) -> tuple[str, Any]:
    try:
        return "read", read(text)
    except StrictJsonError:
        return "refused", None


@settings(max_examples=400, deadline=None)
@given(JSON_VALUES, st.booleans(), st.booleans())
def test_the_short_way_agrees_with_the_long_way(value: Any, ascii_only: bool, twice: bool) -> None:
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=ascii_only)
    if twice and text.startswith("{") and text != "{}":
        text = text[:-1] + "," + text[1:]  # every key of the outer object twice
    short = _as_written(text)
    long = outcome(_long_way, text)
    if short is not _NOT_AS_WRITTEN:
        assert long == ("read", short)
    assert outcome(strict_json.loads_storable, text)[0] == long[0]
