"""Observability files agree with the code: every metric the alert rules and the Grafana
dashboard query is one a test app really exports on /metrics, every expression parses as
PromQL, and the hot paths the issue names each have a panel."""

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from httpx import AsyncClient
from prometheus_client.parser import text_string_to_metric_families

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
ALERTS = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
DASHBOARD = json.loads((DEPLOY / "grafana" / "cyberspace.json").read_text())
# Series Prometheus itself adds to every scrape target.
PROMETHEUS_SERIES = {"up"}
METRIC = re.compile(r"\b(cyberspace_[a-z0-9_]+|up)\b(?!\s*\()")


def _rules() -> list[dict[str, Any]]:
    return [rule for group in ALERTS["groups"] for rule in group["rules"]]


def _dashboard_exprs() -> list[str]:
    return [t["expr"] for p in DASHBOARD["panels"] for t in p.get("targets", [])]


async def _exported(client: AsyncClient) -> set[str]:
    text = (await client.get("/metrics")).text
    names = set(PROMETHEUS_SERIES)
    for family in text_string_to_metric_families(text):
        names.add(family.name)
        names.update(sample.name for sample in family.samples)
        # Families without samples yet (labelled, never observed) still name their series.
        if family.type == "counter":
            names.add(f"{family.name}_total")
        if family.type == "histogram":
            names.update(f"{family.name}_{s}" for s in ("bucket", "sum", "count"))
    return names


async def test_every_queried_metric_is_exported(client: AsyncClient) -> None:
    exported = await _exported(client)
    queries = [r["expr"] for r in _rules()] + _dashboard_exprs()
    unknown = {name for expr in queries for name in METRIC.findall(expr)} - exported
    assert not unknown, f"queried but not exported by the app: {sorted(unknown)}"
    for expr in queries:
        assert METRIC.search(expr), f"names no metric: {expr}"


@pytest.mark.parametrize("expr", [r["expr"] for r in _rules()] + _dashboard_exprs())
def test_expression_is_valid_promql(expr: str) -> None:
    promql_parser = pytest.importorskip("promql_parser")
    # Grafana's $variables are substituted before the query reaches Prometheus.
    promql_parser.parse(expr.replace("$instance", ".*"))


def test_alert_rules_are_complete() -> None:
    rules = _rules()
    names = [r["alert"] for r in rules]
    assert len(names) == len(set(names))
    for rule in rules:
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}
        assert rule["annotations"]["summary"]
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations", "keep_firing_for"}
    exprs = " ".join(r["expr"] for r in rules)
    assert 'route="/readyz", status="503"' in exprs, "readiness"
    assert 'status=~"5.."' in exprs, "error rate"
    assert "cyberspace_nft_indexer_lag_blocks" in exprs, "indexer lag"


def test_dashboard_covers_the_hot_paths() -> None:
    exprs = " ".join(_dashboard_exprs())
    for needle in (
        'route="/api/nearby"',  # nearby latency
        "cyberspace_location_updates_total",  # accepted / rejected
        "cyberspace_geofence_events_total",
        "cyberspace_realtime_alerts_total",
        "cyberspace_socketio_connections",
        "cyberspace_nft_indexer_lag_blocks",
    ):
        assert needle in exprs, needle
    ids = [p["id"] for p in DASHBOARD["panels"]]
    assert len(ids) == len(set(ids))
    variables = {v["name"] for v in DASHBOARD["templating"]["list"]}
    assert {"datasource", "instance"} <= variables
    for panel in DASHBOARD["panels"]:
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] == "${datasource}"
            assert panel["targets"]
