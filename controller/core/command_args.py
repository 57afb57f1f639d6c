"""A command's arguments before anything runs: each a plain value (no list, no object: nothing
nested), strings bounded; and the arguments as the audit keeps them (the keys the command takes
only, long strings cut, a submitted job only by size and hash).

Checked before the command runs, so an argument 975 lists deep or 250 KB of text is refused
without effect, and the audit row that records the refusal stays small. A key the command does
not take is not refused (the interface welcomes additions: a newer central office's extra field
is ignored by an older station, and never kept in the audit), but it is bounded too: at most
MAX_EXTRA_DEPTH levels deep and MAX_EXTRA_SIZE values and characters in all.
"""

from __future__ import annotations

import hashlib
from typing import Any

from contract.vocabulary import CommandName
from controller.said import said

MAX_TEXT_CHARS = 256  # any string argument but a submitted job
AUDIT_TEXT_CHARS = 200  # a string as the audit keeps it
MAX_EXTRA_DEPTH = 8  # an argument the command does not take: how deeply nested
MAX_EXTRA_SIZE = 4096  # ... and how many values and characters in all
PAYLOAD_KEY = "payload_b64"  # `submit`'s job: bounded by the request's size
SECRET_KEY = "password"  # `login`'s and `account-password`'s: never in the audit

COMMAND_ARGS: dict[str, frozenset[str]] = {
    CommandName.PAUSE: frozenset(),
    CommandName.RESUME: frozenset(),
    CommandName.STATUS: frozenset(),
    CommandName.JOBS: frozenset(),
    CommandName.CANCEL: frozenset({"job_id"}),
    CommandName.RESOLVE: frozenset({"job_id", "outcome", "reason"}),
    CommandName.RELOAD: frozenset({"consumable", "count", "capacity", "lot", "reason"}),
    CommandName.REPLAY: frozenset({"from_seq", "to_seq"}),
    CommandName.SUBMIT: frozenset({PAYLOAD_KEY}),
    # The blanks' custody (docs/blanks.md): local commands only.
    CommandName.ACCOUNT_ADD: frozenset({"name", "full_name", "role", "unix_user"}),
    CommandName.ACCOUNT_LIST: frozenset(),
    CommandName.ON_DUTY: frozenset({"name"}),
    CommandName.LOT_RECEIVE: frozenset(
        {"consumable", "lot", "quantity", "received_on", "new_share"}
    ),
    CommandName.LOT_COUNTERSIGN: frozenset({"consumable", "lot"}),
    CommandName.LOT_ADJUST: frozenset({"consumable", "lot", "delta", "reason"}),
    CommandName.DESTROY_SPOILED: frozenset({"count", "destroyed_on", "witness"}),
    CommandName.BLANKS_REPORT: frozenset({"since", "until"}),
    CommandName.COLLECT: frozenset({"job_id"}),
    # The web page's logins (docs/web.md): local commands only; the password is never audited.
    CommandName.ACCOUNT_PASSWORD: frozenset({"name", SECRET_KEY}),
    CommandName.LOGIN: frozenset({"name", SECRET_KEY}),
}
PLAIN = (str, int, float, bool, type(None))


def args_problem(name: str, args: dict[str, Any]) -> str | None:
    """Why `args` cannot be given to command `name`, or None."""
    known = COMMAND_ARGS.get(name, frozenset())
    for key, value in args.items():
        if key not in known:
            if not _small(key, value):
                return said(
                    "argument %(key)r (%(command)s does not take it) is over"
                    " %(depth)s levels deep or %(size)s values and characters",
                    key=_cut(str(key)),
                    command=name,
                    depth=MAX_EXTRA_DEPTH,
                    size=MAX_EXTRA_SIZE,
                )
            continue
        if not isinstance(value, PLAIN):
            return said(
                "%(key)s must be a plain value, not %(kind)s", key=key, kind=type(value).__name__
            )
        if isinstance(value, str) and key != PAYLOAD_KEY and len(value) > MAX_TEXT_CHARS:
            return said("%(key)s is longer than %(most)s characters", key=key, most=MAX_TEXT_CHARS)
        if isinstance(value, str) and not _storable(value):
            return said(
                "%(key)s holds a NUL or a lone surrogate (the interface's text never does)", key=key
            )
    return None


def audit_args(name: str, args: dict[str, Any]) -> dict[str, Any]:
    """A command's arguments as the audit keeps them: its known keys only, plain values with
    strings cut to AUDIT_TEXT_CHARS, anything else by its type's name; a submitted job
    (personal data) only by its size and hash; never a password."""
    known = COMMAND_ARGS.get(name, frozenset()) - {SECRET_KEY}
    kept: dict[str, Any] = {}
    for key in sorted(known & args.keys()):
        value = args[key]
        if key == PAYLOAD_KEY:
            raw = str(value).encode()
            kept["payload_b64_chars"] = len(raw)
            kept["payload_b64_sha256"] = hashlib.sha256(raw).hexdigest()
        elif isinstance(value, str):
            kept[key] = _cut(value)
        else:
            kept[key] = value if isinstance(value, PLAIN) else f"({type(value).__name__})"
    return kept


def _storable(text: str) -> bool:
    """Text an event may carry to the central office: UTF-8 with no NUL (a reason typed on the
    command line can hold a lone surrogate, from bytes that were not UTF-8)."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return "\0" not in text


def _small(key: str, value: Any) -> bool:
    """`value` (under `key`) within MAX_EXTRA_DEPTH and MAX_EXTRA_SIZE, walked without
    recursion (a value 975 lists deep must not overflow the stack)."""
    size, pending = len(key), [(value, 1)]
    while pending:
        item, depth = pending.pop()
        size += len(item) if isinstance(item, str) else 1
        if depth > MAX_EXTRA_DEPTH or size > MAX_EXTRA_SIZE:
            return False
        if isinstance(item, dict):
            size += sum(len(str(k)) for k in item)
            pending.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            pending.extend((v, depth + 1) for v in item)
    return True


def _cut(text: str) -> str:
    return text if len(text) <= AUDIT_TEXT_CHARS else text[:AUDIT_TEXT_CHARS] + "…"
