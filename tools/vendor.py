"""`make vendor`: fetch the upstream artifacts the tests read (Helm charts, CRD files) into the git-ignored `.vendor/`,
verifying each against blueprints/upstream.lock.yaml (the lock's header says what its digests cover).

Online, charts come from their repository in blueprints/versions.py (helm-python-sdk's `pull`, HTTP or OCI) and CRD
files from their pinned URL. Offline, `BLUEPRINTS_MIRROR=<dir>` copies from a mirror with the same layout
(`charts/<chart>-<version>.tgz`, `crds/<project>/<file>.yaml`). CRDs the lock takes from a chart are extracted from
the vendored chart. Files already verified are kept; files the lock does not name are removed.

`python tools/vendor.py digest FILE...` prints the digests to write into the lock after a bump.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sys
import tarfile
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from blueprints.versions import CHARTS  # noqa: E402

LOCK = ROOT / "blueprints" / "upstream.lock.yaml"
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml when pyyaml has it: the largest CRDs take seconds each with the pure-Python parser."""
VENDOR = ROOT / ".vendor"
HOW = "run `make vendor` (offline: BLUEPRINTS_MIRROR=/path/to/mirror make vendor)"


class VendorError(Exception):
    """One artifact that cannot be had or does not match the lock; the message is the one line the user sees."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def chart_content_sha256(archive: bytes) -> str:
    """Digest of what a chart archive holds, not of its bytes: sha256 over the sorted lines `<member path> <sha256>`
    of its regular files. Equal for the registry's archive and a re-packaging of the same release."""
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        lines = sorted(f"{m.name} {sha256(tar.extractfile(m).read())}\n" for m in tar.getmembers() if m.isfile())
    return sha256("".join(lines).encode())


def yaml_content_sha256(text: str) -> str:
    """Digest of a YAML document's data (canonical JSON: sorted keys, no spaces), independent of its formatting."""
    data = yaml.load(text, Loader=LOADER)
    return sha256(json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode())


@dataclass(frozen=True)
class Artifact:
    """One file under .vendor/, its lock entry and where it comes from."""

    relpath: str
    lock: dict[str, str]
    source: str
    chart_key: str | None = None
    """The key in versions.CHARTS for a chart archive."""

    def mismatch(self, data: bytes) -> str | None:
        """None when the bytes match every digest the lock has for them, else what differs."""
        content = chart_content_sha256 if self.chart_key else lambda d: yaml_content_sha256(d.decode())
        problems = [f"{label} {got}, the lock has {want}"
                    for label, digest in (("sha256", sha256), ("content_sha256", content))
                    if (want := self.lock.get(label)) is not None and (got := digest(data)) != want]
        return "; ".join(problems) or None


def load_lock() -> dict[str, Any]:
    lock: dict[str, Any] = yaml.safe_load(LOCK.read_text())
    return lock


def chart_file(key: str) -> str:
    chart = CHARTS[key]
    return f"charts/{chart.chart}-{chart.version}.tgz"


def artifacts(lock: dict[str, Any]) -> list[Artifact]:
    """Every locked artifact, charts first (CRDs extracted from a chart need it vendored)."""
    unlocked, stale = sorted(set(CHARTS) - set(lock["charts"])), sorted(set(lock["charts"]) - set(CHARTS))
    if unlocked or stale:
        raise VendorError(f"{LOCK.relative_to(ROOT)} and blueprints/versions.py CHARTS disagree: not locked "
                          f"{unlocked}, locked but not pinned {stale}")
    charts = [Artifact(chart_file(key), entry, f"chart {key} {CHARTS[key].version} from {CHARTS[key].repository}",
                       key) for key, entry in sorted(lock["charts"].items())]
    crds = [Artifact(f"crds/{path}", entry, entry.get("url") or f"chart {entry['chart']} {entry['member']}")
            for path, entry in sorted(lock["crds"].items())]
    return charts + crds


def _from_mirror(mirror: Path, relpath: str) -> bytes:
    path = mirror / relpath
    if not path.is_file():
        raise VendorError(f"{relpath}: not in the mirror {mirror}; copy it there, or unset BLUEPRINTS_MIRROR to "
                          "download it")
    return path.read_bytes()


