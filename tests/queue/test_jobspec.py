"""Every rejection code of docs/interface.md, each with a realistic bad payload."""

from __future__ import annotations

import base64
import json
from datetime import date, timedelta

import pytest
from PIL import Image

from contract import jobspec
from contract.jobspec import JobSpec, Rejection, mask_nik, parse_job
from controller.queue.intake import layout_problems
from testkit.jobs import make_job, nik_for, payload
from testkit.poison import RANGE_END_TIMES, TRUNCATED_PICTURES, bomb_jpeg, bomb_png
from tests.render.samples import encode

TODAY = date(2026, 11, 22)


def reject(raw: bytes) -> Rejection:
    result = parse_job(raw, TODAY, layout_problems)
    assert isinstance(result, Rejection), result
    return result


def test_valid_job_parses() -> None:
    spec = parse_job(payload(make_job(7)), TODAY, layout_problems)
    assert isinstance(spec, JobSpec)
    assert spec.job_id == "JOB-2026-000007"
    assert "photo_jpeg" not in spec.card and spec.photo.startswith(b"\xff\xd8")
    assert spec.signature.startswith(b"\x89PNG")


def test_content_hash_ignores_key_order_and_whitespace() -> None:
    job = make_job(3)
    a = parse_job(json.dumps(job).encode(), TODAY, layout_problems)
    b = parse_job(
        json.dumps(dict(reversed(job.items())), indent=2).encode(), TODAY, layout_problems
    )
    assert isinstance(a, JobSpec) and isinstance(b, JobSpec)
    assert a.content_sha256 == b.content_sha256


@pytest.mark.parametrize(
    "raw",
    [
        b'{"schema": "ektp.job/1", "job_id": "JOB-1", ',  # cut off mid-message
        b"\xff\xfe{\x00}",  # UTF-16 with a BOM
        '{"name": "S\u00cdTI"}'.encode("latin-1"),  # not UTF-8
        b"[" * 100_000 + b"]" * 100_000,  # nesting deep enough to blow the stack
        b"",
        b"NaN-and-garbage",
    ],
)
def test_invalid_json(raw: bytes) -> None:
    rejection = reject(raw)
    assert rejection.code == "invalid_json" and rejection.job_id is None


@pytest.mark.parametrize(
    "mutate",
    [
        lambda job: job.update(schema="ektp.job/2"),
        lambda job: job.pop("schema"),
        lambda job: job.pop("card"),
        lambda job: job.update(card="3271046301900002"),
        lambda job: job.update(prr="true"),
        lambda job: job.update(job_id=123),
        lambda job: job["card"].pop("nik"),
        lambda job: job["card"].update(birth_date=19900123),
        lambda job: job.update(not_after=1767139200),
    ],
)
def test_invalid_schema(mutate) -> None:
    job = make_job(1)
    mutate(job)
    assert reject(payload(job)).code == "invalid_schema"


def test_invalid_schema_for_a_json_array() -> None:
    assert reject(b"[1, 2]").code == "invalid_schema"


@pytest.mark.parametrize(
    "mutate",
    [
        lambda job: job.update(job_id="JOB 2026/1"),
        lambda job: job.update(job_id="J" * 65),
        lambda job: job.update(reason="renewal"),
        lambda job: job.update(not_after="31-12-2026"),
        lambda job: job.update(not_after="2026-12-31T00:00:00"),  # no offset
        lambda job: job["card"].update(sex="W"),
        lambda job: job["card"].update(blood_type="AB+"),
        lambda job: job["card"].update(rt_rw="1/2"),
        lambda job: job["card"].update(birth_date="23-01-1990"),
        lambda job: job["card"].update(issued_date="2026-02-30"),
        lambda job: job["card"].update(name="SITI\nRAHAYU"),
        lambda job: job["card"].update(name="   "),
        lambda job: job["card"].update(occupation="KARYAWAN\x00SWASTA"),
        lambda job: job["card"].update(name="SITI RAHAYU BINTI " + "ABDURRAHMAN " * 8),
        lambda job: job["card"].update(address="JL. " + "PAJAJARAN RAYA " * 12),
        lambda job: job["card"].update(photo_jpeg="not base64!!"),
        lambda job: job["card"].update(photo_jpeg=base64.b64encode(b"GIF89a....").decode()),
        lambda job: job["card"].update(
            signature_png=base64.b64encode(b"\xff\xd8\xff junk").decode()
        ),
    ],
)
def test_invalid_field(mutate) -> None:
    job = make_job(1)
    mutate(job)
    rejection = reject(payload(job))
    assert rejection.code == "invalid_field", rejection


