import csv
from pathlib import Path

import pytest

from blueprints.catalog.gpus import GPUS
from blueprints.catalog.instances import INSTANCES, SPOT_PRICE_FRACTION, instance_named, instances_for
from blueprints.errors import BlueprintError

ANCHORS = Path(__file__).parent / "anchors" / "aws-gpu-instances.csv"


def test_every_gpu_family_has_instances_sorted_by_gpus_then_price():
    for gpu in GPUS:
        instances = instances_for(gpu)
        assert instances, gpu
        order = [(instance.gpus, instance.usd_per_hour) for instance in instances]
        assert order == sorted(order)
        assert all(instance.gpu == gpu and instance.gpus >= 1 for instance in instances)


def test_known_rows_carry_their_facts_and_a_dated_source():
    p5 = INSTANCES["p5.48xlarge"]
    facts = (p5.gpu, p5.gpus, p5.gpu_memory_gib, p5.vcpus, p5.usd_per_hour, p5.family)
    assert facts == ("H100", 8, 80.0, 192, 55.04, "p5")
    assert INSTANCES["p4d.24xlarge"].gpu_memory_gib == 40.0
    assert "2026-07-20" in p5.price_source
    assert [i.name for i in instances_for("H100")] == ["p5.4xlarge", "p5.48xlarge"]


def test_cpu_instances_the_platform_uses_are_priced():
    for name in ("m7i.large", "m7i.xlarge", "m7i.2xlarge", "c7i.xlarge"):
        instance = INSTANCES[name]
        assert (instance.gpus, instance.gpu) == (0, "")
        assert instance.usd_per_hour > 0 and instance.price_source


def test_gpu_instances_match_the_published_anchor_table():
    rows = list(csv.DictReader(line for line in ANCHORS.read_text().splitlines() if not line.startswith("#")))
    assert {row["instance_type"] for row in rows} == {i.name for i in INSTANCES.values() if i.gpus}
    for row in rows:
        instance = INSTANCES[row["instance_type"]]
        assert instance.gpus == int(row["gpus"]) and instance.gpu == row["gpu_name"]
        assert instance.gpu_memory_gib == int(row["gpu_memory_mib_per_gpu"]) / 1024
        # The anchor prints Karpenter's figures to the cent or finer; the catalog keeps the table's full precision.
        assert instance.usd_per_hour == pytest.approx(float(row["usd_per_hour"]), abs=0.005)


def test_spot_is_priced_below_on_demand():
    instance = INSTANCES["g6e.xlarge"]
    assert instance.usd_per_hour_for("spot") == pytest.approx(instance.usd_per_hour * SPOT_PRICE_FRACTION)
    assert instance.usd_per_hour_for("on-demand") == instance.usd_per_hour


def test_unknown_instance_is_refused():
    with pytest.raises(BlueprintError, match="instance_type: unknown name"):
        instance_named("p9.huge")
