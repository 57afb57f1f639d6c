"""Hostile job and command payloads, each with the contract code it must get.

Every case starts from a valid message and breaks exactly one thing, so its code is known:
the validator checks in a fixed order (size, UTF-8 JSON, object, schema, fields, NIK,
pictures), and a single fault meets only one rule. The same catalogue feeds hypothesis (the
in-process bulk, `HypothesisChooser`) and a seeded `random.Random` (the sample published to the
running daemon, `RandomChooser`), through the small `Chooser` interface.
"""

from __future__ import annotations

import base64
import json
import random
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Protocol, TypeVar

from hypothesis import strategies as st

from contract.jobspec import CARD_FIELDS, MAX_MESSAGE_BYTES, TEXT_FIELDS
from controller.render import FIELD_MAX_CHARS
from testkit.jobs import station_today
from testkit.poison import RANGE_END_TIMES, bomb_jpeg, bomb_png, cut
from tests.reliability.people import valid_job

T = TypeVar("T")
GOOD_ID = string.ascii_letters + string.digits + "._:-"
ODD_TEXT = "\x00\x07\t\n\x1b\x7f\u00e9\u00a0\u200b\U0001f600\ufeff"
WRONG_VALUES: tuple[Any, ...] = (None, 0, -1, 1.5, True, False, [], {}, [1, "a"], {"a": 1})
# The station's own date (its `[duty] timezone`): the daemon under test judges birth dates by
# it, so a catalogue fixed to another day would go stale.
TODAY = station_today()


class Chooser(Protocol):
    """The random choices a case makes; hypothesis or a seeded generator answers them."""

    def integer(self, low: int, high: int) -> int: ...

    def choice(self, options: Sequence[T]) -> T: ...

    def text(self, alphabet: str, low: int, high: int) -> str: ...


class RandomChooser:
    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def integer(self, low: int, high: int) -> int:
        return self._rng.randint(low, high)

    def choice(self, options: Sequence[T]) -> T:
        return options[self._rng.randrange(len(options))]

    def text(self, alphabet: str, low: int, high: int) -> str:
        return "".join(self._rng.choice(alphabet) for _ in range(self._rng.randint(low, high)))


class HypothesisChooser:
    def __init__(self, draw: Callable[[st.SearchStrategy[Any]], Any]) -> None:
        self._draw = draw

    def integer(self, low: int, high: int) -> int:
        return int(self._draw(st.integers(low, high)))

    def choice(self, options: Sequence[T]) -> T:
        return self._draw(st.sampled_from(options))  # type: ignore[no-any-return]

    def text(self, alphabet: str, low: int, high: int) -> str:
        return str(self._draw(st.text(alphabet=alphabet, min_size=low, max_size=high)))


@dataclass(frozen=True)
class Case:
    """One payload and what the station must answer."""

    kind: str  # the catalogue entry that made it
    payload: bytes
    code: str | None  # the contract code; None: a valid job, accepted
    job_id: str | None  # the job_id the rejection carries (None when unreadable)
    needs_intake: bool = False  # only the stored intake knows (expired, conflict, ...)


# -- jobs --------------------------------------------------------------------------------------


def _dump(document: Any) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode()


def _base(c: Chooser, job_id: str) -> dict[str, Any]:
    job = valid_job(c.integer(1, 9999), "fz", today=TODAY)
    job["job_id"] = job_id
    return job


def _with_extra(job: dict[str, Any], raw_value: bytes) -> bytes:
    """The job with one more top-level field whose JSON text is `raw_value`."""
    return _dump(job)[:-1] + b',"x_extra":' + raw_value + b"}"


def job_not_utf8(c: Chooser, job_id: str) -> Case:
    raw = bytearray(_dump(_base(c, job_id)))
    at = raw.index(b'"name":"') + 8
    raw[at : at + 1] = c.choice([b"\xff", b"\xc3\x28", b"\xe2\x82", b"\xed\xa0\x80", b"\x80"])
    return Case("not_utf8", bytes(raw), "invalid_json", None)


def job_truncated(c: Chooser, job_id: str) -> Case:
    raw = _dump(_base(c, job_id))
    return Case("truncated", raw[: c.integer(0, len(raw) - 1)], "invalid_json", None)


