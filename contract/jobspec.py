"""Validation of a print job message against docs/interface.md, with no I/O.

`parse_job` turns raw bytes into a `JobSpec` or a `Rejection` carrying the contract's code. The
messages name the field and the rule, never the value: a rejection is published, and must not
carry personal data. What the card's layout holds is the station's to say: it passes its
`LayoutCheck` in. `job_document` and `job_payload` build a job, as the central office sends it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import structlog

from contract import strict_json
from contract.clock import parse_rfc3339
from contract.strict_json import StrictJsonError
from contract.vocabulary import JobReason, RejectCode, Schema

log = structlog.get_logger(__name__)

MAX_MESSAGE_BYTES = 256 * 1024
MAX_PHOTO_BYTES = 64 * 1024
MAX_SIGNATURE_BYTES = 32 * 1024
JOB_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
PEEK_BYTES = 4096
PEEKED_JOB_ID = re.compile(rb'"job_id"\s*:\s*"([A-Za-z0-9._:-]{1,64})"')
NIK = re.compile(r"^[0-9]{16}$")
RT_RW = re.compile(r"^[0-9]{3}/[0-9]{3}$")
PRINTABLE = re.compile(r"^[\x20-\x7e]+$")
SEXES = ("L", "P")
LIFELONG = "SEUMUR HIDUP"  # valid_until of a card valid for life
BLOOD_TYPES = ("A", "B", "AB", "O", "-")
TEXT_FIELDS = (
    "name",
    "birth_place",
    "address",
    "village",
    "district",
    "regency",
    "province",
    "religion",
    "marital_status",
    "occupation",
    "nationality",
    "valid_until",
    "issued_place",
)
DATE_FIELDS = ("birth_date", "issued_date")
CARD_FIELDS = (
    "nik",
    *TEXT_FIELDS,
    *DATE_FIELDS,
    "sex",
    "blood_type",
    "rt_rw",
    "photo_jpeg",
    "signature_png",
)


LayoutCheck = Callable[[dict[str, str], bytes, bytes], list[tuple[str, str]]]
"""(field, problem) pairs, first problem first, for what the card's layout cannot take: given
the card's text fields, and the photo and the signature as decoded bytes."""


@dataclass(frozen=True)
class Rejection:
    code: RejectCode
    message: str
    job_id: str | None = None
    # Set when the message alone decided the rejection, so that the same message again gets
    # the same answer: the SHA-256 of its bytes (every rejection of the validator; each delivery
    # is validated again first, so a birth date that has since come to pass is accepted), or
    # of a valid job's canonical content (for `conflict`). None for `expired`, `duplicate_nik`
    # and `unsafe_delivery`, which depend on the time, the queue or the delivery.
    message_sha256: str | None = None


@dataclass(frozen=True)
class JobSpec:
    job_id: str
    reason: JobReason
    not_after: datetime | None
    card: dict[str, str]  # text fields only
    photo: bytes
    signature: bytes
    content_sha256: str

    @property
    def nik(self) -> str:
        return self.card["nik"]


