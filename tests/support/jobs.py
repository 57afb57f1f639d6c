"""Realistic print jobs for tests: a valid e-KTP job and ways to break it."""

from __future__ import annotations

import base64
import copy
import io
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from PIL import Image, ImageDraw

from contract.jobspec import job_document, job_payload
from contract.vocabulary import JobReason
from controller.policy.budget import BudgetLimits


def station_today() -> date:
    """Today in the station's default time zone: the date a running daemon judges jobs by."""
    return datetime.now(ZoneInfo(BudgetLimits.timezone)).date()


def _photo_jpeg() -> bytes:
    image = Image.new("RGB", (240, 320), (200, 40, 40))
    draw = ImageDraw.Draw(image)
    draw.ellipse((60, 50, 180, 190), fill=(230, 190, 160))
    draw.rectangle((40, 200, 200, 320), fill=(30, 30, 90))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def _signature_png() -> bytes:
    image = Image.new("L", (300, 120), 255)
    ImageDraw.Draw(image).line([(10, 90), (80, 20), (150, 100), (290, 30)], fill=0, width=4)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


PHOTO_B64 = base64.b64encode(_photo_jpeg()).decode()
SIGNATURE_B64 = base64.b64encode(_signature_png()).decode()


# The text fields of docs/interface.md's example job.
CONTRACT_CARD_TEXT: dict[str, str] = {
    "nik": "3271046301900002",
    "name": "SITI RAHAYU",
    "birth_place": "BOGOR",
    "birth_date": "1990-01-23",
    "sex": "P",
    "blood_type": "O",
    "address": "JL. PAJAJARAN NO. 10",
    "rt_rw": "001/002",
    "village": "BARANANGSIANG",
    "district": "BOGOR TIMUR",
    "regency": "KOTA BOGOR",
    "province": "JAWA BARAT",
    "religion": "ISLAM",
    "marital_status": "KAWIN",
    "occupation": "KARYAWAN SWASTA",
    "nationality": "WNI",
    "valid_until": "SEUMUR HIDUP",
    "issued_place": "KOTA BOGOR",
    "issued_date": "2026-11-22",
}


def nik_for(birth: date, sex: str, province: int = 32, serial: int = 2) -> str:
    day = birth.day + (40 if sex == "P" else 0)
    return f"{province:02d}7104{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial:04d}"


def make_job(n: int = 1, **overrides: Any) -> dict[str, Any]:
    """A valid job; `n` varies job_id and NIK so that jobs don't collide."""
    birth = date(1990, 1, 1 + (n % 28))
    sex = "P" if n % 2 else "L"
    card = {
        **CONTRACT_CARD_TEXT,
        "nik": nik_for(birth, sex, serial=n % 10000),
        "name": "SITI RAHAYU" if sex == "P" else "BUDI SANTOSO",
        "birth_date": birth.isoformat(),
        "sex": sex,
        "photo_jpeg": PHOTO_B64,
        "signature_png": SIGNATURE_B64,
    }
    job = job_document(f"JOB-2026-{n:06d}", JobReason.NEW, card)
    card_overrides = overrides.pop("card", {})
    job = copy.deepcopy(job)
    job.update(overrides)
    job["card"].update(card_overrides)
    return job


def payload(job: dict[str, Any]) -> bytes:
    return job_payload(job)
