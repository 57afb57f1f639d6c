"""The contract's vocabulary (its `StrEnum`s: schemas, states, codes, topic levels) is written
once: in the contract package, which also builds and reads every payload.

Every string constant of the station, the central office, the tools and the benchmarks
(docstrings aside) is checked: none may equal a name of the vocabulary, and none may quote one
as an SQL literal (`state = 'queued'`). A payload's keys are no exception: payloads are shaped
in contract/. The database migrations (controller/queue/schema.py) are history and spell the
names out; the schema they build is checked against the vocabulary instead. firmware/ is not
scanned: the bench printer speaks the printer's language, whose words (`cards`, a folder;
`stopping`) are its own.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from enum import StrEnum
from pathlib import Path

import pytest

import contract
from contract.vocabulary import (
    ACTIVE_STATES,
    ActionSource,
    AttemptOutcome,
    Consumable,
    JobReason,
    JobState,
    Role,
    Severity,
)
from controller.queue.db import Database

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("controller", "central", "tools", "bench")  # everything but the contract's home
# Files whose named module-level constant holds history that must not change: its strings are
# not scanned (the schema they make is checked below).
HISTORY = {Path("controller") / "queue" / "schema.py": "MIGRATIONS"}

NAMES = frozenset(
    member.value
    for module in pkgutil.iter_modules(contract.__path__)
    for value in vars(importlib.import_module(f"contract.{module.name}")).values()
    if isinstance(value, type) and issubclass(value, StrEnum) and value is not StrEnum
    for member in value
)
SQL_LITERAL = re.compile(r"'([a-z_.]+)'")
# Words the vocabulary shares with something else, where each is written and what it is there:
# none of them is a name of the interface.
HOMONYMS = {
    Path("central") / "sms.py": {"printed": "the kind of SMS that says a card is ready"},
    Path("central") / "metrics.py": {"new": "a metric's label: an event not seen before"},
    Path("central") / "options.py": {"mqtt": "a table of the config file: the broker settings"},
    Path("bench") / "card.py": {"cards": "a benchmark's result: how many cards it printed"},
    Path("bench") / "central.py": {"cards": "a benchmark's result: how many cards it printed"},
    Path("bench") / "duty.py": {
        "printed": "a benchmark's result: how many cards a day printed",
        "cards": "the unit of a benchmark's measure",
    },
    Path("bench") / "intake.py": {"jobs": "a benchmark's result: how many jobs it sent"},
    Path("bench") / "ipp_card.py": {"cards": "a benchmark's result: how many cards it printed"},
    Path("controller") / "devices" / "ipp_state.py": {
        "offline": "an IPP printer-state-reasons keyword (RFC 8011), not the station's state",
        "paused": "an IPP printer-state-reasons keyword (RFC 8011), not the station's state",
    },
}


def docstrings(tree: ast.AST) -> set[int]:
    """Docstrings: prose, which may name anything."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def history(tree: ast.Module, constant: str | None) -> set[int]:
    """Every node of the module-level assignment to `constant`."""
    found = set()
    for statement in tree.body:
        if isinstance(statement, ast.Assign):
            targets = statement.targets
        elif isinstance(statement, ast.AnnAssign):
            targets = [statement.target]
        else:
            continue
        if any(isinstance(target, ast.Name) and target.id == constant for target in targets):
            found.update(id(node) for node in ast.walk(statement))
    return found


