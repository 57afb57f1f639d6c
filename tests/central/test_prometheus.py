"""The shipped Prometheus rules pass `promtool check rules` and their own unit tests
(`promtool test rules`), and every query of the shipped Grafana dashboard and of the rules
names only metrics the service exports or the rules record.

(A real Prometheus scraping a running service: tests/central/test_prometheus_scrape.py.)"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import psycopg
import pytest
import yaml
from prometheus_client import CollectorRegistry

from central.fleet import FleetCollector
from central.metrics import CentralMetrics
from tests.central.test_fleet import load

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "config" / "prometheus" / "printstation-central.rules.yml"
RULE_TESTS = ROOT / "config" / "prometheus" / "printstation-central.rules.test.yml"
DASHBOARD = ROOT / "config" / "grafana" / "printstation-central.json"
# A metric name in PromQL: the project's prefix, or a recording rule's level:metric:operation.
METRIC = re.compile(r"\b(?:[a-z_]+:)?printstation_[a-z0-9_:]+")


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    program = shutil.which("promtool")
    if program is None:
        pytest.fail("promtool is not installed (apt-get install prometheus; .ci/run does)")
    return subprocess.run([program, *args], capture_output=True, text=True, timeout=120)


def rules() -> list[dict]:
    return [
        rule for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]
    ]


def recorded() -> dict[str, str]:
    return {rule["record"]: rule["expr"] for rule in rules() if "record" in rule}


def dashboard_queries() -> list[str]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return [target["expr"] for panel in panels for target in panel["targets"]]


def exported_names(dsn: str) -> set[str]:
    """The names a replica's /metrics declares, its fleet gauges included: the samples', and a
    counter's `_total` before its first labelled series (a station's cards, per station)."""
    registry = CentralMetrics().registry
    fleet = CollectorRegistry()
    fleet.register(FleetCollector(lambda: psycopg.connect(dsn)))
    families = [family for each in (registry, fleet) for family in each.collect()]
    return {sample.name for family in families for sample in family.samples} | {
        f"{family.name}_total" for family in families if family.type == "counter"
    }


def test_promtool_checks_the_rules() -> None:
    result = promtool("check", "rules", str(RULES))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_rules_pass_their_unit_tests() -> None:
    result = promtool("test", "rules", str(RULE_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_query_names_a_metric_the_service_exports_or_a_rule_records(db, dsn) -> None:
    load(db)  # two stations' statuses: the fleet's gauges have series
    exported, records = exported_names(dsn), recorded()
    queries = dashboard_queries() + [rule["expr"] for rule in rules()]
    named = {name for query in queries for name in METRIC.findall(query)}
    assert named, "no metric found in the queries"
    assert sorted(named - exported - records.keys()) == []
    assert all(METRIC.findall(expr) for expr in records.values())


def test_every_panel_has_a_query_and_every_query_a_metric() -> None:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    assert panels and all(panel["targets"] for panel in panels)
    assert [query for query in dashboard_queries() if not METRIC.search(query)] == []
