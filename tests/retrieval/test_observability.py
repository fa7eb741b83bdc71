"""The retrieval service's series as the metric catalog lists them (read from what the service really writes),
its alerts proven with `promtool test rules`, and its dashboard reading only series that exist."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from blueprints.catalog import metrics as m
from blueprints.observability.dashboards import dashboards, promql
from blueprints.observability.rules import RAG_STAGE_P95_SECONDS, RAG_STALE_SECONDS, rule_files
from blueprints.observability.series import exported_series, problems
from blueprints.presets import load_spec
from blueprints.retrieval import metrics
from blueprints.retrieval.metrics import Registry
from tests.observability.promtool import input_series, run, write_rule_files

SAMPLE = re.compile(r"^(\w+)\{(.*)\} \S+$")


def test_the_catalog_lists_what_the_service_writes() -> None:
    registry = Registry()
    for stage in ("embedding", "search", "rerank", "assembly"):
        registry.observe_stage(stage, 0.02)
    registry.count_query("ok")
    registry.set_freshness("documents", 12.5)
    catalog = {sample: labels for metric in m.RETRIEVAL_SERVICE.metrics
               for sample, labels in metric.samples().items()}
    seen = set()
    for line in registry.exposition().splitlines():
        if line.startswith("#"):
            continue
        name, labels = SAMPLE.match(line).groups()
        assert name in catalog, name
        assert {pair.split("=")[0] for pair in labels.split(",")} == catalog[name], line
        seen.add(name)
    assert seen == set(catalog)
    assert (metrics.STAGE_SECONDS, metrics.QUERIES, metrics.FRESHNESS, metrics.STAGE_BUCKETS) == (
        m.RAG_STAGE_SECONDS, m.RAG_QUERIES, m.RAG_FRESHNESS, m.RAG_STAGE_BUCKETS)


def _buckets(stage: str, per_step: dict[float, int], steps: int) -> list[dict[str, str]]:
    """Cumulative bucket counters growing by `per_step[bound]` observations at or below each bound per minute."""
    series, running = [], 0
    for bound in (*m.RAG_STAGE_BUCKETS, float("inf")):
        running += per_step.get(bound, 0)
        le = "+Inf" if bound == float("inf") else m.le_label(bound)
        series.append(input_series(f"{m.RAG_STAGE_SECONDS}_bucket", {"stage": stage, "le": le},
                                   f"0+{running}x{steps}"))
    return series


def _case(series: list[dict[str, str]], eval_time: str, alert: str, expected: list[dict[str, str]]) -> dict[str, Any]:
    return {"interval": "1m", "input_series": series, "alert_rule_test": [
        {"eval_time": eval_time, "alertname": alert, "exp_alerts": [{"exp_labels": e} for e in expected]}]}


@pytest.mark.integration
def test_retrieval_alerts_fire_on_slow_stages_failures_and_stale_indexes(tmp_path: Path) -> None:
    spec = load_spec("enterprise-assistant", "prod")
    assert RAG_STAGE_P95_SECONDS == 0.5
    slow, fast = {1.0: 10}, {0.01: 10}
    ok = input_series(m.RAG_QUERIES, {"outcome": "ok"}, "0+90x40")
    tests = [
        _case(_buckets("search", slow, 40), "30m", "RetrievalStageSlow", [{"severity": "warning", "stage": "search"}]),
        _case(_buckets("search", fast, 40), "30m", "RetrievalStageSlow", []),
        _case([ok, input_series(m.RAG_QUERIES, {"outcome": "unavailable"}, "0+10x40")], "30m",
              "RetrievalUnavailable", [{"severity": "critical"}]),
        _case([ok, input_series(m.RAG_QUERIES, {"outcome": "unavailable"}, "0+1x40")], "30m",
              "RetrievalUnavailable", []),
        _case([input_series(m.RAG_FRESHNESS, {"index": "documents"}, f"{RAG_STALE_SECONDS * 2}x40")], "30m",
              "RetrievalIndexStale", [{"severity": "warning", "index": "documents"}]),
        _case([input_series(m.RAG_FRESHNESS, {"index": "documents"}, "60x40")], "30m", "RetrievalIndexStale", []),
    ]
    paths = write_rule_files({"retrieval.rules.yaml": rule_files(spec)["retrieval.rules.yaml"]}, tmp_path,
                             strip_annotations=True)
    (tmp_path / "test.yaml").write_text(yaml.safe_dump(
        {"rule_files": [p.name for p in paths], "evaluation_interval": "1m", "tests": tests}, sort_keys=False))
    result = run("test", "rules", "test.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_dashboard_and_rules_exist_only_with_the_service_and_read_existing_series() -> None:
    spec = load_spec("enterprise-assistant", "prod")
    board = dashboards(spec)["retrieval.json"]
    known = exported_series(spec)
    assert [problem for query in promql(board) for problem in problems(query, known)] == []
    mvp = load_spec("startup-mvp", "prod")
    assert "retrieval.json" not in dashboards(mvp) and "retrieval.rules.yaml" not in rule_files(mvp)
