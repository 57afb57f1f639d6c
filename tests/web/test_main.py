"""Issue 27: `printstation-web` stops at a wrong config with one line per problem naming the
file and key, and makes its certificate once (its key readable by it alone)."""

from __future__ import annotations

import gc
import stat
import subprocess
import sys
import weakref
from pathlib import Path

import pytest

from controller.config_file.errors import ConfigError
from controller.web.i18n import environments
from controller.web.main import EXIT_CONFIG, main
from controller.web.settings import load_page_config
from controller.web.tls import own_certificate

HOME_VALUES = {
    "language": "id",
    "csrf": "t",
    "person": "budi",
    "notice": None,
    "station": {"state": "idle", "link": {}, "consumables": {}, "today": {}},
    "state_words": "siap",
    "waits": [],
    "as_of": "10:00:00 WIB",
    "consumable_names": {"blanks": "blanks"},
    "job_states": {},
    "received": str,
    "in_custody": [],
    "causes": {},
    "accounts": [],
    "today": "2026-12-07",
}


def test_a_wrong_config_stops_it_naming_file_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "station.toml"
    config.write_text('[station]\nid = "3271-bogor-timur-01"\n[duty]\ntimezone = "Mars/Olympus"\n')
    assert main(["--config", str(config)]) == EXIT_CONFIG
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("printstation-web: config error: ")
    assert str(config) in line and "[duty] timezone" in line


def test_its_own_certificate_is_made_once_with_a_private_key(tmp_path: Path) -> None:
    cert, key = own_certificate(tmp_path)
    assert cert.read_text().startswith("-----BEGIN CERTIFICATE-----")
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    made = cert.read_bytes()
    assert own_certificate(tmp_path) == (cert, key) and cert.read_bytes() == made


def test_the_web_process_loads_no_driver_database_or_distribution_metadata() -> None:
    """Its memory (docs/benchmarks.md): reading the config loads no printer driver, USB, retry
    library, sqlite3 or importlib.metadata, none of which the page uses; nor the station's
    full config (the other sections' settings, structlog) or Babel's runtime."""
    unused = ("usb", "tenacity", "evolis_wire", "controller.devices.evolis", "sqlite3",
              "importlib.metadata", "cryptography", "controller.app.config", "structlog",
              "logsetup", "controller.mqtt", "controller.devices", "babel")  # fmt: skip
    probe = f"import sys, controller.web.main; print([m for m in {unused!r} if m in sys.modules])"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert loaded.stdout.strip() == "[]", loaded.stderr


def test_it_reads_only_its_sections_of_the_config(tmp_path: Path) -> None:
    """[station] and [duty], checked as the daemon checks them; the rest is the daemon's."""
    config = tmp_path / "station.toml"
    config.write_text(
        f'[station]\nid = "3271-bogor-timur-01"\nstate_dir = "{tmp_path}"\n'
        '[duty]\ntimezone = "Asia/Makassar"\n[mqtt]\nport = 70000\n[printer]\ndriver = "serial"\n'
    )
    read = load_page_config(config)
    assert read.station.control_socket == tmp_path / "control.sock"
    assert read.duty.timezone == "Asia/Makassar"
    config.write_text('[station]\nid = "bukan id"\n')
    with pytest.raises(ConfigError, match=r"\[station\] id: must"):
        load_page_config(config)


def test_static_files_are_typed_without_the_system_mime_database() -> None:
    """Starlette's guess would read /etc/mime.types (0.3 MB of the web process)."""
    probe = """
import mimetypes, os
from controller.web.app import HERE, ShippedFiles
files = ShippedFiles(directory=HERE / "static")
scope = {"type": "http", "headers": []}
for name in ("style.css", "htmx.min.js", "htmx.LICENSE"):
    path = HERE / "static" / name
    print(files.file_response(path, os.stat(path), scope).headers["content-type"])
print(mimetypes.inited)
"""
    served = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert served.stdout.splitlines() == [
        "text/css; charset=utf-8",
        "text/javascript; charset=utf-8",
        "text/plain; charset=utf-8",
        "False",
    ], served.stderr


def test_a_rendered_home_page_frees_its_values_without_the_cycle_collector() -> None:
    """A macro defined in the page would hold the page's context (its 200 queued jobs) in a
    reference cycle until Python's full collection (docs/benchmarks.md)."""

    class Jobs(list[object]):
        pass

    jobs = Jobs()
    kept = weakref.ref(jobs)
    page = environments()["id"].get_template("home.html")
    gc.disable()
    try:
        page.render(**HOME_VALUES, queue=jobs)
        del jobs
        assert kept() is None
    finally:
        gc.enable()
