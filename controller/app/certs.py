"""When the station's TLS certificates expire: `doctor` warns well before a station goes dark."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509

WARN_BEFORE = timedelta(days=30)


@dataclass(frozen=True)
class CertProblem:
    unusable: bool  # expired, not yet valid or unreadable (not merely expiring soon)
    message: str


def expiry_problem(
    path: str | Path, now: datetime, warn_before: timedelta = WARN_BEFORE
) -> CertProblem | None:
    """None when the certificate in `path` (PEM, the first one) is valid for `warn_before` more;
    else what is wrong."""
    try:
        certificate = x509.load_pem_x509_certificate(Path(path).read_bytes())
    except (OSError, ValueError) as exc:
        return CertProblem(True, f"{path}: cannot read the certificate: {exc}")
    ends = certificate.not_valid_after_utc
    if ends <= now:
        return CertProblem(True, f"{path} expired on {ends:%Y-%m-%d}")
    if certificate.not_valid_before_utc > now:
        starts = certificate.not_valid_before_utc
        return CertProblem(True, f"{path} is not valid before {starts:%Y-%m-%d} (clock?)")
    if ends - now < warn_before:
        days = (ends - now).days
        return CertProblem(False, f"{path} expires on {ends:%Y-%m-%d}, in {days} days: renew it")
    return None
