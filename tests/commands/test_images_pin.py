"""`images pin`: the digests of the images a stack pulls by tag, read from the ECR pull-through cache (moto; a
botocore Stubber where one region must answer differently), land in the stack file's overrides, and the planned
graph then passes the prod image-tags contract it failed before."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

from blueprints import cli
from blueprints.commands import images as images_command
from blueprints.contracts.images import image_problems, unpinned
from blueprints.engine import program
from blueprints.operations.image_pins import MANIFEST_TYPES, cache_repository
from blueprints.presets import load_spec
from tests.operations.support import Clients, aws, read_config, write_stack  # noqa: F401  (fixture)

STACK = "prod"
REGIONS = load_spec("regulated-industry", "prod").regions
"""Two: every region of a stack must report the same digest."""
REPOSITORY, TAG = cache_repository("litellm")
INDEX = json.dumps({"schemaVersion": 2, "mediaType": MANIFEST_TYPES[0], "manifests": []})


def _cache(region: str) -> str:
    """What the pull-through cache holds after one pull of the LiteLLM image in `region`: its digest."""
    ecr = boto3.client("ecr", region_name=region)
    ecr.create_repository(repositoryName=REPOSITORY)
    ecr.put_image(repositoryName=REPOSITORY, imageManifest=INDEX, imageTag=TAG,
                  imageManifestMediaType=MANIFEST_TYPES[0])
    [image] = ecr.describe_images(repositoryName=REPOSITORY, imageIds=[{"imageTag": TAG}])["imageDetails"]
    return image["imageDigest"]


def _pin(stacks: Path) -> int:
    return cli.main(["images", "pin", "--stack", STACK, "--stacks-dir", str(stacks)])


@pytest.mark.usefixtures("aws")
def test_pin_writes_the_cached_digest_and_the_prod_contract_passes(tmp_path, capsys, graph_of) -> None:
    path = write_stack(tmp_path, STACK, "internal-ai", "prod")
    before = graph_of("internal-ai", "prod")
    assert unpinned(before) == {"litellm"}
    assert [p for p in image_problems(before, prod=True) if "images pin --stack" in p]
    [region] = load_spec("internal-ai", "prod").regions
    digest = _cache(region)

    assert _pin(tmp_path) == 0
    assert read_config(path)["llm-platform:overrides"]["images"] == {"litellm": digest}
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Production stack: reviewed changes only.\n") and "# overlay" in text
    assert f"images.litellm: {digest}" in capsys.readouterr().out

    after = program.build_graph("internal-ai", "prod",
                                overrides={"images": {"litellm": digest}})
    assert unpinned(after) == set()
    assert [p for p in image_problems(after, prod=True) if "not pinned by digest" in p] == []
    gateway = next(r for r in after.resources if r.name.endswith("-gateway-deployment"))
    assert gateway.inputs["spec"]["template"]["spec"]["containers"][0]["image"].endswith(
        f"/{REPOSITORY}:{TAG}@{digest}")

    assert _pin(tmp_path) == 0
    assert "every image is already pinned by digest" in capsys.readouterr().out


@pytest.mark.usefixtures("aws")
def test_an_image_missing_from_the_cache_is_one_line_exit_2(tmp_path, capsys) -> None:
    path = write_stack(tmp_path, STACK, "regulated-industry", "prod")
    before = path.read_text(encoding="utf-8")
    _cache(REGIONS[0])
    assert _pin(tmp_path) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert f"{REPOSITORY}:{TAG} is not in the pull-through cache of {REGIONS[1]}" in line
    assert "pull it once through the cache" in line
    assert path.read_text(encoding="utf-8") == before


@pytest.mark.usefixtures("aws")
def test_a_tag_that_moved_between_regions_is_refused(tmp_path, capsys, monkeypatch) -> None:
    write_stack(tmp_path, STACK, "regulated-industry", "prod")
    cached = _cache(REGIONS[0])
    clients = Clients()
    moved = "sha256:" + "1" * 64
    clients.stub("ecr", REGIONS[1]).add_response(
        "batch_get_image", {"images": [{"imageId": {"imageDigest": moved, "imageTag": TAG}}], "failures": []},
        {"repositoryName": REPOSITORY, "imageIds": [{"imageTag": TAG}], "acceptedMediaTypes": MANIFEST_TYPES})
    monkeypatch.setattr(images_command, "client", clients)
    assert _pin(tmp_path) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert "has different digests across regions" in line and cached in line and moved in line
    clients.verify()


def test_an_unknown_image_key_in_the_overrides_is_refused(tmp_path, capsys) -> None:
    write_stack(tmp_path, STACK, "regulated-industry", "prod",
                "  llm-platform:overrides:\n    images:\n      redis: sha256:" + "0" * 64 + "\n")
    assert _pin(tmp_path) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert "unknown image 'redis'" in line and "allowed: litellm, otel-collector-contrib" in line