def test_birth_date_in_the_future_is_invalid() -> None:
    birth = date(2027, 1, 5)
    job = make_job(1, card={"birth_date": birth.isoformat(), "nik": nik_for(birth, "P")})
    assert reject(payload(job)).code == "invalid_field"


def test_born_today_is_valid_and_tomorrow_is_not() -> None:
    for birth, valid in ((TODAY, True), (TODAY + timedelta(days=1), False)):
        job = make_job(1, card={"birth_date": birth.isoformat(), "nik": nik_for(birth, "P")})
        result = parse_job(payload(job), TODAY, layout_problems)
        assert isinstance(result, JobSpec) == valid, (birth, result)


@pytest.mark.parametrize(
    "nik",
    [
        "327104630190002",  # 15 digits
        "32710463019000021",  # 17 digits
        "3271O46301900002",  # a letter O for a zero
        "9971046301900002",  # province 99
        "0971046301900002",  # province 09
        "3271042301900002",  # a woman's NIK without the +40 (she is "P")
        "3271046302900002",  # month 02, born in January
        "3271046301910002",  # year 91, born in 1990
    ],
)
def test_invalid_nik(nik: str) -> None:
    job = make_job(1, card={"nik": nik, "sex": "P", "birth_date": "1990-01-23"})
    rejection = reject(payload(job))
    assert rejection.code == "invalid_nik"
    assert rejection.job_id == "JOB-2026-000001"
    assert nik not in rejection.message


def test_contract_example_nik_is_valid() -> None:
    job = make_job(1, card={"nik": "3271046301900002", "sex": "P", "birth_date": "1990-01-23"})
    assert isinstance(parse_job(payload(job), TODAY, layout_problems), JobSpec)


def test_man_with_plus_forty_is_invalid() -> None:
    job = make_job(2, card={"nik": "3271046301900002", "sex": "L", "birth_date": "1990-01-23"})
    assert reject(payload(job)).code == "invalid_nik"


def test_not_prr() -> None:
    assert reject(payload(make_job(1, prr=False))).code == "not_prr"


def test_too_large_message_carries_the_job_id_a_bounded_look_finds() -> None:
    job = make_job(1, padding="x" * (256 * 1024))
    rejection = reject(payload(job))
    assert rejection.code == "too_large" and rejection.job_id == "JOB-2026-000001"


@pytest.mark.parametrize(
    "raw",
    [
        b'{"padding": "' + b"x" * (256 * 1024) + b'", "job_id": "JOB-1"}',  # past the look
        b'{"job_id": "JOB-1", "x": {"job_id": "JOB-2"}, "p": "' + b"x" * (256 * 1024) + b'"}',
        b'{"job_id": "JOB 1", "p": "' + b"x" * (256 * 1024) + b'"}',  # not of the pattern
    ],
)
def test_too_large_message_without_one_readable_id_carries_none(raw: bytes) -> None:
    rejection = reject(raw)
    assert rejection.code == "too_large" and rejection.job_id is None


@pytest.mark.parametrize(
    ("card", "problem"),
    [
        ({"issued_date": "9999-12-31"}, "card.issued_date must be between birth_date and today"),
        ({"issued_date": "1985-01-01"}, "card.issued_date must be between birth_date and today"),
        (
            {"valid_until": "SELAMANYA"},
            "card.valid_until must be a date YYYY-MM-DD or SEUMUR HIDUP",
        ),
        ({"valid_until": "2020-01-01"}, "card.valid_until must not be before issued_date"),
    ],
)
def test_issued_date_and_valid_until_are_bounded(card: dict, problem: str) -> None:
    rejection = reject(payload(make_job(6, card=card)))
    assert (rejection.code, rejection.message) == ("invalid_field", problem)


def test_valid_until_may_be_a_date_after_issue() -> None:
    assert isinstance(
        parse_job(payload(make_job(6, card={"valid_until": "2031-11-22"})), TODAY, layout_problems),
        JobSpec,
    )


