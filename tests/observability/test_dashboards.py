"""Dashboards are valid Grafana JSON, read one data source, and every panel's PromQL parses (promtool)."""

from __future__ import annotations

import json

import pytest

from blueprints.observability.dashboards import dashboards, promql
from blueprints.presets import load_spec, preset_names
from tests.observability.promtool import run, write_rule_files


@pytest.mark.parametrize("preset", preset_names())
def test_dashboards_are_grafana_json_with_one_datasource(preset):
    spec = load_spec(preset, "prod")
    boards = dashboards(spec)
    assert ("serving.json" in boards) == bool(spec.self_hosted_models)
    assert ("gpu-fleet.json" in boards) == bool(spec.cluster.gpu_pools)
    assert len({board["uid"] for board in boards.values()}) == len(boards)
    for board in boards.values():
        assert json.loads(json.dumps(board)) == board
        variables = {variable["name"]: variable for variable in board["templating"]["list"]}
        assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
        for panel in board["panels"]:
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
            assert panel["targets"] and len({t["refId"] for t in panel["targets"]}) == len(panel["targets"])
            assert panel["gridPos"]["w"] > 0 and panel["title"]


def test_every_panel_query_parses_with_promtool(tmp_path):
    """Prometheus' own parser accepts every query (which series and labels they read: test_series.py)."""
    spec = load_spec("regulated-industry", "prod")
    exprs = sorted({expr for board in dashboards(spec).values() for expr in promql(board)})
    assert all("$" not in expr.replace('"$1"', "") for expr in exprs), exprs
    rules = [{"record": f"dashboard:query{index}", "expr": expr} for index, expr in enumerate(exprs)]
    paths = write_rule_files({"dashboards.rules.yaml": {"groups": [{"name": "dashboards", "rules": rules}]}},
                             tmp_path)
    result = run("check", "rules", *paths, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_model_variable_and_slo_panel_read_the_recorded_label():
    """The SLO panel filters the recorded SLI by `model`, the label the recording rules set (not the model
    servers' pod label, which the recorded series does not have)."""
    board = dashboards(load_spec("regulated-industry", "prod"))["serving.json"]
    assert 'count by (model) (slo:sli_error:ratio_rate1h)' in promql(board)
    assert 'slo:sli_error:ratio_rate1h{model=~".+"}' in promql(board)
