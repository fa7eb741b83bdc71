"""EC2 list prices per region and instance type, from the snapshot `regional_prices.json` (written by
`make prices`, tools/prices.py, from the AWS Price List bulk API; each region records its source and date).

A region the snapshot has no price for is priced at us-east-1 and the plan says so: no number is invented.
The spot column is a reference where a published one exists; otherwise spot is planned at `SPOT_PRICE_FRACTION`
of the region's on-demand price (a planning assumption, labelled as such).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from importlib import resources

from pydantic import BaseModel

from blueprints.catalog.instances import INSTANCES, SPOT_PRICE_FRACTION, CapacityType

FALLBACK_REGION = "us-east-1"
STALE_AFTER_DAYS = 90
SNAPSHOT_FILE = "regional_prices.json"


class InstancePrice(BaseModel, frozen=True):
    on_demand: float
    """USD per hour, Linux, shared tenancy."""
    spot_reference: float | None = None
    source: str | None = None
    """Where this row comes from, when not from the region's `source`."""
    as_of: date | None = None
    """This row's date, when not the region's `as_of`."""


class RegionPrices(BaseModel, frozen=True):
    source: str
    """Where the prices come from (URL and what was read), or why the region has none."""
    as_of: date | None
    prices: dict[str, InstancePrice]
    not_offered: list[str] = []
    """Catalog instance types the source lists in other regions but in no zone of this one."""


class Snapshot(BaseModel, frozen=True):
    regions: dict[str, RegionPrices]

    @property
    def as_of(self) -> date:
        """The oldest date of any region's or row's prices: how current the snapshot is at worst."""
        return self.as_of_for(self.regions)

    def as_of_for(self, regions: Iterable[str]) -> date:
        """The oldest date of the prices a plan in `regions` reads (theirs, and us-east-1's, the fallback)."""
        chosen = [self.regions[name] for name in {*regions, FALLBACK_REGION} if name in self.regions]
        dates = [day for region in chosen for day in (region.as_of, *(price.as_of for price in region.prices.values()))]
        return min(day for day in dates if day is not None)


class HourlyPrice(BaseModel, frozen=True):
    usd_per_hour: float
    region: str
    """The region whose price this is (us-east-1 when `fallback`)."""
    fallback: bool
    spot_basis: str
    """'' for on-demand; for spot: 'reference' or 'planning fraction'."""


def load_snapshot(text: str | None = None) -> Snapshot:
    text = text if text is not None else resources.files("blueprints.catalog").joinpath(SNAPSHOT_FILE).read_text(
        encoding="utf-8")
    return Snapshot.model_validate(json.loads(text))


SNAPSHOT = load_snapshot()


def hourly_price(region: str, instance_type: str, capacity_type: CapacityType,
                 snapshot: Snapshot = SNAPSHOT) -> HourlyPrice:
    """The instance's hourly price in `region`, falling back to us-east-1 where the snapshot has none."""
    regional = snapshot.regions.get(region)
    price = regional.prices.get(instance_type) if regional else None
    used = region
    if price is None:
        price, used = snapshot.regions[FALLBACK_REGION].prices[instance_type], FALLBACK_REGION
    if capacity_type == "on-demand":
        return HourlyPrice(usd_per_hour=price.on_demand, region=used, fallback=used != region, spot_basis="")
    if price.spot_reference is not None:
        return HourlyPrice(usd_per_hour=price.spot_reference, region=used, fallback=used != region,
                           spot_basis="reference")
    return HourlyPrice(usd_per_hour=price.on_demand * SPOT_PRICE_FRACTION, region=used, fallback=used != region,
                       spot_basis="planning fraction")


def not_offered(region: str, instance_type: str, snapshot: Snapshot = SNAPSHOT) -> bool:
    """True where the snapshot's source lists the instance type in other regions but in no zone of `region`, or
    has no row for it there while it marks other sizes of its family not offered and prices none of them (EC2
    launches a family in a region with its sizes: a family absent from a region is absent in every size)."""
    regional = snapshot.regions.get(region)
    if regional is None or instance_type in regional.prices:
        return False
    if instance_type in regional.not_offered:
        return True
    family = INSTANCES[instance_type].family if instance_type in INSTANCES else None
    siblings = [name for name, instance in INSTANCES.items() if instance.family == family]
    return (any(name in regional.not_offered for name in siblings)
            and not any(name in regional.prices for name in siblings))


def regions_not_offering(instance_type: str, regions: Iterable[str], snapshot: Snapshot = SNAPSHOT) -> list[str]:
    """The regions of `regions` where the snapshot marks `instance_type` not offered (a type it has no row for in a
    region is not counted: the plan prices it at us-east-1 and says so)."""
    return [region for region in regions if not_offered(region, instance_type, snapshot)]


def staleness_warning(today: date, snapshot: Snapshot = SNAPSHOT, regions: Iterable[str] | None = None) -> str | None:
    """A warning when the prices read for `regions` (default: all) are older than STALE_AFTER_DAYS."""
    as_of = snapshot.as_of_for(regions) if regions is not None else snapshot.as_of
    age = (today - as_of).days
    if age <= STALE_AFTER_DAYS:
        return None
    return (f"price snapshot is {age} days old (prices of {as_of.isoformat()}, older than "
            f"{STALE_AFTER_DAYS} days): run `make prices` to refresh blueprints/catalog/{SNAPSHOT_FILE}")