def spelled_out(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    skip = docstrings(tree) | history(tree, HISTORY.get(path.relative_to(ROOT)))
    homonyms = HOMONYMS.get(path.relative_to(ROOT), {})
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            continue
        if id(node) in skip:
            continue
        quoted = {m for m in SQL_LITERAL.findall(node.value) if m in NAMES}
        if (node.value in NAMES and node.value not in homonyms) or quoted:
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            found.append(f"{where}: {node.value!r}")
    return found


def test_the_vocabulary_is_written_only_in_its_home() -> None:
    paths = sorted(path for folder in SCANNED for path in (ROOT / folder).rglob("*.py"))
    found = [line for path in paths for line in spelled_out(path)]
    assert found == [], "contract names written outside contract/:\n" + "\n".join(found)


def test_the_check_finds_a_spelled_out_state(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        '"""queued is fine in a docstring."""\n'
        'STATE = "queued"\n'
        "SQL = \"SELECT 1 FROM jobs WHERE state = 'printing'\"\n"
        'OTHER = "hello"\n'
    )
    found = [line.split(": ", 1)[1] for line in spelled_out_any(sample)]
    assert found == ["'queued'", "\"SELECT 1 FROM jobs WHERE state = 'printing'\""]


def test_the_check_finds_a_payload_key(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text('QUEUE = {"queued": 1}\nLIMIT = status.get("daily_limit")\n')
    found = [line.split(": ", 1)[1] for line in spelled_out_any(sample)]
    assert found == ["'queued'", "'daily_limit'"]


def test_the_migrations_alone_are_history(tmp_path: Path) -> None:
    sample = tmp_path / "controller" / "queue" / "schema.py"
    sample.parent.mkdir(parents=True)
    sample.write_text(
        "MIGRATIONS: tuple[str, ...] = (\"CREATE TABLE t (s TEXT CHECK (s IN ('queued')))\",)\n"
        'STATES = ("queued",)\n'
    )
    assert [line.split(": ", 1)[1] for line in spelled_out_any(sample)] == ["'queued'"]


def spelled_out_any(path: Path) -> list[str]:
    """`spelled_out` of a file outside the repository, as if its root were two levels up."""
    global ROOT
    saved, ROOT = ROOT, path.parents[2]
    try:
        return spelled_out(path)
    finally:
        ROOT = saved


# table.column: the enum whose values its CHECK (column IN (...)) must list.
CHECKED_COLUMNS = {
    "jobs.state": JobState,
    "jobs.reason": JobReason,
    "attempts.outcome": AttemptOutcome,
    "consumables.consumable": Consumable,
    "alerts.severity": Severity,
    "audit.how": ActionSource,
    "accounts.role": Role,
    "lots.consumable": Consumable,
}
CHECK_IN = re.compile(r"CHECK\s*\(\s*(\w+)\s+IN\s*\(([^)]*)\)\s*\)", re.IGNORECASE)
WHERE_IN = re.compile(r"WHERE\s+(\w+)\s+IN\s*\(([^)]*)\)", re.IGNORECASE)


def quoted(values: str) -> list[str]:
    return re.findall(r"'([^']*)'", values)


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """name → SQL of every table and index, as all the migrations leave the database."""
    db = Database(tmp_path_factory.mktemp("schema") / "station.db")
    try:
        with db.reading() as conn:
            rows = conn.execute("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL")
            return {name: sql for name, sql in rows}
    finally:
        db.close()


def test_the_schema_checks_each_column_against_the_vocabulary(schema: dict[str, str]) -> None:
    checks = {
        f"{table}.{column}": quoted(values)
        for table, sql in schema.items()
        for column, values in CHECK_IN.findall(sql)
    }
    for column, names in CHECKED_COLUMNS.items():
        assert column in checks, f"{column} has no CHECK ({column.split('.')[1]} IN (...))"
        assert len(checks[column]) == len(set(checks[column])), column
        assert set(checks[column]) == {name.value for name in names}, column


def test_the_one_active_job_per_nik_index_lists_the_active_states(
    schema: dict[str, str],
) -> None:
    """In the order of ACTIVE_STATES: intake's query spells them the same way, so that the
    query planner sees it may use this partial index."""
    ((column, values),) = WHERE_IN.findall(schema["jobs_one_active_per_nik"])
    assert column == "state"
    assert quoted(values) == [state.value for state in ACTIVE_STATES]


def test_the_check_reads_a_check_list() -> None:
    sql = "CREATE TABLE t (a TEXT CHECK (a IN ('x', 'y')), b INTEGER CHECK (b >= 0))"
    assert [(column, quoted(values)) for column, values in CHECK_IN.findall(sql)] == [
        ("a", ["x", "y"])
    ]