def test_too_large_photo() -> None:
    big = base64.b64encode(b"\xff\xd8\xff\xe0" + bytes(70 * 1024)).decode()
    rejection = reject(payload(make_job(1, card={"photo_jpeg": big})))
    assert rejection.code == "too_large" and rejection.job_id == "JOB-2026-000001"


def test_a_real_photo_over_64_kib_is_too_large() -> None:
    noisy = encode(Image.effect_noise((300, 300), 120).convert("RGB"), "JPEG", quality=95)
    assert len(noisy) > 64 * 1024
    big = base64.b64encode(noisy).decode()
    rejection = reject(payload(make_job(1, card={"photo_jpeg": big})))
    assert (rejection.code, rejection.message) == (
        "too_large",
        f"card.photo_jpeg is {len(noisy)} bytes decoded, limit {64 * 1024}",
    )


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("photo_jpeg", None, ("invalid_schema", "card.photo_jpeg must be a string")),
        ("photo_jpeg", 7, ("invalid_schema", "card.photo_jpeg must be a string")),
        ("photo_jpeg", "not base64!", ("invalid_field", "card.photo_jpeg is not valid base64")),
        ("signature_png", "", ("invalid_field", "card.signature_png is empty")),
        ("signature_png", "%%%", ("invalid_field", "card.signature_png is not valid base64")),
    ],
)
def test_a_picture_that_is_not_base64_is_rejected(
    field: str, value: object, expected: tuple[str, str]
) -> None:
    """Decoded from base64 here, once: the renderer takes the files' bytes."""
    rejection = reject(payload(make_job(1, card={field: value})))
    assert (rejection.code, rejection.message) == expected


def test_unreadable_job_id_is_not_echoed() -> None:
    job = make_job(1, job_id="<script>", schema="nope")
    assert reject(payload(job)).job_id is None


def test_messages_carry_no_personal_data() -> None:
    job = make_job(1)
    job["card"]["name"] = "SITI " * 40
    rejection = reject(payload(job))
    assert "SITI" not in rejection.message


def test_mask_nik() -> None:
    assert mask_nik("3271046301900002") == "************0002"


# -- poison inputs (issue 15, item 1 and 7): each is a rejection, never an exception --------


@pytest.mark.parametrize("moment", RANGE_END_TIMES)
def test_not_after_without_a_utc_form_is_rejected(moment: str) -> None:
    rejection = reject(payload(make_job(1, not_after=moment)))
    assert rejection.code == "invalid_field" and "not_after" in rejection.message
    assert rejection.job_id == "JOB-2026-000001"


@pytest.mark.parametrize(
    ("field", "picture"), [("photo_jpeg", bomb_jpeg()), ("signature_png", bomb_png())]
)
def test_a_picture_header_claiming_billions_of_pixels_is_rejected(field: str, picture: str) -> None:
    rejection = reject(payload(make_job(2, card={field: picture})))
    assert (rejection.code, rejection.message) == (
        "invalid_field",
        f"card.{field}: is larger than 2000 × 2000 pixels",
    )


@pytest.mark.parametrize(
    ("field", "picture"),
    [(field, picture) for field, cuts in TRUNCATED_PICTURES.items() for picture in cuts],
)
def test_a_picture_cut_short_is_rejected(field: str, picture: str) -> None:
    rejection = reject(payload(make_job(3, card={field: picture})))
    assert rejection.code == "invalid_field"
    assert rejection.message.startswith(f"card.{field}: is damaged")


def test_an_unforeseen_validation_failure_is_a_rejection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(document: dict, today: date) -> JobSpec:
        raise ZeroDivisionError("a rule nobody foresaw")

    monkeypatch.setattr(jobspec, "_spec", broken)
    rejection = reject(payload(make_job(4)))
    assert (rejection.code, rejection.message) == (
        "invalid_field",
        "message could not be validated",
    )


@pytest.mark.parametrize(
    "change",
    [
        lambda raw: raw.replace(b'"prr": true', b'"prr": false, "prr": true'),  # last one wins
        lambda raw: raw.replace(b'"nik": ', b'"nik": "3271046301900002", "nik": '),
        lambda raw: raw[:-1] + b', "x_score": NaN}',
        lambda raw: raw[:-1] + b', "x_score": -Infinity}',
    ],
)
def test_duplicate_keys_and_nan_are_invalid_json(change) -> None:
    rejection = reject(change(payload(make_job(5))))
    assert rejection.code == "invalid_json"