class _Reject(Exception):
    def __init__(self, code: RejectCode, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def parse_job(payload: bytes, today: date, layout: LayoutCheck) -> JobSpec | Rejection:
    """Validate one job message. `today` bounds the birth date (no one is born tomorrow);
    `layout` is the station's check of what its card holds, made after the contract's own.

    Never raises: a message that breaks a check in a way no rule foresaw is still a rejection
    (`invalid_field`), so that it is acknowledged and never redelivered forever.
    """
    try:
        return _parse(payload, today, layout)
    except Exception:
        log.exception("job validation failed unexpectedly; rejected")
        return Rejection(RejectCode.INVALID_FIELD, "message could not be validated")


def _parse(payload: bytes, today: date, layout: LayoutCheck) -> JobSpec | Rejection:
    if len(payload) > MAX_MESSAGE_BYTES:
        return Rejection(
            RejectCode.TOO_LARGE,
            f"message is {len(payload)} bytes, limit {MAX_MESSAGE_BYTES}",
            _peek_job_id(payload),
        )
    try:
        document = strict_json.loads(payload.decode("utf-8"))
    except StrictJsonError as problem:
        return Rejection(RejectCode.INVALID_JSON, f"message is not valid JSON: {problem}")
    except (UnicodeDecodeError, ValueError, RecursionError):
        return Rejection(RejectCode.INVALID_JSON, "message is not UTF-8 JSON")
    if not isinstance(document, dict):
        return Rejection(RejectCode.INVALID_SCHEMA, "message is not a JSON object")
    job_id = document.get("job_id")
    readable_id = job_id if isinstance(job_id, str) and JOB_ID.fullmatch(job_id) else None
    try:
        return _spec(document, today, layout)
    except _Reject as problem:
        return Rejection(problem.code, problem.message, readable_id)


def _peek_job_id(payload: bytes) -> str | None:
    """The job_id of a message too large to parse, when the first PEEK_BYTES hold exactly one
    `"job_id": "..."` of the pattern (a bounded look: no parse of the whole message)."""
    found = PEEKED_JOB_ID.findall(payload[:PEEK_BYTES])
    return found[0].decode() if len(found) == 1 else None


def _spec(document: dict[str, Any], today: date, layout: LayoutCheck) -> JobSpec:
    if document.get("schema") != Schema.JOB:
        raise _Reject(RejectCode.INVALID_SCHEMA, f"schema must be {Schema.JOB.value!r}")
    job_id = _required(document, "job_id", str)
    if not JOB_ID.fullmatch(job_id):
        raise _Reject(RejectCode.INVALID_FIELD, "job_id must be 1-64 characters of [A-Za-z0-9._:-]")
    try:
        reason = JobReason(_required(document, "reason", str))
    except ValueError:
        raise _Reject(
            RejectCode.INVALID_FIELD, f"reason must be one of {', '.join(JobReason)}"
        ) from None
    if _required(document, "prr", bool) is not True:
        raise _Reject(RejectCode.NOT_PRR, "prr is false: the record is not print ready")
    not_after = _not_after(document.get("not_after"))
    card = _required(document, "card", dict)
    text = _card_text(card, today)
    photo = _image(card, "photo_jpeg", MAX_PHOTO_BYTES)
    signature = _image(card, "signature_png", MAX_SIGNATURE_BYTES)
    problems = layout(text, photo, signature)
    if problems:
        field, problem = problems[0]
        raise _Reject(RejectCode.INVALID_FIELD, f"card.{field}: {problem}")
    canonical = _canonical(document)
    return JobSpec(
        job_id=job_id,
        reason=reason,
        not_after=not_after,
        card=text,
        photo=photo,
        signature=signature,
        content_sha256=hashlib.sha256(canonical).hexdigest(),
    )


def _canonical(document: dict[str, Any]) -> bytes:
    """The job's bytes for its content hash. A string with a lone surrogate (`"\\ud800"`,
    legal JSON escape syntax) has no UTF-8 form: such a message is not UTF-8 JSON."""
    try:
        text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return text.encode()
    except (UnicodeEncodeError, RecursionError):
        raise _Reject(
            RejectCode.INVALID_JSON, "message has a string that is not valid Unicode"
        ) from None


def _required(container: dict[str, Any], key: str, kind: type, prefix: str = "") -> Any:
    if key not in container:
        raise _Reject(RejectCode.INVALID_SCHEMA, f"{prefix}{key} is missing")
    value = container[key]
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise _Reject(RejectCode.INVALID_SCHEMA, f"{prefix}{key} must be a {_json_type(kind)}")
    return value


def _not_after(value: Any) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _Reject(RejectCode.INVALID_SCHEMA, "not_after must be a string")
    try:
        return parse_rfc3339(value)
    except ValueError:
        raise _Reject(
            RejectCode.INVALID_FIELD, "not_after must be an RFC 3339 time with an offset"
        ) from None


def _card_text(card: dict[str, Any], today: date) -> dict[str, str]:
    text = {key: _required(card, key, str, "card.") for key in CARD_FIELDS}
    for key in TEXT_FIELDS:
        if not PRINTABLE.fullmatch(text[key]) or not text[key].strip():
            raise _Reject(RejectCode.INVALID_FIELD, f"card.{key} must be printable text, not blank")
    if text["sex"] not in SEXES:
        raise _Reject(RejectCode.INVALID_FIELD, "card.sex must be L or P")
    if text["blood_type"] not in BLOOD_TYPES:
        raise _Reject(
            RejectCode.INVALID_FIELD, f"card.blood_type must be one of {', '.join(BLOOD_TYPES)}"
        )
    if not RT_RW.fullmatch(text["rt_rw"]):
        raise _Reject(RejectCode.INVALID_FIELD, "card.rt_rw must look like 001/002")
    dates = {key: _date(text[key], key) for key in DATE_FIELDS}
    if not date(1900, 1, 1) <= dates["birth_date"] <= today:
        raise _Reject(
            RejectCode.INVALID_FIELD, "card.birth_date must be between 1900-01-01 and today"
        )
    if not dates["birth_date"] <= dates["issued_date"] <= today:
        raise _Reject(
            RejectCode.INVALID_FIELD, "card.issued_date must be between birth_date and today"
        )
    _check_valid_until(text["valid_until"], dates["issued_date"])
    _check_nik(text["nik"], dates["birth_date"], text["sex"])
    for key in ("photo_jpeg", "signature_png"):
        del text[key]
    return text


def _check_valid_until(value: str, issued: date) -> None:
    """`SEUMUR HIDUP` (for life, as e-KTPs are issued since 2016), or a date from issued_date."""
    if value == LIFELONG:
        return
    if _date(value, "valid_until") < issued:
        raise _Reject(RejectCode.INVALID_FIELD, "card.valid_until must not be before issued_date")


def _date(value: str, key: str) -> date:
    try:
        if len(value) != 10:
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        wanted = f" or {LIFELONG}" if key == "valid_until" else ""
        raise _Reject(
            RejectCode.INVALID_FIELD, f"card.{key} must be a date YYYY-MM-DD{wanted}"
        ) from None


def _check_nik(nik: str, birth: date, sex: str) -> None:
    """16 digits; a province code 11-94; digits 7-12 the birth date DDMMYY, DD + 40 for women."""
    if not NIK.fullmatch(nik):
        raise _Reject(RejectCode.INVALID_NIK, "nik must be 16 digits")
    if not 11 <= int(nik[0:2]) <= 94:
        raise _Reject(RejectCode.INVALID_NIK, "nik digits 1-2 must be a province code 11-94")
    day = birth.day + (40 if sex == "P" else 0)
    if nik[6:12] != f"{day:02d}{birth.month:02d}{birth.year % 100:02d}":
        raise _Reject(
            RejectCode.INVALID_NIK, "nik digits 7-12 do not agree with birth_date and sex"
        )


def _image(card: dict[str, Any], key: str, limit: int) -> bytes:
    try:
        data = base64.b64decode(card[key], validate=True)
    except (binascii.Error, ValueError):
        raise _Reject(RejectCode.INVALID_FIELD, f"card.{key} is not valid base64") from None
    if len(data) > limit:
        raise _Reject(
            RejectCode.TOO_LARGE, f"card.{key} is {len(data)} bytes decoded, limit {limit}"
        )
    if not data:
        raise _Reject(RejectCode.INVALID_FIELD, f"card.{key} is empty")
    return data


def _json_type(kind: type) -> str:
    return {str: "string", bool: "boolean", dict: "object"}.get(kind, kind.__name__)


def job_document(
    job_id: str, reason: JobReason, card: Mapping[str, str], *, prr: bool = True
) -> dict[str, Any]:
    """A job message (`card`: every card field, the pictures as base64) to publish on
    `{st}/job`, or to break field by field in a test."""
    return {"schema": Schema.JOB, "job_id": job_id, "reason": reason, "prr": prr, "card": card}


def job_payload(document: Mapping[str, Any]) -> bytes:
    return json.dumps(document).encode()


def mask_nik(nik: str) -> str:
    """`************0002`: what may leave the station of a NIK."""
    return "*" * 12 + nik[-4:]
