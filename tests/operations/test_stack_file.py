import pytest

from blueprints.errors import BlueprintError, SpecError
from blueprints.operations.stack_file import StackFile
from tests.operations.support import read_config, write_stack

OVERRIDES = """  llm-platform:overrides:
    gateway:
      replicas: 4  # peak season
"""


def test_setting_versions_pads_earlier_models_and_keeps_everything_else(tmp_path):
    path = write_stack(tmp_path, "prod", "internal-ai", "prod", OVERRIDES)
    stack_file = StackFile.load("prod", tmp_path)
    stack_file.set_model_versions("corp-small", {"stable": "2026-11-01", "candidate": None, "candidate_weight": 0,
                                                 "strategy": "canary", "active": "stable"})
    stack_file.save()
    text = path.read_text()
    assert text.startswith("# Production stack: reviewed changes only.\n")
    assert "llm-platform:environment: prod  # overlay" in text
    assert "replicas: 4  # peak season" in text
    config = read_config(path)
    assert config["aws:region"] == "eu-central-1"
    models = config["llm-platform:overrides"]["serving"]["models"]
    assert models[0] == {}
    assert models[1]["versions"]["stable"] == "2026-11-01"  # a string, not a YAML date
    spec = StackFile.load("prod", tmp_path).spec()
    assert spec.gateway.replicas == 4
    assert spec.serving.models[1].versions.candidate is None
    assert spec.serving.models[0].versions.stable == "2026-11-01"  # the preset's, untouched


def test_an_edit_the_spec_rejects_is_not_written(tmp_path):
    path = write_stack(tmp_path, "prod", "internal-ai", "prod")
    before = path.read_text()
    stack_file = StackFile.load("prod", tmp_path)
    stack_file.set_model_versions("corp-large", {"stable": "2026-11-01", "candidate": "2026-11-01"})
    expected = r"overrides\.serving\.models\[0\]\.versions\.candidate: '2026-11-01' is the stable"
    with pytest.raises(SpecError, match=expected):
        stack_file.save()
    assert path.read_text() == before


def test_missing_stack_file_and_unknown_model_are_bad_input(tmp_path):
    with pytest.raises(BlueprintError, match=r"^--stack: no stack config file .*Pulumi\.nope\.yaml"):
        StackFile.load("nope", tmp_path)
    write_stack(tmp_path, "dev", "internal-ai", "dev")
    expected = r"^--model: no model named 'x' in stack 'dev' \(allowed: corp-large, corp-small\)"
    with pytest.raises(BlueprintError, match=expected):
        StackFile.load("dev", tmp_path).model("x")
