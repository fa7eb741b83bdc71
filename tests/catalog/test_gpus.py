import pytest

from blueprints.catalog.gpus import GPUS, PRECISIONS, gpu_named
from blueprints.errors import BlueprintError


def test_catalog_has_exactly_the_platform_gpu_families():
    assert list(GPUS) == ["H100", "H200", "B200", "A100", "L40S", "L4", "A10G"]


@pytest.mark.parametrize("gpu", GPUS.values(), ids=list(GPUS))
def test_every_gpu_has_sourced_figures_for_each_precision_it_serves(gpu):
    assert gpu.spec_source and gpu.memory_source and gpu.kernel_efficiency_source
    assert gpu.memory_gib > 20 and gpu.hbm_bandwidth_gb_s > 250 and gpu.interconnect_gb_s > 0
    assert set(gpu.precisions) <= set(PRECISIONS)
    assert set(gpu.precisions) <= set(gpu.dense_tflops)
    assert "bf16" in gpu.precisions
    # Weight-only INT4 computes at the 16-bit rate; FP8 doubles it; FP4 doubles FP8.
    for precision in gpu.precisions:
        assert gpu.tflops(precision) >= gpu.tflops("bf16")
    if "fp8" in gpu.precisions:
        assert gpu.tflops("fp8") == pytest.approx(2 * gpu.tflops("bf16"), rel=0.02)


def test_fp8_needs_ada_or_newer_and_nvfp4_needs_blackwell():
    for gpu in GPUS.values():
        assert ("fp8" in gpu.precisions) == (gpu.architecture in ("ada", "hopper", "blackwell"))
        assert ("nvfp4" in gpu.precisions) == (gpu.architecture == "blackwell")


def test_generations_rank_as_their_datasheets_do():
    assert GPUS["H200"].hbm_bandwidth_gb_s > GPUS["H100"].hbm_bandwidth_gb_s > GPUS["A100"].hbm_bandwidth_gb_s
    assert GPUS["B200"].memory_gib > GPUS["H200"].memory_gib > GPUS["H100"].memory_gib
    assert GPUS["B200"].tflops("nvfp4") > GPUS["B200"].tflops("fp8") > GPUS["H100"].tflops("fp8")
    assert GPUS["L40S"].interconnect == GPUS["L4"].interconnect == GPUS["A10G"].interconnect == "pcie"


def test_unknown_gpu_is_refused_with_the_allowed_names():
    with pytest.raises(BlueprintError, match=r"--gpu: unknown name \(got 'V100'; allowed: H100, H200"):
        gpu_named("V100", "--gpu")