def job_not_object(c: Chooser, job_id: str) -> Case:
    value = c.choice([[], [1, 2], "job", 42, 1.5, None, True, [{"job_id": job_id}]])
    return Case("not_object", _dump(value), "invalid_schema", None)


def job_deep(c: Chooser, job_id: str) -> Case:
    # Deeper than any recursion limit in use (hypothesis raises it to about 2,000 while it
    # runs); at most 6 bytes a level, so the message stays below 256 KiB.
    depth = c.integer(5000, 20000)
    nested = c.choice([(b"[", b"]"), (b'{"a":', b"}")])
    raw = _with_extra(_base(c, job_id), nested[0] * depth + b"1" + nested[1] * depth)
    return Case("deep_nesting", raw, "invalid_json", None)


def job_deep_ok(c: Chooser, job_id: str) -> Case:
    depth = c.integer(1, 200)
    raw = _with_extra(_base(c, job_id), b"[" * depth + b"]" * depth)
    return Case("nesting_ok", raw, None, job_id)


def job_lone_surrogate(c: Chooser, job_id: str) -> Case:
    escape = c.choice(["\\ud800", "\\udfff", "\\udbff", "x\\ud83d"]).encode()
    raw = _with_extra(_base(c, job_id), b'"' + escape + b'"')
    return Case("lone_surrogate", raw, "invalid_json", job_id)


def job_oversize(c: Chooser, job_id: str) -> Case:
    job = _base(c, job_id)
    pad = MAX_MESSAGE_BYTES - len(_dump(job)) + c.integer(1, 4096)
    # The job_id stands near the start: a bounded look finds it (too_large carries it).
    return Case("oversize", _with_extra(job, b'"' + b"A" * pad + b'"'), "too_large", job_id)


def job_schema(c: Chooser, job_id: str) -> Case:
    job = _base(c, job_id)
    how = c.choice(["missing", "wrong", "type"])
    if how == "missing":
        del job["schema"]
    else:
        job["schema"] = (
            c.choice(["ektp.job/2", "ektp.job", "", "EKTP.JOB/1"])
            if how == "wrong"
            else c.choice(WRONG_VALUES)
        )
    return Case("schema", _dump(job), "invalid_schema", job_id)


def job_missing_top(c: Chooser, job_id: str) -> Case:
    job = _base(c, job_id)
    key = c.choice(["job_id", "reason", "prr", "card"])
    del job[key]
    return Case(f"missing_{key}", _dump(job), "invalid_schema", None if key == "job_id" else job_id)


def job_wrong_type_top(c: Chooser, job_id: str) -> Case:
    job = _base(c, job_id)
    key = c.choice(["job_id", "reason", "prr", "card", "not_after"])
    kinds = {
        "job_id": [v for v in WRONG_VALUES if not isinstance(v, str)],
        "reason": [v for v in WRONG_VALUES if not isinstance(v, str)],
        "prr": [None, 1, 0, "true", [], {}, 1.0],
        "card": [v for v in WRONG_VALUES if not isinstance(v, dict)] + ["card"],
        "not_after": [0, 1.5, True, [], {}],
    }
    job[key] = c.choice(kinds[key])
    return Case(f"type_{key}", _dump(job), "invalid_schema", None if key == "job_id" else job_id)


def job_bad_job_id(c: Chooser, job_id: str) -> Case:
    job = _base(c, job_id)
    job["job_id"] = c.choice(
        ["", "A" * 65, "JOB 1", "JOB/1", "JOB#1", "JÖB-1", "JOB-1\n", c.text(" !?/#+$%&", 1, 8)]
    )
    return Case("bad_job_id", _dump(job), "invalid_field", None)


def job_bad_reason(c: Chooser, job_id: str) -> Case:
    job = _base(c, job_id)
    job["reason"] = c.choice(["", "NEW", "renew", "stolen", "new ", c.text("xyz", 1, 5)])
    return Case("bad_reason", _dump(job), "invalid_field", job_id)


def job_not_prr(c: Chooser, job_id: str) -> Case:
    job = _base(c, job_id)
    job["prr"] = False
    return Case("not_prr", _dump(job), "not_prr", job_id)


