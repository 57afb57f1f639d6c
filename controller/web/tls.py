"""The page's certificate: the one configured, or one the web process makes for itself (an
ECDSA key and a self-signed certificate for the host's name, kept in the state directory)."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

VALID_DAYS = 825  # what browsers accept for a server certificate


def own_certificate(directory: Path) -> tuple[Path, Path]:
    """(certificate, key) in `directory`, made the first time."""
    cert_path, key_path = directory / "web-cert.pem", directory / "web-key.pem"
    if not (cert_path.exists() and key_path.exists()):
        _make(cert_path, key_path)
    return cert_path, key_path


def _make(cert_path: Path, key_path: Path) -> None:
    # cryptography costs the process about 7 MB resident: loaded only to make a certificate.
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, socket.gethostname())])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(socket.gethostname())]), False)
        .sign(key, hashes.SHA256())
    )
    key_path.touch(mode=0o600)
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
