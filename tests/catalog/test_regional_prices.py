"""Regional price snapshot: `make prices` (tools/prices.py) parses the AWS Price List offer file, the snapshot's
loader falls back to us-east-1 (and says so) where a region has no price, and warns when the snapshot is stale.

The fixture tests/catalog/fixtures/ec2_offer_us_east_1.json is shaped like a real EC2 regional offer file (field
names from docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/reading-service-price-list-file-for-services.html,
"JSON file"): products keyed by SKU with productFamily and attributes, terms.OnDemand/Reserved keyed by SKU then
offer term code, priceDimensions with unit and pricePerUnit.USD as a decimal string. It carries the decoys a real
file has: Windows, dedicated tenancy, unused-reservation capacity, SQL pre-installed, an EBS product, a reserved
upfront fee, and an instance type outside the catalog.
"""

from __future__ import annotations

import importlib.util
import json
from datetime import date
from pathlib import Path

from blueprints.catalog.instances import INSTANCES
from blueprints.catalog.regional_prices import SNAPSHOT, hourly_price, load_snapshot, staleness_warning
from blueprints.engine.program import build_graph
from blueprints.plan import build_plan
from blueprints.presets import load_spec

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parents[2]


def _tool():
    spec = importlib.util.spec_from_file_location("prices_tool", ROOT / "tools" / "prices.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_offer_file_parsing_keeps_only_plain_on_demand_linux():
    offer = json.loads((FIXTURES / "ec2_offer_us_east_1.json").read_text())
    assert _tool().on_demand_prices(offer, INSTANCES) == {"p5.48xlarge": 55.04, "g6e.xlarge": 1.861,
                                                          "m7i.large": 0.1008}


def test_refresh_writes_a_snapshot_the_plan_reads(tmp_path):
    tool = _tool()
    offer = json.loads((FIXTURES / "ec2_offer_us_east_1.json").read_text())
    # Region index as documented (service-region-infex-file-for-service.html): currentVersionUrl is relative.
    index = {"formatVersion": "v1.0", "disclaimer": "", "publicationDate": "2026-11-20T00:00:00Z",
             "regions": {"us-east-1": {"regionCode": "us-east-1",
                                       "currentVersionUrl": "/offers/v1.0/aws/AmazonEC2/20261120000000/us-east-1/"
                                                            "index.json"}}}
    urls = {tool.REGION_INDEX: index,
            "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AmazonEC2/20261120000000/us-east-1/index.json":
                offer}
    out = tmp_path / "regional_prices.json"
    tool.refresh(["us-east-1", "eu-south-2"], fetch=urls.__getitem__, out=out)
    snapshot = load_snapshot(out.read_text())
    assert snapshot.as_of == date(2026, 11, 20)
    assert snapshot.regions["us-east-1"].prices["p5.48xlarge"].on_demand == 55.04
    assert "index.json" in snapshot.regions["us-east-1"].source
    assert snapshot.regions["eu-south-2"].prices == {}
    assert snapshot.regions["eu-south-2"].source.startswith("not found")


def test_every_region_a_preset_can_use_is_in_the_snapshot():
    assert set(_tool().preset_regions()) <= set(SNAPSHOT.regions)


def test_every_catalog_instance_has_a_us_east_1_price():
    """us-east-1 is the fallback of every other region, so it must price the whole catalog."""
    assert set(INSTANCES) <= set(SNAPSHOT.regions["us-east-1"].prices)


def test_a_region_without_prices_falls_back_to_us_east_1_and_says_so():
    assert "us-east-2" not in SNAPSHOT.regions
    price = hourly_price("us-east-2", "p5.48xlarge", "on-demand")
    assert (price.usd_per_hour, price.region, price.fallback) == (55.04, "us-east-1", True)


def test_spot_without_a_published_reference_is_the_labelled_planning_fraction():
    # 55.04 on-demand x 0.5 planning fraction = 27.52
    price = hourly_price("us-east-1", "p5.48xlarge", "spot")
    assert (price.usd_per_hour, price.spot_basis, price.fallback) == (27.52, "planning fraction", False)


def test_stale_snapshot_warns_after_90_days():
    snapshot = load_snapshot(json.dumps({"regions": {"us-east-1": {"source": "x", "as_of": "2026-07-20",
                                                                    "prices": {}}}}))
    assert staleness_warning(date(2026, 10, 18), snapshot) is None  # 90 days
    warning = staleness_warning(date(2026, 10, 19), snapshot)
    assert warning is not None and "91 days old" in warning and "make prices" in warning


def test_plan_warns_for_regions_priced_at_us_east_1():
    """internal-ai moved to us-east-2, a region the shipped snapshot has no prices for."""
    assert "us-east-2" not in SNAPSHOT.regions
    spec = load_spec("internal-ai", "prod", overrides={"regions": ["us-east-2"]})
    plan = build_plan(spec, build_graph("internal-ai", "prod", overrides={"regions": ["us-east-2"]}), date(2026, 8, 1))
    assert ("no EC2 prices for us-east-2 in the price snapshot (`make prices` fetches them): its instances are "
            "priced at us-east-1") in plan.warnings
    assert {line.price_region for line in plan.gpu_fleet} == {"us-east-1"}


# SkyPilot's AWS catalog, the offline source (tools/prices.py --skypilot-csv): the header and row shapes of
# skypilot-org/skypilot-catalog catalogs/v8/aws/vms.csv (GpuInfo shortened), with the cases a real file has: a Local
# Zone row (use1-atl2-az1), an AZ without a spot price, a type offered in some regions only, a row without a price.
SKYPILOT_CSV = """\
InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,GpuInfo,Price,SpotPrice,Region,AvailabilityZone,Arch
m7i.xlarge,,,4.0,16.0,,0.2415,0.129500,eu-central-1,euc1-az1,x86_64
m7i.xlarge,,,4.0,16.0,,0.2415,0.132200,eu-central-1,euc1-az2,x86_64
m7i.xlarge,,,4.0,16.0,,0.2415,0.130400,eu-central-1,euc1-az3,x86_64
m7i.xlarge,,,4.0,16.0,,0.2016,0.085000,us-east-1,use1-az1,x86_64
p5en.48xlarge,H200,8.0,192.0,2048.0,"{'Gpus': []}",67.72672,15.353500,eu-north-1,eun1-az1,x86_64
p5en.48xlarge,H200,8.0,192.0,2048.0,"{'Gpus': []}",67.72672,,eu-north-1,eun1-az3,x86_64
p5en.48xlarge,H200,8.0,192.0,2048.0,"{'Gpus': []}",63.296,17.207400,us-east-1,use1-atl2-az1,x86_64
p5en.48xlarge,H200,8.0,192.0,2048.0,"{'Gpus': []}",63.296,18.249200,us-east-1,use1-az2,x86_64
p5en.48xlarge,H200,8.0,192.0,2048.0,"{'Gpus': []}",63.296,16.555100,us-east-1,use1-az6,x86_64
p5e.48xlarge,H200,8.0,192.0,2048.0,"{'Gpus': []}",,19.538700,us-west-2,usw2-az3,x86_64
"""


def test_skypilot_catalog_rows_give_region_prices_spot_medians_and_what_is_not_offered(tmp_path):
    import csv
    import io

    tool = _tool()
    found = tool.skypilot_prices(csv.DictReader(io.StringIO(SKYPILOT_CSV)), ["eu-central-1", "eu-north-1",
                                                                            "us-east-1"], INSTANCES)
    assert found["eu-central-1"] == {
        # median(0.1295, 0.1322, 0.1304) = 0.1304; p5en is listed elsewhere, in no zone here
        "prices": {"m7i.xlarge": {"on_demand": 0.2415, "spot_reference": 0.1304}},
        "not_offered": ["p5en.48xlarge"]}
    # eun1-az3 has no spot price: the median of the one there is
    assert found["eu-north-1"]["prices"] == {"p5en.48xlarge": {"on_demand": 67.72672, "spot_reference": 15.3535}}
    assert found["eu-north-1"]["not_offered"] == ["m7i.xlarge"]
    # the Local Zone's spot price is left out: median(18.2492, 16.5551) = 17.40215
    assert found["us-east-1"]["prices"]["p5en.48xlarge"] == {"on_demand": 63.296, "spot_reference": 17.40215}

    out = tmp_path / "regional_prices.json"
    out.write_text(json.dumps({"regions": {
        "us-east-1": {"source": "karpenter", "as_of": "2026-07-20", "prices": {"p4d.24xlarge": {"on_demand": 21.9}}},
        "eu-central-1": {"source": "not found", "as_of": None, "prices": {}}}}))
    csv_path = tmp_path / "vms.csv"
    csv_path.write_text(SKYPILOT_CSV)
    tool.refresh_offline(csv_path, "skypilot-catalog@abc", "2025-07-30", ["eu-central-1", "us-east-1"], out=out)
    snapshot = load_snapshot(out.read_text())
    east = snapshot.regions["us-east-1"]
    assert (east.source, east.prices["p4d.24xlarge"].on_demand) == ("karpenter", 21.9)
    assert (east.prices["m7i.xlarge"].source, east.prices["m7i.xlarge"].as_of) == ("skypilot-catalog@abc",
                                                                                  date(2025, 7, 30))
    # a row the snapshot has is kept: the offline file only fills gaps
    out.write_text(json.dumps({"regions": {"us-east-1": {"source": "karpenter", "as_of": "2026-07-20",
                                                         "prices": {"m7i.xlarge": {"on_demand": 0.2016}}}}}))
    tool.refresh_offline(csv_path, "skypilot-catalog@abc", "2025-07-30", ["us-east-1"], out=out)
    kept = load_snapshot(out.read_text()).regions["us-east-1"].prices["m7i.xlarge"]
    assert (kept.on_demand, kept.spot_reference, kept.source) == (0.2016, None, None)
    central = snapshot.regions["eu-central-1"]
    assert (central.source, central.as_of, central.not_offered) == ("skypilot-catalog@abc", date(2025, 7, 30),
                                                                    ["p5en.48xlarge"])
    assert snapshot.as_of == date(2025, 7, 30)


def test_shipped_eu_prices_are_the_regions_own():
    """eu-central-1 list prices from the shipped snapshot (skypilot-catalog rows, see its source): g6e.xlarge $2.327
    an hour against $1.861 in us-east-1 (+25%); spot reference median(1.4934, 1.4351, 1.0228) = 1.4351."""
    on_demand = hourly_price("eu-central-1", "g6e.xlarge", "on-demand")
    assert (on_demand.usd_per_hour, on_demand.region, on_demand.fallback) == (2.327, "eu-central-1", False)
    spot = hourly_price("eu-central-1", "g6e.xlarge", "spot")
    assert (spot.usd_per_hour, spot.spot_basis) == (1.4351, "reference")
    assert hourly_price("us-west-2", "m7i.xlarge", "on-demand").usd_per_hour == 0.2016


def test_regulated_prod_gpus_are_priced_in_their_own_regions(graph_of):
    """regulated-industry prod runs its L40S pools in eu-central-1 and eu-north-1, which both offer g6e (p5en, the
    H200 nodes it once planned, is in neither eu-central-1 nor eu-west-1: spec validation now refuses that, see
    tests/test_regional_availability.py): every GPU line is priced at its own region's price, no warning."""
    plan = build_plan(load_spec("regulated-industry", "prod"), graph_of("regulated-industry", "prod"),
                      date(2026, 8, 1))
    assert {(line.region, line.price_region) for line in plan.gpu_fleet} == {
        ("eu-central-1", "eu-central-1"), ("eu-north-1", "eu-north-1")}
    assert not [warning for warning in plan.warnings if "offered" in warning or "price for" in warning]
