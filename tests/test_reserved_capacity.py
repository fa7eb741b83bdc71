"""Reserved capacity as a pool option (issue 19 s4): an On-Demand Capacity Reservation changes what is emitted
(aws.ec2.CapacityReservation per zone, the EC2NodeClass selecting it, the NodePool allowing capacity type
`reserved`) and the price; a Savings Plan rate changes the price only.

internal-ai prod, pool l40s: corp-small's stable and candidate pods (1 GPU each) pack two per node onto
2 x g6e.12xlarge (zones a and b), on-demand at $10.49264/h (us-east-1): 2 x 10.49264 x 730 = $15,319.25/month.
"""

from __future__ import annotations

from datetime import date

import pytest

from blueprints.cli import main
from blueprints.components.karpenter import node_class_manifest, node_pool_manifest
from blueprints.engine.program import build_graph
from blueprints.plan import build_plan, gpu_fleet
from blueprints.presets import load_spec
from tests.support.schemas import validate_manifest

ODCR = {"cluster": {"gpu_pools": [{}, {"reservation": {
    "kind": "capacity-reservation", "instance_type": "g6e.12xlarge", "instances_per_zone": 1}}]}}
SAVINGS = {"cluster": {"gpu_pools": [{}, {"reservation": {"kind": "savings-plan", "discount": 0.28}}]}}


def _small(overrides):
    return next(line for line in gpu_fleet(load_spec("internal-ai", "prod", overrides)) if line.model == "corp-small")


def test_without_a_reservation_the_pool_is_two_on_demand_nodes():
    assert _small({}).floor_usd_per_month == pytest.approx(15319.25, abs=0.01)


def test_capacity_reservation_is_billed_whole_and_its_nodes_leave_the_fleet_line():
    """One g6e.12xlarge reserved in each of 3 zones: 3 x 10.49264 x 730 = $22,978.88 a month whether used or not
    (EC2 bills reserved capacity at the on-demand rate); the two nodes corp-small runs on are reserved ones, so its
    fleet line is $0 (the third zone's reservation stands idle: reserving costs $7,659.63 more than on-demand)."""
    overrides = ODCR
    assert (_small(overrides).floor_usd_per_month, _small(overrides).peak_usd_per_month) == (0.0, 0.0)
    spec = load_spec("internal-ai", "prod", overrides)
    graph = build_graph("internal-ai", "prod", None, overrides)
    reservations = [r for r in graph.resources if r.type == "aws:ec2/capacityReservation:CapacityReservation"
                    and r.region == "us-east-1"]
    assert len(reservations) == 3
    assert {(r.inputs["instanceType"], r.inputs["instanceCount"], r.inputs["instanceMatchCriteria"])
            for r in reservations} == {("g6e.12xlarge", 1, "targeted")}
    plan = build_plan(spec, graph, date(2026, 12, 4))
    billed = sum(line.usd_per_month for line in plan.costs if line.item == "CapacityReservation"
                 and line.region == "us-east-1")
    assert billed == pytest.approx(22978.88, abs=0.02)


def test_savings_plan_discounts_the_on_demand_nodes():
    """$15,319.25 x (1 - 0.28) = $11,029.86."""
    line = _small(SAVINGS)
    assert (line.floor_usd_per_month, line.peak_usd_per_month) == (pytest.approx(11029.86, abs=0.01),) * 2


def test_reserving_pool_objects_pass_the_pinned_karpenter_crds():
    """NodePool with capacity type `reserved` and EC2NodeClass with capacityReservationSelectorTerms, strictly
    validated (unknown fields and the CRDs' CEL rules) against karpenter v1.14.1's CRDs from .vendor/crds."""
    spec = load_spec("internal-ai", "prod", ODCR)
    pool = node_pool_manifest(spec, spec.pool("l40s"))
    capacity = next(r for r in pool["spec"]["template"]["spec"]["requirements"]
                    if r["key"] == "karpenter.sh/capacity-type")
    assert capacity["values"] == ["on-demand", "reserved"]
    node_class = node_class_manifest("gpu", "corp-prod-node", "corp-prod-use1-eks", "sg-0123456789abcdef0", None,
                                     reservations=True)
    assert node_class["spec"]["capacityReservationSelectorTerms"] == [
        {"tags": {"karpenter.sh/discovery": "corp-prod-use1-eks"}}]
    assert validate_manifest(pool) == []
    assert validate_manifest(node_class) == []


