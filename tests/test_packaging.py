"""The tree's distributions install apart: what each requires, followed through the installed
metadata, reaches none of what belongs to the other end; each end has its own command; one
version. (What each package may import is tests/test_layers.py.)"""

from __future__ import annotations

import re
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name

import controller

ROOT = Path(__file__).resolve().parents[1]
STATION_ONLY = {"gpiozero", "pyusb", "pillow", "lgpio"}  # the kiosk's hardware and rendering
CENTRAL_ONLY = {"psycopg", "psycopg-binary", "printstation-central"}


def followed(requirement: Requirement, extras: set[str]) -> bool:
    """Whether an install asking for `extras` pulls `requirement` on some machine: a marker on
    the platform or the Python version counts as met (lgpio is only for aarch64, still pulled
    there); a marker on an extra is met only for the extras asked for."""
    marker = requirement.marker
    if marker is None or "extra" not in str(marker):
        return True
    return any(marker.evaluate({"extra": extra}) for extra in extras)


def reached(name: str) -> set[NormalizedName]:
    """Every distribution that installing `name` pulls in, itself excluded, as far as the
    installed metadata tells (a requirement not installed here is named, not followed)."""
    seen: set[NormalizedName] = set()
    todo: list[tuple[str, set[str]]] = [(name, set())]
    while todo:
        current, extras = todo.pop()
        try:
            requires = distribution(current).requires or []
        except PackageNotFoundError:
            continue
        for line in requires:
            requirement = Requirement(line)
            key = canonicalize_name(requirement.name)
            if followed(requirement, extras) and key not in seen:
                seen.add(key)
                todo.append((requirement.name, set(requirement.extras)))
    return seen


def test_the_central_office_installs_nothing_of_the_station():
    pulled = reached("printstation-central")
    assert {"printstation-contract", "printstation-logsetup", "psycopg", "paho-mqtt"} <= pulled
    assert not pulled & STATION_ONLY
    assert "printstation" not in pulled


def test_the_station_installs_nothing_of_the_central_office():
    pulled = reached("printstation")
    assert {"printstation-contract", "pillow", "gpiozero"} <= pulled
    assert not pulled & CENTRAL_ONLY


def test_the_contract_and_the_log_set_up_install_neither_end():
    for name in ("printstation-contract", "printstation-logsetup"):
        assert not reached(name) & (STATION_ONLY | CENTRAL_ONLY | {"printstation"}), name


def test_each_end_has_its_own_command():
    def commands(name: str) -> set[str]:
        return {e.name for e in distribution(name).entry_points if e.group == "console_scripts"}

    assert commands("printstation") == {"printstation", "printstation-web"}  # + the web page
    assert commands("printstation-central") == {"printstation-central"}


def test_every_distribution_and_the_debian_package_carry_the_version_in_version_file():
    version = (ROOT / "VERSION").read_text().strip()
    names = (
        "printstation",
        "printstation-contract",
        "printstation-logsetup",
        "printstation-central",
    )
    assert {distribution(name).version for name in names} == {version}
    assert controller.__version__ == version
    changelog = (ROOT / "debian" / "changelog").read_text()
    assert re.match(rf"printstation \({re.escape(version)}\) ", changelog)
