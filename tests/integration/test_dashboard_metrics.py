"""The Grafana dashboard and the alert rules query only metric names the app really exposes.

Both files' PromQL is parsed for metric names, which are compared with the sample names
(``_total``, ``_bucket``, ``_count``, ``_sum`` included) of a live ``GET /metrics`` from the
real app. ``up`` is the one name Prometheus itself adds to every scrape.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from cryoprotect.ops import metrics

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
DASHBOARDS = sorted((ROOT / "deploy" / "grafana" / "dashboards").glob("*.json"))
RULE_FILES = sorted((ROOT / "deploy" / "prometheus" / "rules").glob("*.yml"))
FROM_PROMETHEUS = {"up"}

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_SELECTOR = re.compile(r"\{[^{}]*\}")
_RANGE = re.compile(r"\[[^\[\]]*\]")
_GROUPING = re.compile(
    r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)", re.IGNORECASE
)
_IDENT = re.compile(r"(?<![\w.$:])([A-Za-z_:][A-Za-z0-9_:]*+)(?!\s*\()")
_KEYWORDS = {
    "and",
    "or",
    "unless",
    "bool",
    "offset",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "inf",
    "nan",
}


def metric_names(expr: str) -> set[str]:
    """Metric names in a PromQL expression (not functions, labels, keywords or variables)."""
    text = _STRING.sub('""', expr)
    text = _SELECTOR.sub("", text)
    text = _RANGE.sub("", text)
    text = _GROUPING.sub("", text)
    return {m for m in _IDENT.findall(text) if m.lower() not in _KEYWORDS}


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ('up{job="x"} == 0', {"up"}),
        (
            'histogram_quantile(0.95, sum by (endpoint, le) (rate(a_bucket{job="$job"}[$__rate_interval])))',
            {"a_bucket"},
        ),
        (
            "sum(rate(a_total[5m])) / sum without (le) (rate(b_count[5m])) > 2e9",
            {"a_total", "b_count"},
        ),
        ('time() - c{check="database"} > 300', {"c"}),
        ('x and on (instance) y offset 5m unless z{l=~"a|b"}', {"x", "y", "z"}),
    ],
)
def test_metric_name_extraction(expr: str, expected: set[str]) -> None:
    assert metric_names(expr) == expected


def _dashboard_queries(dashboard: dict[str, Any]) -> list[str]:
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            query = variable["query"]
            query = query["query"] if isinstance(query, dict) else query
            found = re.fullmatch(r"label_values\((.*),\s*\w+\)", query)
            if found:
                exprs.append(found.group(1))
    return exprs


def _rule_queries() -> list[str]:
    return [
        rule["expr"]
        for path in RULE_FILES
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
    ]


@pytest.fixture(scope="module")
def exposed(app: Any) -> set[str]:
    """Sample names of a live scrape, after traffic that creates every labelled series."""
    client = app.test_client()
    assert client.get("/health").status_code == 200
    assert client.get("/health/ready").status_code == 200  # app_ready, a database query
    assert client.get("/api/v1/molecules?per_page=1").status_code == 200
    # Errors are counted only when they happen; record one so its series exists.
    with app.test_request_context("/"):
        metrics.record_error("database", "/test")
    text = client.get("/metrics").get_data(as_text=True)
    return {s.name for f in text_string_to_metric_families(text) for s in f.samples}


def test_dashboard_exists() -> None:
    assert DASHBOARDS, "no dashboard in deploy/grafana/dashboards"


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_dashboard_uses_only_exposed_metrics(path: Path, exposed: set[str]) -> None:
    used = set().union(*(metric_names(e) for e in _dashboard_queries(json.loads(path.read_text()))))
    assert used, "no metric names found in the dashboard"
    assert used - exposed - FROM_PROMETHEUS == set()
    # Request, latency, database and memory series are all charted.
    assert {
        "app_request_count_total",
        "app_request_latency_seconds_bucket",
        "app_db_query_count_total",
        "app_db_query_latency_seconds_bucket",
        "app_error_count_total",
        "app_worker_memory_max_bytes",
    } <= used


def test_alert_rules_use_only_exposed_metrics(exposed: set[str]) -> None:
    used = set().union(*(metric_names(e) for e in _rule_queries()))
    assert used, "no metric names found in the rules"
    assert used - exposed - FROM_PROMETHEUS == set()


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_dashboard_structure(path: Path) -> None:
    dashboard = json.loads(path.read_text())
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids)), "panel ids repeat"
    titles = {p["title"] for p in dashboard["panels"]}
    assert {
        "Request rate by endpoint",
        "Error rate (5xx ratio)",
        "Latency p50 by endpoint",
        "Latency p95 by endpoint",
        "Latency p99 by endpoint",
        "Database statements by type",
        "Database latency p95 by type",
        "Database errors",
        "Process memory",
        "Up",
    } <= titles
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == "${datasource}", panel["title"]
            expr = target["expr"]
            assert 'job="$job"' in expr, f"{panel['title']}: {expr}"
            if "histogram_quantile" in expr:
                assert "_bucket{" in expr and re.search(r"by \([^)]*\ble\b", expr), expr
