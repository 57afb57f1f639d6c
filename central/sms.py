"""The SMS texts (Indonesian templates) and the reminder schedule.

A text must fit one GSM-7 SMS (160 characters): the `citizen_jobs` columns are bounded so that
the longest office name and time slot still fit (`_fits` refuses a longer text).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from itertools import pairwise
from string import Template

SMS_MAX_CHARS = 160
# Palembang's rule: up to three reminders within six months, then the card goes to the kecamatan.
DEFAULT_REMINDER_DAYS = (30.0, 90.0, 180.0)

PRINTED = Template(
    "e-KTP Anda sudah jadi. Silakan ambil di $office$slot. Bawa bukti perekaman."
    " Gratis, tanpa biaya."
)
PRINTED_SLOT = Template(", $slot")
REMINDER = Template(
    "Pengingat $n/$total: e-KTP Anda sudah jadi sejak $date dan belum diambil."
    " Silakan ambil di $office."
)
LAST_REMINDER = Template(
    "Pengingat terakhir: e-KTP Anda belum diambil sejak $date. Segera ambil di $office;"
    " setelah ini e-KTP dikirim ke kecamatan."
)


@dataclass(frozen=True)
class Contact:
    """The office's record of a job: who to text and where the card is collected."""

    job_id: str
    phone: str
    office: str
    slot: str | None = None


class SmsKind(StrEnum):
    """What an SMS tells the citizen (`sms_log.kind`)."""

    PRINTED = "printed"  # the card is ready to collect
    REMINDER = "reminder"  # it is still not collected


@dataclass(frozen=True)
class Sms:
    """One message for the gateway; `key` is unique per message ever sent."""

    job_id: str
    kind: SmsKind
    ordinal: int  # 0 for PRINTED, 1.. for reminders
    phone: str
    text: str

    @property
    def key(self) -> str:
        return f"{self.job_id}:{self.kind}:{self.ordinal}"


def printed_sms(contact: Contact) -> Sms:
    slot = PRINTED_SLOT.substitute(slot=contact.slot) if contact.slot else ""
    text = PRINTED.substitute(office=contact.office, slot=slot)
    return Sms(contact.job_id, SmsKind.PRINTED, 0, contact.phone, _fits(text))


def reminder_sms(contact: Contact, ordinal: int, total: int, printed_at: datetime) -> Sms:
    """Reminder `ordinal` of `total` (1-based) for a card printed at `printed_at`."""
    template = LAST_REMINDER if ordinal == total else REMINDER
    text = template.substitute(
        n=ordinal,
        total=total,
        date=printed_at.strftime("%d-%m-%Y"),
        office=contact.office,
    )
    return Sms(contact.job_id, SmsKind.REMINDER, ordinal, contact.phone, _fits(text))


@dataclass(frozen=True)
class ReminderSchedule:
    """Reminders at these offsets after printing, while the card is not collected."""

    offsets: tuple[timedelta, ...]

    @classmethod
    def days(cls, days: tuple[float, ...] = DEFAULT_REMINDER_DAYS) -> ReminderSchedule:
        if any(b <= a for a, b in pairwise(days)) or any(d <= 0 for d in days):
            raise ValueError("reminder days must be positive and increasing")
        return cls(tuple(timedelta(days=d) for d in days))

    def next_at(self, printed_at: datetime, sent: int) -> datetime | None:
        """When reminder number `sent + 1` is due, or None when all have been sent."""
        return printed_at + self.offsets[sent] if sent < len(self.offsets) else None


def _fits(text: str) -> str:
    if len(text) > SMS_MAX_CHARS:
        raise ValueError(f"SMS of {len(text)} characters; one SMS holds {SMS_MAX_CHARS}")
    return text
