"""SMS the gateway could not deliver, made visible: Gammu SMSD's `sentitems` rows of ours
(`CreatorID` `ps:…`) whose `Status` is `SendingError` (the modem or network refused it),
`DeliveryFailed` (the delivery report said so) or `Error` (gammu-smsd gave up on it) become,
once each, an `sms.failed` row of the operators' table, with Gammu's status as its code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import psycopg

from central.gateway import CREATOR_PREFIX

SMS_FAILED = "sms.failed"  # operator_events.type


class GatewayFailure(StrEnum):
    """Gammu's `sentitems.Status` values that mean the citizen did not get the SMS."""

    SENDING_ERROR = "SendingError"
    DELIVERY_FAILED = "DeliveryFailed"
    ERROR = "Error"


@dataclass(frozen=True)
class FailedSms:
    job_id: str
    kind: str
    ordinal: int
    status: GatewayFailure
    phone: str
    text: str


# The key of a failure is its sentitems row ("ID", "SequencePosition"): recorded once, whichever
# replica sees it first. The partial index of migration 0003 keeps the scan to failed rows.
_RECORD = f"""
INSERT INTO operator_events (event_id, station, type, job_id, code, time, data)
SELECT 'sms:' || s."ID" || ':' || s."SequencePosition", coalesce(p.station, ''), %(type)s,
       k[1], s."Status", %(now)s,
       jsonb_build_object('creator', s."CreatorID", 'phone', s."DestinationNumber",
                          'kind', k[2], 'ordinal', k[3]::integer)
  FROM sentitems s
  CROSS JOIN LATERAL regexp_match(s."CreatorID", '^{CREATOR_PREFIX}(.*):([a-z]+):([0-9]+)$') AS k
  LEFT JOIN printed_cards p ON p.job_id = k[1]
 WHERE s."Status" IN ({", ".join(f"'{f}'" for f in GatewayFailure)}) AND k[1] IS NOT NULL
ON CONFLICT (event_id) DO NOTHING
RETURNING job_id, code
"""


def record_failures(conn: psycopg.Connection, now: datetime) -> list[tuple[str, GatewayFailure]]:
    """Record the failures not recorded yet; return their jobs and statuses."""
    rows = conn.execute(_RECORD, {"type": SMS_FAILED, "now": now}).fetchall()
    return [(job_id, GatewayFailure(code)) for job_id, code in rows]


def failed_sms(conn: psycopg.Connection) -> list[FailedSms]:
    """Every failure recorded, oldest first, with the text that did not arrive."""
    rows = conn.execute(
        "SELECT o.job_id, o.data->>'kind', (o.data->>'ordinal')::integer, o.code,"
        " o.data->>'phone', coalesce(l.text, '')"
        " FROM operator_events o LEFT JOIN sms_log l ON (l.job_id, l.kind, l.ordinal)"
        " = (o.job_id, o.data->>'kind', (o.data->>'ordinal')::integer)"
        " WHERE o.type = %s ORDER BY o.time, o.event_id",
        (SMS_FAILED,),
    ).fetchall()
    return [
        FailedSms(job, kind, ordinal, GatewayFailure(code), phone, text)
        for job, kind, ordinal, code, phone, text in rows
    ]
