"""The Grafana dashboard (deploy/grafana/watchstander.json) asks only for what the bot
exports: every metric named in every panel's PromQL is a sample name that /metrics of a real
App serves (a histogram's ``_bucket``, ``_count`` and ``_sum``, a counter's ``_total``),
and every metric family the bot exports is shown on some panel."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from test_app import NOW, Chat, platform, settings

from watchstander.app import App
from watchstander.store import Store
from watchstander_sandbox.bot_process import free_port

DASHBOARD = Path(__file__).resolve().parents[1] / "deploy" / "grafana" / "watchstander.json"
# PromQL's words that are not metric names (functions, aggregations, keywords)
PROMQL_WORDS = {
    "sum", "max", "min", "avg", "count", "rate", "increase", "irate", "by", "without", "on",
    "ignoring", "group_left", "group_right", "histogram_quantile", "clamp_min", "clamp_max",
    "topk", "bottomk", "and", "or", "unless", "offset", "bool", "le", "abs", "delta",
}  # fmt: skip
SUFFIXES = {
    "counter": ("_total",),
    "histogram": ("_bucket", "_count", "_sum"),
    "gauge": ("",),
}


def expressions(dashboard: dict[str, object]) -> list[str]:
    panels = dashboard["panels"]
    assert isinstance(panels, list)
    return [str(t["expr"]) for p in panels for t in p["targets"]]


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads: its words, less label matchers, ranges,
    groupings' labels, strings, numbers, Grafana's variables and PromQL's own words."""
    text = re.sub(r'"[^"]*"', " ", expr)
    text = re.sub(r"\{[^}]*\}", " ", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", " ", text)  # ranges ([$__rate_interval])
    text = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", " ", text)  # grouping labels
    text = re.sub(r"\$\w+", " ", text)
    words = set(re.findall(r"[A-Za-z_:][A-Za-z0-9_:]*", text))
    return {w for w in words - PROMQL_WORDS if not re.fullmatch(r"e\d*", w)}


@pytest.fixture
def exported(database_url: str, store: Store) -> dict[str, str]:
    """Every sample name /metrics of a real App may serve -> its family's type."""
    app = App(settings(database_url, free_port()), platform(Chat()), clock=lambda: NOW).start()
    try:
        assert app.web is not None
        with urllib.request.urlopen(f"{app.web.address}/metrics", timeout=5) as answer:
            text = answer.read().decode()
    finally:
        app.close()
    names: dict[str, str] = {}
    for family in text_string_to_metric_families(text):
        for suffix in SUFFIXES.get(family.type, ("",)):
            names[family.name + suffix] = family.type
        for sample in family.samples:
            names[sample.name] = family.type
    return names


def test_the_dashboard_is_grafana_json_with_panels() -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    assert dashboard["uid"] == "watchstander"
    assert len(expressions(dashboard)) >= 12
    for panel in dashboard["panels"]:
        assert panel["title"]
        assert panel["targets"], panel["title"]


def test_every_query_names_only_metrics_the_bot_exports(exported: dict[str, str]) -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    assert "watchstander_time_to_claim_seconds_bucket" in exported
    assert "watchstander_threads_opened_total" in exported
    assert "watchstander_slack_api_ratelimited_total" in exported  # none yet, still declared
    assert "watchstander_mattermost_api_ratelimited_total" in exported  # another platform's
    for expr in expressions(dashboard):
        names = metric_names(expr)
        assert names, f"no metric in {expr!r}"
        unknown = names - exported.keys()
        assert not unknown, f"{expr!r} names {sorted(unknown)}, which the bot does not export"


def test_every_exported_metric_is_on_the_dashboard(exported: dict[str, str]) -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    shown = set().union(*(metric_names(e) for e in expressions(dashboard)))
    families = {n for n in exported if n.startswith("watchstander_") and not n.endswith("_created")}
    bases = {re.sub(r"_(bucket|count|sum|total)$", "", n) for n in shown}
    missing = {f for f in families if re.sub(r"_(bucket|count|sum|total)$", "", f) not in bases}
    assert not missing, f"exported but on no panel: {sorted(missing)}"


def test_the_check_finds_a_name_the_bot_does_not_export(exported: dict[str, str]) -> None:
    expr = 'sum(rate(watchstander_threads_openned_total{level="urgent"}[5m])) by (level)'
    assert metric_names(expr) == {"watchstander_threads_openned_total"}
    assert metric_names(expr) - exported.keys()
