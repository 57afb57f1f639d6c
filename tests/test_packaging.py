"""The tree's distributions install apart: what each requires, followed through the installed
metadata, reaches none of what belongs to the other end; the central office imports nothing of
the station; nothing outside tests/ imports the tests or edits sys.path; one version."""

from __future__ import annotations

import ast
import re
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name

import controller

ROOT = Path(__file__).resolve().parents[1]
STATION_ONLY = {"gpiozero", "pyusb", "pillow", "lgpio"}  # the kiosk's hardware and rendering
CENTRAL_ONLY = {"psycopg", "psycopg-binary", "printstation-central"}
OUTSIDE_TESTS = ("bench", "central", "contract", "controller", "evolis_wire", "firmware", "tools")


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
    assert {"printstation-contract", "psycopg", "paho-mqtt"} <= pulled
    assert not pulled & STATION_ONLY
    assert "printstation" not in pulled


def test_the_station_installs_nothing_of_the_central_office():
    pulled = reached("printstation")
    assert {"printstation-contract", "pillow", "gpiozero"} <= pulled
    assert not pulled & CENTRAL_ONLY


def test_the_contract_installs_neither_end():
    assert not reached("printstation-contract") & (STATION_ONLY | CENTRAL_ONLY)


def imports(directory: str) -> dict[str, set[str]]:
    """Per module below `directory` (relative to the root): the top-level names it imports."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / directory).rglob("*.py")):
        names = found.setdefault(str(path.relative_to(ROOT)), set())
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
    return found


def test_the_central_office_imports_nothing_of_the_station():
    station = {"controller", "evolis_wire", "firmware", "testkit", "tests"}
    reaching = {module: names & station for module, names in imports("central").items()}
    assert {module: names for module, names in reaching.items() if names} == {}


def test_nothing_outside_the_tests_imports_them_or_edits_sys_path():
    offenders = [
        module
        for directory in OUTSIDE_TESTS
        for module, names in imports(directory).items()
        if "tests" in names or "sys.path" in (ROOT / module).read_text()
    ]
    assert offenders == []


def test_each_end_has_its_own_command():
    def commands(name: str) -> set[str]:
        return {e.name for e in distribution(name).entry_points if e.group == "console_scripts"}

    assert commands("printstation") == {"printstation"}
    assert commands("printstation-central") == {"printstation-central"}


def test_every_distribution_and_the_debian_package_carry_the_version_in_version_file():
    version = (ROOT / "VERSION").read_text().strip()
    names = ("printstation", "printstation-contract", "printstation-central")
    assert {distribution(name).version for name in names} == {version}
    assert controller.__version__ == version
    changelog = (ROOT / "debian" / "changelog").read_text()
    assert re.match(rf"printstation \({re.escape(version)}\) ", changelog)