def _pull_chart(key: str) -> bytes:
    import helm_python

    chart = CHARTS[key]
    with tempfile.TemporaryDirectory() as tmp:
        if chart.repository.startswith("oci://"):
            helm_python.pull(f"{chart.repository}/{chart.chart}", version=chart.version, destination=tmp)
        else:
            helm_python.pull(chart.chart, repo_url=chart.repository, version=chart.version, destination=tmp)
        return (Path(tmp) / f"{chart.chart}-{chart.version}.tgz").read_bytes()


def _download(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as response:
        data: bytes = response.read()
    return data


def _extract_crd(entry: dict[str, str], relpath: str, into: Path) -> bytes:
    """The CRD document named by the file (`<group>_<plural>.yaml`) from a member of a vendored chart."""
    group, _, plural = Path(relpath).stem.partition("_")
    archive = into / chart_file(entry["chart"])
    with tarfile.open(archive, mode="r:gz") as tar:
        text = tar.extractfile(f"{CHARTS[entry['chart']].chart}/{entry['member']}").read().decode()
    for document in yaml.load_all(text, Loader=LOADER):
        if document and document["metadata"]["name"] == f"{plural}.{group}":
            return json.dumps(document, indent=1, ensure_ascii=False).encode()  # JSON is YAML; dumping YAML is slow
    raise VendorError(f"{relpath}: no CRD {plural}.{group} in {archive.name} {entry['member']}")


def fetch(artifact: Artifact, mirror: Path | None, into: Path) -> bytes:
    if "chart" in artifact.lock:
        return _extract_crd(artifact.lock, artifact.relpath, into)
    if mirror is not None:
        return _from_mirror(mirror, artifact.relpath)
    try:
        if artifact.chart_key:
            return _pull_chart(artifact.chart_key)
        return _download(artifact.lock["url"])
    except Exception as error:
        raise VendorError(f"{artifact.relpath}: cannot download from {artifact.source} ({error}); with no network, "
                          "point BLUEPRINTS_MIRROR at a mirror holding it") from None


def vendor(mirror: Path | None, into: Path) -> None:
    """Make `into` hold exactly the locked artifacts, verified; raises VendorError on the first that cannot be had."""
    wanted = artifacts(load_lock())
    for artifact in wanted:
        target = into / artifact.relpath
        if target.is_file() and artifact.mismatch(target.read_bytes()) is None:
            print(f"  ok       {artifact.relpath}")
            continue
        data = fetch(artifact, mirror, into)
        problem = artifact.mismatch(data)
        if problem is not None:
            raise VendorError(f"{artifact.relpath} from {artifact.source}: digest mismatch ({problem}); if the "
                              f"pin changed on purpose, check the release and put these digests in {LOCK.name}")
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(target.suffix + ".part")
        partial.write_bytes(data)
        partial.replace(target)
        print(f"  fetched  {artifact.relpath}")
    keep = {into / a.relpath for a in wanted}
    for path in sorted(p for p in into.rglob("*") if p.is_file() and p not in keep):
        path.unlink()
        print(f"  removed  {path.relative_to(into)} (not in the lock)")


def print_digests(paths: list[str]) -> None:
    for name in paths:
        data = Path(name).read_bytes()
        content = chart_content_sha256(data) if name.endswith(".tgz") else yaml_content_sha256(data.decode())
        print(f"{name}: sha256 {sha256(data)} content_sha256 {content}")


def main(argv: list[str]) -> int:
    if argv[:1] == ["digest"]:
        print_digests(argv[1:])
        return 0
    mirror_dir = os.environ.get("BLUEPRINTS_MIRROR")
    mirror = Path(mirror_dir).resolve() if mirror_dir else None
    print(f"vendoring upstream artifacts into {VENDOR} from "
          f"{mirror if mirror else 'their upstream repositories'}")
    try:
        vendor(mirror, VENDOR)
    except VendorError as error:
        print(f"make vendor: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
