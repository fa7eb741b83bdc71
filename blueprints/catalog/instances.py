"""EC2 instance types the platform uses, with hourly prices and where each price came from (instances.csv)."""

from __future__ import annotations

import csv
from importlib import resources
from typing import Literal

from pydantic import BaseModel

from blueprints.catalog.lookup import lookup

CapacityType = Literal["on-demand", "spot"]
CAPACITY_TYPES: tuple[CapacityType, ...] = ("on-demand", "spot")

PRICE_SOURCES: dict[str, str] = {
    "karpenter-zz-2026-07-20": "aws/karpenter-provider-aws "
    "pkg/providers/pricing/zz_generated.pricing_aws.go, on-demand Linux us-east-1, generated 2026-07-20; "
    "vCPU/memory from the EC2 instance-types reference",
}

SPOT_PRICE_FRACTION = 0.5
"""Planning assumption, not a quote: spot price as a fraction of on-demand. Spot prices float hourly per AZ
(AWS advertises "up to 90% off"); GPU families typically trade 30-70% below on-demand, so plan at half."""

HOURS_PER_MONTH = 730


class InstanceType(BaseModel, frozen=True):
    name: str
    family: str
    gpu: str
    """GPU family name (a key of GPUS), "" for CPU-only instances."""
    gpus: int
    gpu_memory_gib: float
    """Memory per GPU, GiB."""
    vcpus: int
    memory_gib: float
    usd_per_hour: float
    """On-demand price, us-east-1 (what the planner picks instance types by; the plan prices each region from
    regional_prices.json)."""
    price_source: str

    def usd_per_hour_for(self, capacity_type: CapacityType) -> float:
        return self.usd_per_hour * (SPOT_PRICE_FRACTION if capacity_type == "spot" else 1.0)


def _load() -> dict[str, InstanceType]:
    text = resources.files("blueprints.catalog").joinpath("instances.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(text.splitlines())
    return {
        row["instance_type"]: InstanceType(
            name=row["instance_type"],
            family=row["family"],
            gpu=row["gpu_name"],
            gpus=int(row["gpus"]),
            gpu_memory_gib=int(row["gpu_memory_mib_per_gpu"]) / 1024,
            vcpus=int(row["vcpus"]),
            memory_gib=float(row["memory_gib"]),
            usd_per_hour=float(row["usd_per_hour"]),
            price_source=PRICE_SOURCES[row["price_source"]],
        )
        for row in rows
    }


INSTANCES: dict[str, InstanceType] = _load()


def instances_for(gpu: str) -> list[InstanceType]:
    """GPU instances carrying `gpu`, fewest GPUs first, then cheapest."""
    matching = [instance for instance in INSTANCES.values() if instance.gpus and instance.gpu == gpu]
    return sorted(matching, key=lambda instance: (instance.gpus, instance.usd_per_hour))


def instance_named(name: str, what: str = "instance_type") -> InstanceType:
    return lookup(INSTANCES, name, what)
