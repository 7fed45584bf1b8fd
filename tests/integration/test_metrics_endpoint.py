"""``GET /metrics`` on the real app: a valid Prometheus exposition with the request, database,
error and process metrics, labelled by route template (never by raw path).
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.integration

MOLECULE_ROUTE = "/api/v1/molecules/<uuid:molecule_id>"


@pytest.fixture
def scrape(client: Any) -> dict[str, Any]:
    """Make a few requests, then scrape ``/metrics``; families by name, plus the raw text."""
    missing_id = uuid.uuid4()
    assert client.get("/health").status_code == 200
    assert client.get(f"/api/v1/molecules/{missing_id}").status_code == 404
    assert client.get(f"/no-such-route/{missing_id}").status_code == 404
    res = client.get("/metrics")
    assert res.status_code == 200
    assert res.mimetype == "text/plain"
    text = res.get_data(as_text=True)
    families = {f.name: f for f in text_string_to_metric_families(text)}
    return {"families": families, "text": text, "missing_id": str(missing_id)}


def _samples(family: Any, name: str) -> list[Any]:
    return [s for s in family.samples if s.name == name]


def test_request_count(scrape: dict[str, Any]) -> None:
    family = scrape["families"]["app_request_count"]
    assert family.type == "counter"
    samples = _samples(family, "app_request_count_total")
    assert samples
    assert all(set(s.labels) == {"method", "endpoint", "status"} for s in samples)
    by_key = {
        (s.labels["method"], s.labels["endpoint"], s.labels["status"]): s.value for s in samples
    }
    assert by_key[("GET", "/health", "200")] >= 1
    assert by_key[("GET", MOLECULE_ROUTE, "404")] >= 1
    assert by_key[("GET", "<unmatched>", "404")] >= 1
    assert not any(s.labels["endpoint"] == "/metrics" for s in samples), "scrapes are not counted"


def test_request_latency_histogram(scrape: dict[str, Any]) -> None:
    family = scrape["families"]["app_request_latency_seconds"]
    assert family.type == "histogram"
    counts = {
        s.labels["endpoint"]: s.value
        for s in _samples(family, "app_request_latency_seconds_count")
        if s.labels["method"] == "GET"
    }
    assert counts["/health"] >= 1
    assert counts[MOLECULE_ROUTE] >= 1
    buckets = [
        s
        for s in _samples(family, "app_request_latency_seconds_bucket")
        if s.labels["endpoint"] == "/health"
    ]
    assert any(s.labels["le"] == "+Inf" for s in buckets)
    assert _samples(family, "app_request_latency_seconds_sum")


def test_db_query_metrics(scrape: dict[str, Any]) -> None:
    count = scrape["families"]["app_db_query_count"]
    assert count.type == "counter"
    totals = _samples(count, "app_db_query_count_total")
    assert totals and all(set(s.labels) == {"query_type"} for s in totals)
    kinds = {s.labels["query_type"] for s in totals}
    assert kinds <= {"SELECT", "INSERT", "UPDATE", "DELETE", "OTHER"}
    # The molecule lookup ran at least one SELECT.
    assert any(s.labels["query_type"] == "SELECT" and s.value >= 1 for s in totals)

    latency = scrape["families"]["app_db_query_latency_seconds"]
    assert latency.type == "histogram"
    assert any(
        s.labels["query_type"] == "SELECT" and s.value >= 1
        for s in _samples(latency, "app_db_query_latency_seconds_count")
    )


def test_error_count_family_exists(scrape: dict[str, Any]) -> None:
    family = scrape["families"]["app_error_count"]
    assert family.type == "counter"
    for sample in _samples(family, "app_error_count_total"):
        assert set(sample.labels) == {"type", "endpoint"}


def test_process_gauges(scrape: dict[str, Any]) -> None:
    memory = scrape["families"]["app_memory_usage_bytes"]
    cpu = scrape["families"]["app_cpu_usage_percent"]
    assert memory.type == cpu.type == "gauge"
    assert memory.samples[0].value > 1_000_000  # a Python process with RDKit is well above 1 MB
    assert cpu.samples[0].value >= 0


def test_no_label_contains_a_raw_id(scrape: dict[str, Any]) -> None:
    missing_id = scrape["missing_id"]
    assert missing_id not in scrape["text"]
    for family in scrape["families"].values():
        for sample in family.samples:
            for value in sample.labels.values():
                assert missing_id not in value, (sample.name, sample.labels)