def job_bad_not_after(c: Chooser, job_id: str) -> Case:
    job = _base(c, job_id)
    job["not_after"] = c.choice(
        ["tomorrow", "2026-12-31", "2026-12-31T00:00:00", "31/12/2026", "", "2026-13-01T00:00:00Z"]
    )
    return Case("bad_not_after", _dump(job), "invalid_field", job_id)


def job_past_not_after(c: Chooser, job_id: str) -> Case:
    job = _base(c, job_id)
    job["not_after"] = c.choice(["2000-01-01T00:00:00Z", "2026-01-01T00:00:00+07:00"])
    return Case("expired", _dump(job), "expired", job_id, needs_intake=True)


def job_card_missing(c: Chooser, job_id: str) -> Case:
    job = _base(c, job_id)
    del job["card"][c.choice(CARD_FIELDS)]
    return Case("card_missing", _dump(job), "invalid_schema", job_id)


def job_card_type(c: Chooser, job_id: str) -> Case:
    job = _base(c, job_id)
    job["card"][c.choice(CARD_FIELDS)] = c.choice([v for v in WRONG_VALUES if v is not None])
    return Case("card_type", _dump(job), "invalid_schema", job_id)


def job_text_bad(c: Chooser, job_id: str) -> Case:
    job = _base(c, job_id)
    field = c.choice(TEXT_FIELDS)
    how = c.choice(["blank", "odd", "long"])
    if how == "blank":
        value = c.choice(["", " ", "   "])
    elif how == "odd":
        value = "ABC" + c.text(ODD_TEXT, 1, 3) + "DEF"
    else:
        value = "W" * (FIELD_MAX_CHARS[field] + c.integer(1, 200))
    job["card"][field] = value
    return Case(f"text_{how}", _dump(job), "invalid_field", job_id)


def job_small_field(c: Chooser, job_id: str) -> Case:
    job = _base(c, job_id)
    field, bad = c.choice(
        [
            ("sex", ["", "M", "F", "l", "LP", "X"]),
            ("blood_type", ["", "C", "AB+", "o", "0", "ABO"]),
            ("rt_rw", ["1/2", "001-002", "001/02", "0010/002", "abc/def", ""]),
            ("birth_date", ["1990-13-01", "1990/01/01", "19900101", "1990-1-1", "", "1990-02-30"]),
            ("issued_date", ["2026-11-31", "22-11-2026", "2026-11-2", ""]),
        ]
    )
    job["card"][field] = c.choice(bad)
    return Case(f"bad_{field}", _dump(job), "invalid_field", job_id)


def job_birth_range(c: Chooser, job_id: str) -> Case:
    job = _base(c, job_id)
    # The day after tomorrow, not tomorrow: a run over the station's midnight keeps it future.
    birth = c.choice([TODAY + timedelta(days=2), TODAY + timedelta(days=400), date(1899, 12, 31)])
    job["card"]["birth_date"] = birth.isoformat()
    return Case("birth_range", _dump(job), "invalid_field", job_id)


def job_bad_nik(c: Chooser, job_id: str) -> Case:
    job = _base(c, job_id)
    nik = job["card"]["nik"]
    how = c.choice(["short", "long", "letter", "province", "date", "sex", "wide_digit", "newline"])
    if how == "short":
        nik = nik[: c.integer(0, 15)]
    elif how == "long":
        nik = nik + "0" * c.integer(1, 4)
    elif how == "letter":
        at = c.integer(0, 15)
        nik = nik[:at] + c.choice("AOlI -.") + nik[at + 1 :]
    elif how == "province":
        nik = f"{c.choice([0, 1, 9, 10, 95, 96, 99]):02d}" + nik[2:]
    elif how == "date":
        nik = nik[:6] + f"{(int(nik[6:8]) + c.integer(1, 29)) % 100:02d}" + nik[8:]
    elif how == "sex":  # the other sex keeps the NIK: it no longer agrees
        job["card"]["sex"] = "L" if job["card"]["sex"] == "P" else "P"
    elif how == "wide_digit":
        nik = nik[:15] + "\uff11"
    else:  # 16 digits and a line break: a regex `$` would let it through
        nik = nik + "\n"
    job["card"]["nik"] = nik
    return Case(f"nik_{how}", _dump(job), "invalid_nik", job_id)


def job_province_edge(c: Chooser, job_id: str) -> Case:
    job = _base(c, job_id)
    job["card"]["nik"] = f"{c.choice([11, 94])}" + job["card"]["nik"][2:]
    return Case("nik_province_edge", _dump(job), None, job_id)


