"""`make prices`: refresh blueprints/catalog/regional_prices.json from the AWS Price List bulk API (needs network).

For every region a preset can use (each preset's regions in every environment, and its residency's allowed
regions) it reads the EC2 region index, downloads that region's current offer file and keeps the on-demand Linux
hourly price of every instance type in blueprints/catalog/instances.csv, with the offer file's URL and
publication date as source and date.

The offer file format (docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/reading-service-price-list-file-for-
services.html, "JSON file"; the region index: .../aboutv2/service-region-infex-file-for-service.html, whose
`regions.<code>.currentVersionUrl` is relative to the pricing host, e.g. /offers/v1.0/aws/AmazonRDS/20230328234721/
us-east-2/index.json):
  {"formatVersion", "offerCode", "version", "publicationDate",
   "products": {SKU: {"sku", "productFamily", "attributes": {"instanceType", "operatingSystem", "tenancy",
                                                              "preInstalledSw", "capacitystatus", "licenseModel",
                                                              "regionCode", ...}}},
   "terms": {"OnDemand": {SKU: {OFFER_TERM_CODE: {"sku", "offerTermCode", "effectiveDate",
                                                   "priceDimensions": {RATE_CODE: {"unit", "pricePerUnit":
                                                                                    {"USD": "55.0400000000"}}}}}},
             "Reserved": {...}}}
The Price List carries no spot prices (they float per AZ): the snapshot's spot reference stays empty and the plan
uses its labelled planning fraction.

Offline source (`--skypilot-csv FILE --source TEXT --as-of YYYY-MM-DD`): SkyPilot's AWS catalog
(github.com/skypilot-org/skypilot-catalog, catalogs/v8/aws/vms.csv), which its fetcher
(sky/catalog/data_fetchers/fetch_aws.py) builds from the same Price List (on-demand, per region) and from EC2 spot
price history (per availability zone), for every region of the account, every few hours. Columns read:
InstanceType, Price, SpotPrice, Region, AvailabilityZone (AZ ids; Local Zones such as use1-atl2-az1 carry an extra
segment). A row's on-demand price is its region's; the spot reference is the median over the region's AZs. A catalog
type the file lists in other regions but in no AZ of a region is recorded as not offered there. It fills only the
rows the snapshot lacks (each with the file's source and date): rows read from the Price List itself stay.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import statistics
import sys
import urllib.request
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from blueprints.catalog.instances import INSTANCES  # noqa: E402
from blueprints.presets import ENVIRONMENTS, load_spec, preset_names  # noqa: E402

BASE = "https://pricing.us-east-1.amazonaws.com"
REGION_INDEX = f"{BASE}/offers/v1.0/aws/AmazonEC2/current/region_index.json"
SNAPSHOT = ROOT / "blueprints" / "catalog" / "regional_prices.json"

# The plain on-demand Linux product of an instance type: shared tenancy, no pre-installed software, no license
# included, and a used instance (capacitystatus "Used"; reserved-but-unused capacity has its own SKUs).
ON_DEMAND_LINUX = {"operatingSystem": "Linux", "tenancy": "Shared", "preInstalledSw": "NA",
                   "capacitystatus": "Used", "licenseModel": "No License required"}

Fetch = Callable[[str], dict[str, Any]]


def fetch_json(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=600) as response:
        return json.load(response)


def preset_regions() -> list[str]:
    """Every region a preset can run in: its regions per environment and its residency's allowed regions."""
    regions: set[str] = set()
    for preset in preset_names():
        for environment in ENVIRONMENTS:
            spec = load_spec(preset, environment)
            regions.update(spec.regions)
            regions.update(spec.residency.allowed_regions or [])
    return sorted(regions)


def on_demand_prices(offer: dict[str, Any], instance_types: Iterable[str]) -> dict[str, float]:
    """Instance type -> on-demand Linux USD per hour from one region's EC2 offer file."""
    wanted = set(instance_types)
    prices: dict[str, float] = {}
    for sku, product in offer["products"].items():
        attributes = product.get("attributes", {})
        if (product.get("productFamily") != "Compute Instance" or attributes.get("instanceType") not in wanted
                or any(attributes.get(key) != value for key, value in ON_DEMAND_LINUX.items())):
            continue
        for term in offer["terms"]["OnDemand"].get(sku, {}).values():
            for dimension in term["priceDimensions"].values():
                if dimension["unit"] == "Hrs":
                    prices[attributes["instanceType"]] = float(dimension["pricePerUnit"]["USD"])
    return prices


def region_snapshot(region: str, index: dict[str, Any], fetch: Fetch) -> dict[str, Any]:
    entry = index["regions"].get(region)
    if entry is None:
        return {"source": f"not found: {region} is not in the EC2 region index {REGION_INDEX}", "as_of": None,
                "prices": {}}
    url = BASE + entry["currentVersionUrl"]
    offer = fetch(url)
    prices = on_demand_prices(offer, INSTANCES)
    return {"source": f"{url} (AWS Price List bulk API, on-demand Linux, shared tenancy)",
            "as_of": offer["publicationDate"][:10],
            "prices": {name: {"on_demand": price, "spot_reference": None} for name, price in sorted(prices.items())}}


