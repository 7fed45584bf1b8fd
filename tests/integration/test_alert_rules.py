"""Prometheus alert rules and Alertmanager example: promtool/amtool checks and their shape.

``promtool`` comes from Debian's ``prometheus`` package (``.ci/run`` installs it): the tests
that need it skip with a message where it is missing and fail under ``CI=true``. ``amtool``
(package ``prometheus-alertmanager``) is optional.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import require

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "deploy" / "prometheus"
RULE_FILES = sorted((PROMETHEUS / "rules").glob("*.yml"))
RULE_TESTS = sorted((PROMETHEUS / "tests").glob("*.yml"))
ALERTMANAGER = ROOT / "deploy" / "alertmanager" / "alertmanager.yml"
SEVERITIES = {"critical", "warning"}


def _promtool() -> str:
    path = shutil.which("promtool")
    require(
        path is not None,
        "promtool is not installed (Debian: apt-get install prometheus); alert rule tests skipped",
    )
    assert path is not None
    return path


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=120)


def _rules() -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = []
    for path in RULE_FILES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            rules.extend(r for r in group["rules"] if "alert" in r)
    return rules


def test_rule_and_test_files_exist() -> None:
    assert RULE_FILES, "no rule files in deploy/prometheus/rules"
    assert RULE_TESTS, "no promtool tests in deploy/prometheus/tests"


def test_promtool_check_rules() -> None:
    result = _run(_promtool(), "check", "rules", *map(str, RULE_FILES))
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_rule_unit_tests() -> None:
    result = _run(_promtool(), "test", "rules", *map(str, RULE_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout + result.stderr


def test_promtool_check_scrape_config() -> None:
    result = _run(_promtool(), "check", "config", str(PROMETHEUS / "prometheus.yml"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_issue_alerts_are_present() -> None:
    names = {r["alert"] for r in _rules()}
    # The seed's three, plus database latency and errors, readiness and memory.
    assert {
        "HighErrorRate",
        "SlowEndpoint",
        "ApiDown",
        "DatabaseSlowQueries",
        "DatabaseErrors",
        "ReadinessFailing",
        "HighMemoryUsage",
    } <= names


def test_every_alert_has_severity_summary_description_and_runbook() -> None:
    for rule in _rules():
        assert rule.get("labels", {}).get("severity") in SEVERITIES, rule["alert"]
        annotations = rule.get("annotations", {})
        for key in ("summary", "description", "runbook"):
            assert annotations.get(key, "").strip(), f"{rule['alert']} lacks {key}"


def test_every_alert_is_tested_firing_and_not_firing() -> None:
    firing: set[str] = set()
    silent: set[str] = set()
    for path in RULE_TESTS:
        for case in yaml.safe_load(path.read_text())["tests"]:
            for check in case.get("alert_rule_test", []):
                (firing if check.get("exp_alerts") else silent).add(check["alertname"])
    names = {r["alert"] for r in _rules()}
    assert names - firing == set(), "alerts never shown firing"
    assert names - silent == set(), "alerts never shown silent"


def test_rules_select_the_scraped_job() -> None:
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    jobs = {c["job_name"] for c in config["scrape_configs"]}
    assert "cryoprotect" in jobs
    for rule in _rules():
        assert 'job="cryoprotect"' in rule["expr"], f"{rule['alert']} does not select the job"
    # The rule files the config loads are the ones tested.
    loaded = {p for pattern in config["rule_files"] for p in PROMETHEUS.glob(pattern)}
    assert loaded == set(RULE_FILES)


def _receivers(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in config["receivers"]}


def test_alertmanager_routes_critical_to_email_and_chat() -> None:
    config = yaml.safe_load(ALERTMANAGER.read_text())
    receivers = _receivers(config)
    route = config["route"]
    assert route["receiver"] in receivers, "the default receiver is not defined"
    critical = [
        r for r in route.get("routes", []) if 'severity="critical"' in r.get("matchers", [])
    ]
    assert len(critical) == 1
    oncall = receivers[critical[0]["receiver"]]
    assert oncall.get("email_configs"), "critical alerts are not e-mailed"
    chat = oncall.get("slack_configs") or oncall.get("webhook_configs")
    assert chat, "critical alerts do not reach a chat webhook"
    assert receivers[route["receiver"]] is not oncall, "other alerts go to their own receiver"
    # Secrets come from files; addresses are placeholders under example.org.
    text = ALERTMANAGER.read_text()
    assert "api_url_file" in text and "smtp_auth_password_file" in text
    for config_item in oncall["email_configs"]:
        assert config_item["to"].endswith("@example.org")


def test_amtool_check_config() -> None:
    amtool = shutil.which("amtool")
    require(
        amtool is not None,
        "amtool is not installed (Debian: apt-get install prometheus-alertmanager)",
    )
    assert amtool is not None
    result = _run(amtool, "check-config", str(ALERTMANAGER))
    assert result.returncode == 0, result.stdout + result.stderr