def job_picture(c: Chooser, job_id: str) -> Case:
    job = _base(c, job_id)
    field, limit = c.choice([("photo_jpeg", 64 * 1024), ("signature_png", 32 * 1024)])
    how = c.choice(["not_base64", "empty", "not_image", "too_large"])
    code = "invalid_field"
    if how == "not_base64":
        value = c.choice(["!!!!", "abc", "YWJj\n", "data:image/jpeg;base64,AAAA", "Zm9v=YmFy"])
    elif how == "empty":
        value = ""
    elif how == "not_image":
        value = base64.b64encode(b"GIF89a" + bytes(c.integer(1, 200))).decode()
    else:
        value = base64.b64encode(bytes(limit + c.integer(1, 1000))).decode()
        code = "too_large"
    job["card"][field] = value
    return Case(f"{field}_{how}", _dump(job), code, job_id)


def job_duplicate_key(c: Chooser, job_id: str) -> Case:
    """A key twice (a parser keeping the last would print `prr: false` jobs), or NaN."""
    raw = _dump(_base(c, job_id))
    how = c.choice(["prr", "nik", "nan"])
    if how == "prr":
        raw = raw.replace(b'"prr":true', b'"prr":false,"prr":true')
    elif how == "nik":
        raw = raw.replace(b'"nik":', b'"nik":"3271046301900002","nik":')
    else:
        raw = _with_extra(json.loads(raw), c.choice([b"NaN", b"Infinity", b"-Infinity"]))
    return Case(f"duplicate_{how}", raw, "invalid_json", None)


def job_range_end_not_after(c: Chooser, job_id: str) -> Case:
    """A time whose offset takes it past year 1 or year 9999 in UTC (once an OverflowError)."""
    job = _base(c, job_id)
    job["not_after"] = c.choice(RANGE_END_TIMES)
    return Case("range_end_not_after", _dump(job), "invalid_field", job_id)


def job_picture_bomb(c: Chooser, job_id: str) -> Case:
    """A picture whose header claims billions of pixels (once a DecompressionBombError)."""
    job = _base(c, job_id)
    field = c.choice(["photo_jpeg", "signature_png"])
    side = c.integer(2001, 65000)
    job["card"][field] = bomb_jpeg(side) if field == "photo_jpeg" else bomb_png(side)
    return Case(f"{field}_bomb", _dump(job), "invalid_field", job_id)


def job_picture_truncated(c: Chooser, job_id: str) -> Case:
    """A picture cut short, by a few bytes (a PNG without IEND) or by many."""
    job = _base(c, job_id)
    field = c.choice(["photo_jpeg", "signature_png"])
    job["card"][field] = cut(job["card"][field], -c.integer(1, 400))
    return Case(f"{field}_truncated", _dump(job), "invalid_field", job_id)


def job_extra_fields(c: Chooser, job_id: str) -> Case:
    job = _base(c, job_id)
    value = c.choice([None, 1, "x", [1, [2]], {"deep": {"er": [True]}}, 1e308, -0.0])
    job[c.text(string.ascii_lowercase, 1, 10) + "_x"] = value
    job["card"][c.text(string.ascii_lowercase, 1, 10) + "_x"] = value
    return Case("extra_fields", _dump(job), None, job_id)


JOB_CASES: tuple[Callable[[Chooser, str], Case], ...] = (
    job_not_utf8,
    job_truncated,
    job_not_object,
    job_deep,
    job_deep_ok,
    job_lone_surrogate,
    job_oversize,
    job_schema,
    job_missing_top,
    job_wrong_type_top,
    job_bad_job_id,
    job_bad_reason,
    job_not_prr,
    job_bad_not_after,
    job_past_not_after,
    job_card_missing,
    job_card_type,
    job_text_bad,
    job_small_field,
    job_birth_range,
    job_bad_nik,
    job_province_edge,
    job_picture,
    job_duplicate_key,
    job_range_end_not_after,
    job_picture_bomb,
    job_picture_truncated,
    job_extra_fields,
)
BAD_JOB_CASES = tuple(
    case for case in JOB_CASES if case not in (job_deep_ok, job_province_edge, job_extra_fields)
)