REGULAR_ZONE = re.compile(r"^[a-z]+[0-9]+-az[0-9]+$")
"""An AZ id of the region itself (use1-az2), not a Local or Wavelength Zone (use1-atl2-az1)."""


def skypilot_prices(rows: Iterable[Mapping[str, str]], regions: Iterable[str],
                    instance_types: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Region -> {"prices": {type: {"on_demand", "spot_reference"}}, "not_offered": [types]} from the rows of
    SkyPilot's AWS vms.csv, for the catalog's instance types."""
    wanted, regions = set(instance_types), list(regions)
    listed: set[str] = set()
    present: set[tuple[str, str]] = set()
    on_demand: dict[tuple[str, str], float] = {}
    spot: dict[tuple[str, str], list[float]] = defaultdict(list)
    for row in rows:
        name, region = row["InstanceType"], row["Region"]
        if name not in wanted:
            continue
        listed.add(name)
        key = (region, name)
        present.add(key)
        if row["Price"]:
            on_demand[key] = float(row["Price"])
        if row["SpotPrice"] and REGULAR_ZONE.match(row["AvailabilityZone"]):
            spot[key].append(float(row["SpotPrice"]))
    return {region: {
        "prices": {name: {"on_demand": price,
                          "spot_reference": round(statistics.median(spot[(where, name)]), 6)
                          if spot[(where, name)] else None}
                   for (where, name), price in sorted(on_demand.items()) if where == region},
        "not_offered": sorted(name for name in listed if (region, name) not in present),
    } for region in regions}


def merge_offline(snapshot: dict[str, Any], offline: dict[str, dict[str, Any]], source: str,
                  as_of: str) -> dict[str, Any]:
    """The snapshot with the offline source's rows it lacked (each carrying its source and date) and the types not
    offered where it has no price for them."""
    regions = snapshot["regions"]
    for region, found in offline.items():
        entry = regions.setdefault(region, {"source": source, "as_of": as_of, "prices": {}})
        if not entry["prices"]:
            entry.update(source=source, as_of=as_of)
        for name, price in found["prices"].items():
            entry["prices"].setdefault(name, {**price, "source": source, "as_of": as_of})
        entry["not_offered"] = sorted((set(entry.get("not_offered", [])) | set(found["not_offered"]))
                                      - set(entry["prices"]))
    return snapshot


def refresh_offline(csv_path: Path, source: str, as_of: str, regions: Iterable[str],
                    out: Path = SNAPSHOT) -> dict[str, Any]:
    with csv_path.open(newline="", encoding="utf-8") as handle:
        offline = skypilot_prices(csv.DictReader(handle), regions, INSTANCES)
    snapshot = merge_offline(json.loads(out.read_text(encoding="utf-8")), offline, source, as_of)
    out.write_text(json.dumps(snapshot, indent=1) + "\n", encoding="utf-8")
    return snapshot


def refresh(regions: Iterable[str], fetch: Fetch = fetch_json, out: Path = SNAPSHOT) -> dict[str, Any]:
    index = fetch(REGION_INDEX)
    snapshot = {"regions": {region: region_snapshot(region, index, fetch) for region in regions}}
    out.write_text(json.dumps(snapshot, indent=1) + "\n", encoding="utf-8")
    return snapshot


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skypilot-csv", type=Path, help="offline source: SkyPilot's AWS vms.csv")
    parser.add_argument("--source", help="with --skypilot-csv: where the file comes from (repository, commit)")
    parser.add_argument("--as-of", help="with --skypilot-csv: the date of the file's prices (YYYY-MM-DD)")
    args = parser.parse_args(argv)
    regions = preset_regions()
    if args.skypilot_csv:
        if not (args.source and args.as_of):
            print("error: --skypilot-csv needs --source and --as-of (the file carries no date)", file=sys.stderr)
            return 2
        snapshot = refresh_offline(args.skypilot_csv, args.source, args.as_of, regions)
        for region in regions:
            data = snapshot["regions"][region]
            print(f"{region}: {len(data['prices'])} instance types, not offered: {data.get('not_offered', [])}")
        return 0
    try:
        snapshot = refresh(regions)
    except OSError as error:  # urllib's URLError and timeouts: no network, or the Price List unreachable
        print(f"error: cannot read the AWS Price List ({REGION_INDEX}): {error}; the snapshot is unchanged",
              file=sys.stderr)
        return 1
    for region, data in snapshot["regions"].items():
        print(f"{region}: {len(data['prices'])} instance types, {data['as_of'] or data['source']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
