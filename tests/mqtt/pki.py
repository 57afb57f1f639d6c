"""A throw-away PKI for the broker tests, made with the openssl command line: a CA for the
stations (it also signs the broker's server certificate) and one for the central office."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
LEAF = "basicConstraints=CA:FALSE\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"


@dataclass(frozen=True)
class Credentials:
    cert: Path
    key: Path


@dataclass(frozen=True)
class Pki:
    directory: Path
    stations_ca: Path
    central_ca: Path
    server: Credentials

    def issue(self, common_name: str, *, central: bool = False) -> Credentials:
        """A client certificate with CN `common_name`, from the central or the stations' CA."""
        ca = self.central_ca if central else self.stations_ca
        return _leaf(self.directory, ca, common_name, "extendedKeyUsage=clientAuth\n")


def make_pki(directory: Path) -> Pki:
    directory.mkdir(parents=True, exist_ok=True)
    stations_ca = _ca(directory, "ektp-stations-ca")
    central_ca = _ca(directory, "ektp-central-ca")
    server = _leaf(
        directory,
        stations_ca,
        "localhost",
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
    )
    return Pki(directory, stations_ca, central_ca, server)


def _ca(directory: Path, name: str) -> Path:
    cert = directory / f"{name}.crt"
    _openssl(
        "req", "-x509", *EC_KEY, "-keyout", str(cert.with_suffix(".key")), "-out", str(cert),
        "-subj", f"/CN={name}", "-days", "2",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    )  # fmt: skip
    return cert


def _leaf(directory: Path, ca: Path, common_name: str, extensions: str) -> Credentials:
    stem = directory / f"{common_name}-{ca.stem}"
    key, csr, cert = stem.with_suffix(".key"), stem.with_suffix(".csr"), stem.with_suffix(".crt")
    ext = stem.with_suffix(".ext")
    ext.write_text(LEAF + extensions)
    _openssl("req", *EC_KEY, "-keyout", str(key), "-out", str(csr), "-subj", f"/CN={common_name}")
    _openssl(
        "x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca.with_suffix(".key")),
        "-CAcreateserial", "-out", str(cert), "-days", "2", "-extfile", str(ext),
    )  # fmt: skip
    return Credentials(cert, key)


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)
