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
"""

from __future__ import annotations

import json
import sys
import urllib.request
from collections.abc import Callable, Iterable
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


def refresh(regions: Iterable[str], fetch: Fetch = fetch_json, out: Path = SNAPSHOT) -> dict[str, Any]:
    index = fetch(REGION_INDEX)
    snapshot = {"regions": {region: region_snapshot(region, index, fetch) for region in regions}}
    out.write_text(json.dumps(snapshot, indent=1) + "\n", encoding="utf-8")
    return snapshot


def main() -> int:
    regions = preset_regions()
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