@pytest.mark.parametrize(("value", "named"), [
    ('{"kind": "savings-plan"}', "discount"),
    ('{"kind": "capacity-reservation", "instance_type": "p5.48xlarge"}', "reservation.instance_type"),
])
def test_bad_reservation_is_one_line_exit_2(capsys, value, named):
    assert main(["plan", "--preset", "internal-ai", "--env", "prod", "--set",
                 f"cluster.gpu_pools[1].reservation={value}"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and named in lines[0] and "gpu_pools" in lines[0], lines


# EC2 Capacity Blocks for ML on internal-ai's h100 pool: corp-large runs on 2 x p5.48xlarge (zones a and b,
# on-demand $55.04/h in us-east-1: 2 x 55.04 x 730 = $80,358.40/month). A block of 2 x p5.48xlarge for 28 days at
# the offering's rate (the example rate below stands for the UpfrontFee / (instances x hours) AWS quotes when the
# block is bought: Capacity Block prices are set per offering, docs.aws.amazon.com/AWSEC2/latest/UserGuide/
# capacity-blocks-pricing-billing.html).
BLOCK = {"cluster": {"gpu_pools": [{"reservation": {
    "kind": "capacity-block", "instance_type": "p5.48xlarge", "block_instances": 2, "duration_days": 28,
    "start_date": "2027-01-04", "usd_per_instance_hour": 31.464}}, {}]}}


def _large(overrides):
    return next(line for line in gpu_fleet(load_spec("internal-ai", "prod", overrides)) if line.model == "corp-large")


def test_capacity_block_is_bought_upfront_and_its_nodes_leave_the_fleet_line_while_it_lasts():
    """The block: 2 x 31.464 x (28 x 24 = 672 h) = $42,287.62, billed upfront; a month is 730 h, so the two nodes
    run the other 58 h on-demand: 2 x 55.04 x 58 = $6,384.64 stays in corp-large's fleet line."""
    assert _large({}).floor_usd_per_month == pytest.approx(80358.40, abs=0.01)
    line = _large(BLOCK)
    assert (line.floor_usd_per_month, line.peak_usd_per_month) == (pytest.approx(6384.64, abs=0.01),) * 2
    spec = load_spec("internal-ai", "prod", BLOCK)
    graph = build_graph("internal-ai", "prod", None, BLOCK)
    blocks = [r for r in graph.resources if r.type == "aws:ec2/capacityBlockReservation:CapacityBlockReservation"]
    assert len(blocks) == 1 and blocks[0].region == "us-east-1"
    assert blocks[0].inputs["instancePlatform"] == "Linux/UNIX"
    assert blocks[0].inputs["tags"]["karpenter.sh/discovery"] == "corp-prod-use1-eks"
    assert not [r for r in graph.resources if r.type == "aws:ec2/capacityReservation:CapacityReservation"]
    plan = build_plan(spec, graph, date(2026, 12, 4))
    billed = [line for line in plan.costs if line.item == "Capacity Block h100"]
    assert [(line.region, line.kind, line.usd_per_month) for line in billed] == [("us-east-1", "fixed", 42287.62)]
    assert "2 x p5.48xlarge for 28 days from 2027-01-04 at $31.464/instance-hour" in billed[0].detail


def test_capacity_block_pool_objects_pass_the_pinned_karpenter_crds():
    """Karpenter launches into a Capacity Block like into any capacity reservation it selects (capacity type
    `reserved`; karpenter v1.14.1 EC2NodeClass status.capacityReservations[].reservationType `capacity-block`)."""
    spec = load_spec("internal-ai", "prod", BLOCK)
    pool = node_pool_manifest(spec, spec.pool("h100"))
    capacity = next(r for r in pool["spec"]["template"]["spec"]["requirements"]
                    if r["key"] == "karpenter.sh/capacity-type")
    assert capacity["values"] == ["on-demand", "reserved"]
    assert validate_manifest(pool) == []


@pytest.mark.parametrize(("value", "named"), [
    ('{"kind": "capacity-block", "instance_type": "p5.48xlarge", "duration_days": 15, "start_date": "2027-01-04", '
     '"usd_per_instance_hour": 31.4}', "duration_days"),
    ('{"kind": "capacity-block", "instance_type": "p5.48xlarge", "block_instances": 3, "duration_days": 7, '
     '"start_date": "2027-01-04", "usd_per_instance_hour": 31.4}', "block_instances"),
    ('{"kind": "capacity-block", "instance_type": "p5.48xlarge", "duration_days": 7, "start_date": "2027-01-04"}',
     "usd_per_instance_hour"),
    ('{"kind": "capacity-block", "instance_type": "p5.4xlarge", "duration_days": 7, "start_date": "2027-01-04", '
     '"usd_per_instance_hour": 4.0}', "capacity block"),
])
def test_bad_capacity_block_is_one_line_exit_2(capsys, value, named):
    assert main(["plan", "--preset", "internal-ai", "--env", "prod", "--set",
                 f"cluster.gpu_pools[0].reservation={value}"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and named in lines[0] and "gpu_pools" in lines[0], lines
