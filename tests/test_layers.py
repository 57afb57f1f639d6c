"""The seams run one way (docs/design.md, "The packages"): each rule here is one arrow that
must not exist, read from the code's own import statements.

- `contract` (the interface), `evolis_wire` (the printer's wire format) and `logsetup` import
  none of the packages built on them;
- `firmware` (the bench printer) imports nothing of the station;
- `central` (the central office) imports nothing of the station, its printer or the firmware:
  only `contract` and `logsetup` (its own distribution, so that every program of the project
  logs one way without the central office installing the station);
- inside the station, only `controller.app` (the process, its config and command line) may
  import `controller.app`;
- nothing outside tests/ imports `tests` or edits `sys.path`;
- no class of the products is longer than ~200 lines.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRODUCTS = ("contract", "evolis_wire", "logsetup", "firmware", "controller", "central")
MAX_CLASS_LINES = 210

# package -> top-level packages of this repository it must not import
FORBIDDEN = {
    "contract": {"controller", "central", "firmware", "evolis_wire", "tests", "testkit"},
    "evolis_wire": {"controller", "central", "firmware", "contract", "tests", "testkit"},
    "logsetup": {"controller", "central", "firmware", "evolis_wire", "tests", "testkit"},
    "firmware": {"controller", "central", "tests", "testkit"},
    "central": {"controller", "firmware", "evolis_wire", "tests", "testkit"},
    "controller": {"central", "tests", "testkit"},
    "bench": {"tests"},
    "tools": {"tests"},
}


def modules_imported(path: Path) -> Iterator[tuple[int, str]]:
    """(line, dotted module) of every import in `path`, relative ones resolved."""
    tree = ast.parse(path.read_text(), str(path))
    package = path.relative_to(ROOT).with_suffix("").parts[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                yield node.lineno, ".".join([*base, *(node.module or "").split(".")]).strip(".")
            else:
                yield node.lineno, node.module or ""


def sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def violations(package: str, forbidden: set[str]) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{line}: imports {module}"
        for path in sources(package)
        for line, module in modules_imported(path)
        if module.split(".")[0] in forbidden
    ]


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_a_package_imports_nothing_built_on_it(package: str) -> None:
    assert violations(package, FORBIDDEN[package]) == []


@pytest.mark.parametrize("program", ["app", "web"])
def test_only_the_programs_import_the_app_and_nothing_imports_the_web(program: str) -> None:
    """The two programs (the daemon and its command line; the web page) sit on top: the web
    page may use the app's config and report helpers, nothing else uses either."""
    allowed = {"app": ("app", "web"), "web": ("web",)}[program]
    found = [
        f"{path.relative_to(ROOT)}:{line}: imports {module}"
        for path in sources("controller")
        if not any(ROOT / "controller" / top in path.parents for top in allowed)
        and path.name != "__main__.py"
        for line, module in modules_imported(path)
        if module == f"controller.{program}" or module.startswith(f"controller.{program}.")
    ]
    assert found == []


def test_the_check_resolves_relative_imports(tmp_path: Path) -> None:
    global ROOT
    sample = tmp_path / "controller" / "mqtt" / "link.py"
    sample.parent.mkdir(parents=True)
    sample.write_text("from ..app.config import X\nfrom . import y\nimport controller.app\n")
    saved, ROOT = ROOT, tmp_path
    try:
        assert [module for _, module in modules_imported(sample)] == [
            "controller.app.config",
            "controller.mqtt",
            "controller.app",
        ]
    finally:
        ROOT = saved


@pytest.mark.parametrize("folder", ["bench", "tools", *PRODUCTS])
def test_no_sys_path_edits_outside_tests(folder: str) -> None:
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sources(folder)
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if "sys.path" in line
    ]
    assert found == []


def long_classes(path: Path) -> Iterator[str]:
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.end_lineno - node.lineno > MAX_CLASS_LINES:
            yield f"{path.relative_to(ROOT)}:{node.name} ({node.end_lineno - node.lineno} lines)"


def test_no_class_is_longer_than_about_200_lines() -> None:
    found = [
        line for package in PRODUCTS for path in sources(package) for line in long_classes(path)
    ]
    assert found == []


TOPIC_LAYOUT = re.compile(r'"ektp/v1"|/event/|endswith\("/status"\)')


def test_the_topic_layout_is_written_only_in_the_contract() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for folder in ("controller", "central", "tools", "bench", "firmware")
        for path in sources(folder)
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if TOPIC_LAYOUT.search(line)
    ]
    assert found == []
