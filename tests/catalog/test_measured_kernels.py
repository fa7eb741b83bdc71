"""The planner's kernel boundary against what tests/catalog/measure_kernels.py measured on an H200 (2026-12-04)."""

import json
from pathlib import Path

import pytest

from blueprints.catalog.calibration import CALIBRATION, H200_KERNELS

MEASURED = json.loads((Path(__file__).parent / "measured" / "h200-kernels-2026-12-04.json").read_text())


def test_the_measurement_is_an_h200_run_with_its_provenance():
    assert MEASURED["device"] == "NVIDIA H200"
    assert MEASURED["date"].startswith(H200_KERNELS.date)
    assert MEASURED["software"].startswith("PyTorch 2.11")
    assert (Path(__file__).parents[2] / MEASURED["script"]).is_file()


def test_the_planner_pays_the_measured_boundary_per_kernel():
    assert CALIBRATION.kernel_boundary_us == H200_KERNELS.empty_kernel_us == MEASURED["empty_kernel_us"]


@pytest.mark.parametrize("case", ["64x4096", "64x8192"])
def test_a_small_kernel_costs_the_boundary_beside_its_bytes(case):
    # Elementwise kernels over a small decode batch's activations: what they take beyond their bytes at copy
    # bandwidth is the empty kernel's boundary (within 0.25 us), so a layer's small kernels cost a boundary each.
    small = MEASURED["small_kernel_us"][case]
    assert small["kernel_us"] - small["bytes_us"] == pytest.approx(MEASURED["empty_kernel_us"], abs=0.25)


@pytest.mark.parametrize("case", ["256x4096", "256x8192", "1024x4096"])
def test_larger_kernels_hide_part_of_the_boundary_behind_their_work(case):
    # The planner's per-kernel boundary is therefore an upper bound at large batches (0.3-0.7 us left at 256 tokens).
    small = MEASURED["small_kernel_us"][case]
    assert small["kernel_us"] - small["bytes_us"] < MEASURED["empty_kernel_us"]
