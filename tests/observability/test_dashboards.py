"""Dashboards are valid Grafana JSON, read one data source, and every panel's PromQL parses (promtool)."""

from __future__ import annotations

import json
import re

import pytest

from blueprints.observability import metrics as m
from blueprints.observability.dashboards import dashboards, panel_queries
from blueprints.observability.rules import rule_files
from blueprints.presets import load_spec, preset_names
from tests.observability.promtool import run, write_rule_files

# Grafana's variables, replaced by values a query could take, so promtool can parse the expressions.
GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$model": ".+"}
KNOWN_METRICS = {value for name, value in vars(m).items() if name.isupper() and isinstance(value, str)}


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


def test_every_panel_query_parses_and_reads_known_series(tmp_path):
    spec = load_spec("regulated-industry", "prod")
    recorded = {rule["record"] for file in rule_files(spec).values() for group in file["groups"]
                for rule in group["rules"] if "record" in rule}
    exprs = sorted({expr for board in dashboards(spec).values() for expr in panel_queries(board)})
    rules = []
    for index, expr in enumerate(exprs):
        for variable, value in GRAFANA_VARIABLES.items():
            expr = expr.replace(variable, value)
        assert "$" not in expr.replace('"$1"', ""), expr
        rules.append({"record": f"dashboard:query{index}", "expr": expr})
        names = set(re.findall(r"[A-Za-z_:][A-Za-z0-9_:]*", expr))
        series = {name for name in names if name in KNOWN_METRICS or name in recorded
                  or name.removesuffix("_bucket") in KNOWN_METRICS}
        assert series, f"{expr}: reads no known metric or recorded rule"
    paths = write_rule_files({"dashboards.rules.yaml": {"groups": [{"name": "dashboards", "rules": rules}]}},
                             tmp_path)
    result = run("check", "rules", *paths, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
