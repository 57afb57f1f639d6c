"""Valid print jobs whose personal data is unique per job, so that a leak can be traced.

Each job has its own name, address and NIK, and a photo and a signature carrying a unique
token (a JPEG comment segment, a PNG tEXt chunk), so that the suite can search every
published message for each job's personal data, and the station's database files for the
pictures of jobs that have ended.
"""

from __future__ import annotations

import base64
import io
import json
import struct
import zlib
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from PIL import Image, ImageDraw

from testkit.jobs import nik_for

FIRST = ("SITI", "BUDI", "DEWI", "AGUS", "RINA", "JOKO", "SRI", "ADI", "WATI", "HENDRA")
LAST = ("RAHAYU", "SANTOSO", "LESTARI", "WIBOWO", "PUSPITA", "HIDAYAT", "KURNIA", "SETIAWAN")
STREETS = ("PAJAJARAN", "MAWAR", "MELATI", "SUDIRMAN", "DAHLIA", "KENANGA")
REASONS = ("new", "new", "new", "damaged", "lost", "data_change")


@cache
def _base_photo() -> bytes:
    image = Image.new("RGB", (120, 160), (190, 50, 40))
    draw = ImageDraw.Draw(image)
    draw.ellipse((30, 25, 90, 95), fill=(230, 190, 160))
    draw.rectangle((20, 100, 100, 160), fill=(30, 30, 90))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=70)
    return out.getvalue()


@cache
def _base_signature() -> bytes:
    image = Image.new("L", (200, 80), 255)
    ImageDraw.Draw(image).line([(10, 60), (60, 15), (110, 70), (190, 20)], fill=0, width=3)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def photo_with(token: bytes) -> bytes:
    """The base JPEG with a comment segment (FFFE) holding `token`, right after SOI."""
    base = _base_photo()
    return base[:2] + b"\xff\xfe" + struct.pack(">H", len(token) + 2) + token + base[2:]


def signature_with(token: bytes) -> bytes:
    """The base PNG with a tEXt chunk holding `token`, right after IHDR."""
    base = _base_signature()
    body = b"Comment\x00" + token
    chunk = struct.pack(">I", len(body)) + b"tEXt" + body
    chunk += struct.pack(">I", zlib.crc32(b"tEXt" + body) & 0xFFFFFFFF)
    return base[:33] + chunk + base[33:]


def letters(number: int, width: int = 4) -> str:
    """`number` in base 26 as capital letters: a short unique word for names and addresses."""
    out = ""
    for _ in range(width):
        number, digit = divmod(number, 26)
        out = chr(ord("A") + digit) + out
    return out


@dataclass(frozen=True)
class Person:
    """What of one job must never leave the station (the strings searched for)."""

    job_id: str
    nik: str
    name: str
    address: str
    photo_b64_part: str  # a piece of the base64 photo that only this job has
    signature_b64_part: str
    photo_token: bytes  # in the decoded photo: searched for in the database files
    signature_token: bytes

    def secrets(self) -> dict[str, str]:
        return {
            "nik": self.nik,
            "name": self.name,
            "address": self.address,
            "photo": self.photo_b64_part,
            "signature": self.signature_b64_part,
        }


def valid_job(n: int, run: str, *, today: date, reason: str | None = None) -> dict[str, Any]:
    """Job number `n` of run `run` (a short tag that makes the tokens unique per run)."""
    birth = date(1950 + n % 55, 1 + n % 12, 1 + (n * 7) % 28)
    sex = "P" if n % 2 else "L"
    province = (11, 32, 94, 36, 73)[n % 5]
    word = letters(n)
    photo = photo_with(f"PHOTO-{run}-{n:06d}".encode())
    signature = signature_with(f"SIGN-{run}-{n:06d}".encode())
    return {
        "schema": "ektp.job/1",
        "job_id": f"RJ-{run}-{n:06d}",
        "reason": reason or REASONS[n % len(REASONS)],
        "prr": True,
        "card": {
            "nik": nik_for(birth, sex, province=province, serial=n % 10000),
            "name": f"{FIRST[n % len(FIRST)]} {LAST[n % len(LAST)]} {word}",
            "birth_place": "BOGOR",
            "birth_date": birth.isoformat(),
            "sex": sex,
            "blood_type": ("A", "B", "AB", "O", "-")[n % 5],
            "address": f"JL. {STREETS[n % len(STREETS)]} NO. {n % 200 + 1} BLOK {word}",
            "rt_rw": f"{n % 20 + 1:03d}/{n % 9 + 1:03d}",
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
            "issued_date": today.isoformat(),
            "photo_jpeg": base64.b64encode(photo).decode(),
            "signature_png": base64.b64encode(signature).decode(),
        },
    }


def person_of(job: dict[str, Any], n: int, run: str) -> Person:
    card = job["card"]
    return Person(
        job_id=job["job_id"],
        nik=card["nik"],
        name=card["name"],
        address=card["address"],
        photo_b64_part=card["photo_jpeg"][4:44],
        signature_b64_part=card["signature_png"][44:100],
        photo_token=f"PHOTO-{run}-{n:06d}".encode(),
        signature_token=f"SIGN-{run}-{n:06d}".encode(),
    )


def encode(job: dict[str, Any]) -> bytes:
    return json.dumps(job, separators=(",", ":")).encode()