def bad_job(c: Chooser, job_id: str) -> Case:
    return c.choice(BAD_JOB_CASES)(c, job_id)


# -- commands ----------------------------------------------------------------------------------

KNOWN_COMMANDS = ("pause", "resume", "cancel", "resolve", "reload", "status", "replay")


@dataclass(frozen=True)
class CommandCase:
    kind: str
    name: str  # the command name (the last topic level)
    payload: bytes
    code: str | None  # the reply's error code; None: ok
    cmd_id: str | None  # the cmd_id the reply carries (None when unreadable)


@dataclass(frozen=True)
class CommandTargets:
    """Job ids a command case may name: ones that exist in a given state, ones that do not."""

    queued: Sequence[str] = ()  # exists and is queued
    ended: Sequence[str] = ()  # exists and has ended


def _request(cmd_id: Any, args: Any = None, schema: Any = "ektp.cmd/1") -> dict[str, Any]:
    body: dict[str, Any] = {"schema": schema, "cmd_id": cmd_id}
    if args is not None:
        body["args"] = args
    return body


def command_case(c: Chooser, cmd_id: str, targets: CommandTargets, *, effects: bool) -> CommandCase:
    """A command and its expected answer. `effects`: cases that change the station (a valid
    reload, pause) may be chosen; the suite's run against the live daemon says False."""
    kinds = [
        "not_json", "utf16", "deep", "not_object", "cmd_id", "surrogate_id", "schema", "args_type",
        "unknown", "job_id_args", "unknown_job", "outcome", "reload_args", "replay_args", "status",
    ]  # fmt: skip
    if targets.ended:
        kinds += ["ended_cancel", "ended_resolve"]
    if targets.queued:
        kinds += ["queued_resolve"]
    if effects:
        kinds += ["reload_ok", "reload_film", "pause_extra"]
    kind = c.choice(kinds)
    name = c.choice(KNOWN_COMMANDS)
    code: str | None
    if kind == "not_json":
        raw = c.choice([b"", b"{", b"\xff\xfe{}", b"{'cmd_id': 1}", b'{"cmd_id":"a"', b"\x80"])
        return CommandCase(kind, name, raw, "invalid_json", None)
    if kind == "utf16":  # JSON, but not UTF-8 (Python's json.loads(bytes) would take it)
        raw = json.dumps(_request(cmd_id)).encode(c.choice(["utf-16", "utf-16-be", "utf-32"]))
        return CommandCase(kind, "status", raw, "invalid_json", None)
    if kind == "deep":
        depth = c.integer(5000, 60000)
        raw = b'{"schema":"ektp.cmd/1","cmd_id":"' + cmd_id.encode() + b'","args":'
        raw += b"[" * depth + b"]" * depth + b"}"
        return CommandCase(kind, name, raw, "invalid_json", None)
    if kind == "not_object":
        return CommandCase(
            kind, name, _dump(c.choice([[], "pause", 1, None])), "invalid_schema", None
        )
    if kind == "cmd_id":
        bad_id = c.choice([None, 1, "", "x" * 129, [], {"id": 1}, True])
        return CommandCase(kind, name, _dump(_request(bad_id)), "invalid_schema", None)
    if kind == "surrogate_id":
        raw = b'{"schema":"ektp.cmd/1","cmd_id":"' + cmd_id.encode() + b'\\udc80"}'
        return CommandCase(kind, name, raw, "invalid_schema", None)
    if kind == "schema":
        body = _request(cmd_id, schema=c.choice(["ektp.cmd/2", "", None, 1, "ektp.job/1"]))
        if c.integer(0, 1):
            del body["schema"]
        return CommandCase(kind, name, _dump(body), "invalid_schema", cmd_id)
    if kind == "args_type":
        body = _request(cmd_id, args=c.choice([[], "x", 1, True, [{"job_id": "a"}]]))
        return CommandCase(kind, name, _dump(body), "invalid_schema", cmd_id)
    if kind == "unknown":
        unknown = c.choice(["reboot", "print", "delete", "PAUSE", "status2", "x", "jobs", "submit"])
        return CommandCase(kind, unknown, _dump(_request(cmd_id, {})), "unknown_command", cmd_id)
    if kind == "job_id_args":
        name = c.choice(["cancel", "resolve"])
        args: dict[str, Any] = {"outcome": "printed"}
        if c.integer(0, 1):
            args["job_id"] = c.choice([None, 1, "", "A" * 65, "JOB 1", [], "J/1"])
        return CommandCase(kind, name, _dump(_request(cmd_id, args)), "invalid_args", cmd_id)
    if kind == "unknown_job":
        name = c.choice(["cancel", "resolve"])
        args = {"job_id": "NOPE-" + c.text(GOOD_ID, 1, 20), "outcome": "printed"}
        return CommandCase(kind, name, _dump(_request(cmd_id, args)), "unknown_job", cmd_id)
    if kind == "outcome":
        args = {"job_id": "NOPE-1", "outcome": c.choice([None, "", "good", "PRINTED", 1, []])}
        return CommandCase(kind, "resolve", _dump(_request(cmd_id, args)), "invalid_args", cmd_id)
    if kind == "reload_args":
        args = _bad_reload(c)
        return CommandCase(kind, "reload", _dump(_request(cmd_id, args)), "invalid_args", cmd_id)
    if kind == "replay_args":
        args = _bad_replay(c)
        return CommandCase(kind, "replay", _dump(_request(cmd_id, args)), "invalid_args", cmd_id)
    if kind == "status":
        args = c.choice([{}, {"extra": [1, 2]}, None])
        return CommandCase(kind, "status", _dump(_request(cmd_id, args)), None, cmd_id)
    if kind in ("ended_cancel", "ended_resolve"):
        name = kind.split("_")[1]
        args = {"job_id": c.choice(targets.ended), "outcome": "not_printed"}
        return CommandCase(kind, name, _dump(_request(cmd_id, args)), "invalid_state", cmd_id)
    if kind == "queued_resolve":
        args = {"job_id": c.choice(targets.queued), "outcome": c.choice(["printed", "spoiled"])}
        return CommandCase(kind, "resolve", _dump(_request(cmd_id, args)), "invalid_state", cmd_id)
    if kind == "reload_ok":
        count = c.integer(0, 500)
        # The capacity stated: a count over the capacity on the books is refused (issue 15).
        # Not cards: fewer blanks than the books takes a supervisor's account (issue 26),
        # which the central office has not; not film, which a Primacy has none of.
        args = {"consumable": "ribbon", "count": count}
        args["capacity"] = max(1, count + c.integer(0, 100))
        return CommandCase(kind, "reload", _dump(_request(cmd_id, args)), None, cmd_id)
    if kind == "reload_film":  # the station's printer, a Primacy, prints direct to the card
        args = {"consumable": "film", "count": 10, "capacity": 10}
        return CommandCase(kind, "reload", _dump(_request(cmd_id, args)), "invalid_args", cmd_id)
    code = None
    return CommandCase(kind, "pause", _dump(_request(cmd_id, {"why": "x"})), code, cmd_id)


