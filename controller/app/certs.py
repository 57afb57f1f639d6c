"""When the station's TLS certificates expire: `doctor` warns well before a station goes dark."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509

from controller.app.language import _

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
        text = _("%(path)s: cannot read the certificate: %(problem)s")
        return CertProblem(True, text % {"path": path, "problem": exc})
    ends = certificate.not_valid_after_utc
    if ends <= now:
        text = _("%(path)s expired on %(day)s")
        return CertProblem(True, text % {"path": path, "day": f"{ends:%Y-%m-%d}"})
    if certificate.not_valid_before_utc > now:
        starts = certificate.not_valid_before_utc
        text = _("%(path)s is not valid before %(day)s (clock?)")
        return CertProblem(True, text % {"path": path, "day": f"{starts:%Y-%m-%d}"})
    if ends - now < warn_before:
        days = (ends - now).days
        text = _("%(path)s expires on %(day)s, in %(days)s days: renew it")
        return CertProblem(False, text % {"path": path, "day": f"{ends:%Y-%m-%d}", "days": days})
    return None
