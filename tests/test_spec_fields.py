"""Every spec field is read by something (issue 16, defect 11): a field nothing reads is a setting that silently
does nothing (`ModelSpec.checkpoint` used to be one).

Static scan, grep-like over the AST of blueprints/ and policies/lib/ (the packs read the spec through
`blueprints.presets.load_spec`): a field counts as read where code names it as an attribute (`.field`), a
subscript (`["field"]`) or a `get("field")`. In blueprints/spec.py only its non-validator methods count (accessors
that resolve defaults for the generators); validators that just check a field do not.
"""

from __future__ import annotations

import ast
import io
import typing
from pathlib import Path

import boto3
from blueprints_policies.controls import FRAMEWORKS, SPEC_FRAMEWORKS
from blueprints_policies.graph import Graph
from pydantic import BaseModel

import blueprints.engine.program as program
from blueprints.artifacts.manifest import verify_version
from blueprints.artifacts.publish import publish
from blueprints.cli import main
from blueprints.presets import load_spec
from blueprints.progress import ProgressBar
from blueprints.spec import Framework, PlatformSpec
from tests.operations.support import aws  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "blueprints" / "spec.py"
SOURCES = (ROOT / "blueprints", ROOT / "policies" / "lib")
VALIDATORS = {"field_validator", "model_validator"}
# Fields read only by generic code, which never names them. Each entry says where.
GENERIC_READERS: dict[tuple[str, str], str] = {}


def spec_models(root: type[BaseModel]) -> list[type[BaseModel]]:
    """`root` and every model reachable through its fields' annotations (lists, dicts, unions, Annotated)."""
    seen: dict[type[BaseModel], None] = {}
    pending = [root]
    while pending:
        model = pending.pop()
        if model in seen:
            continue
        seen[model] = None
        for field in model.model_fields.values():
            annotations = [field.annotation]
            while annotations:
                annotation = annotations.pop()
                if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                    pending.append(annotation)
                annotations.extend(typing.get_args(annotation))
    return list(seen)


def _is_validator(function: ast.FunctionDef) -> bool:
    for decorator in function.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if name in VALIDATORS:
            return True
    return False


def _names_read(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            names.add(str(node.slice.value))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
              and node.args and isinstance(node.args[0], ast.Constant)):
            names.add(str(node.args[0].value))
    return names


def names_read() -> set[str]:
    names: set[str] = set()
    for source in SOURCES:
        for path in source.rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            if path != SPEC:
                names |= _names_read(tree)
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef) and not _is_validator(node):
                    names |= _names_read(node)
    return names


def test_the_walk_reaches_nested_models() -> None:
    reached = {model.__name__ for model in spec_models(PlatformSpec)}
    assert {"PlatformSpec", "ServingSpec", "ModelSpec", "AutoscalingSpec", "ComplianceSpec"} <= reached


def test_every_spec_field_is_read_by_some_code() -> None:
    read = names_read()
    unread = sorted(f"{model.__name__}.{field}" for model in spec_models(PlatformSpec) for field in model.model_fields
                    if field not in read and (model.__name__, field) not in GENERIC_READERS)
    assert unread == [], "spec fields nothing reads (wire them, or remove them from blueprints/spec.py): " + \
        ", ".join(unread)


def test_generic_readers_name_fields_that_exist() -> None:
    fields = {(model.__name__, field) for model in spec_models(PlatformSpec) for field in model.model_fields}
    assert set(GENERIC_READERS) <= fields


# --- the fields this issue wired, each through its consumer ----------------------------------------------------------

def test_every_claimed_framework_reaches_the_compliance_report(tmp_path: Path, monkeypatch) -> None:
    """`check --report` reports on exactly the spec's compliance.frameworks, all of them, in their order."""
    monkeypatch.setattr(program, "build_graph", lambda *args, **kwargs: Graph(resources=[], stack_config={}))
    report = tmp_path / "report.md"
    assert main(["check", "--preset", "internal-ai", "--env", "prod", "--pack", "baseline",
                 "--report", str(report)]) in (0, 1)
    sections = [line.removeprefix("## ").split(" (")[0] for line in report.read_text().splitlines()
                if line.startswith("## ") and line.removeprefix("## ").split(" (")[0] in FRAMEWORKS]
    claimed = load_spec("internal-ai", "prod").compliance.frameworks
    assert len(claimed) > 1
    assert sections == [SPEC_FRAMEWORKS[framework] for framework in claimed]


def test_spec_framework_ids_all_map_to_report_frameworks() -> None:
    assert set(SPEC_FRAMEWORKS) == set(typing.get_args(Framework))
    assert set(SPEC_FRAMEWORKS.values()) <= set(FRAMEWORKS)


def test_checkpoint_must_be_what_the_version_was_published_from(aws, tmp_path: Path) -> None:  # noqa: F811
    """`serving.models[].checkpoint` is checked against the published manifest's source (preflight's artifacts
    check passes it): a version built from another checkpoint is a problem."""
    model = load_spec("internal-ai", "prod").self_hosted_models[0]
    assert model.checkpoint
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="weights", CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    (tmp_path / "config.json").write_text("{}")
    publish(s3, "weights", tmp_path, model.name, "v1", "fp8", "someone/Other-Model-FP8",
            progress=ProgressBar(1, stream=io.StringIO()))
    [problem] = verify_version(s3, "weights", model.name, "v1", source=model.checkpoint)
    assert "someone/Other-Model-FP8" in problem and model.checkpoint in problem
    assert verify_version(s3, "weights", model.name, "v1", source="someone/Other-Model-FP8") == []


def test_prompt_description_is_the_ssm_parameter_description(graph_of) -> None:
    [template] = [t for t in load_spec("enterprise-assistant", "prod").prompts.templates if t.description]
    descriptions = [r.inputs.get("description", "") for r in graph_of("enterprise-assistant", "prod").resources
                    if r.type == "aws:ssm/parameter:Parameter" and "/prompts/" in r.inputs.get("name", "")]
    assert descriptions
    assert all(d.startswith(template.description) and len(d) <= 1024 for d in descriptions)  # PutParameter limit