def _bad_replay(c: Chooser) -> dict[str, Any]:
    """A replay range no station can have: seq starts at 1, and no run reaches 10**12."""
    first = c.choice([None, 0, -1, 1.0, "1", True, [1], 10**12])
    args: dict[str, Any] = {} if first is None else {"from_seq": first}
    if c.integer(0, 1):
        args = {"from_seq": 1, "to_seq": c.choice([0, -3, "2", False, 10**12])}
    return args


def _bad_reload(c: Chooser) -> dict[str, Any]:
    args: dict[str, Any] = {"consumable": "cards", "count": 10}
    how = c.choice(["consumable", "count", "capacity", "lot", "below", "over_capacity"])
    if how == "consumable":
        args["consumable"] = c.choice([None, "", "ink", "CARDS", 1, ["cards"]])
    elif how == "count":
        args["count"] = c.choice([None, -1, 100001, 1.5, "10", True, 10**30])
    elif how == "capacity":
        args["capacity"] = c.choice([0, -5, 100001, 2.0, "50", False])
    elif how == "lot":
        args["lot"] = c.choice(["", "L" * 65, "LOT\n1", 7, ["a"], "\x00"])
    elif how == "below":  # a capacity below what is loaded cannot be
        args["capacity"] = c.integer(1, 9)
    else:  # no capacity stated, and more than any capacity the books can hold here
        args["count"] = 100_000
    return args
