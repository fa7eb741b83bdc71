"""The upstream artifacts the tests read: pinned once (blueprints/upstream.lock.yaml), fetched and verified by
`make vendor` (tools/vendor.py), read only from .vendor/, and nothing else read from outside the repository."""

import gzip
import io
import re
import tarfile
from pathlib import Path

import pytest

from blueprints.versions import CHARTS
from tests.support.vendor import HOW, VENDOR, crd_files, vendored
from tools import vendor as tool

ROOT = Path(__file__).resolve().parents[1]


def test_every_pinned_chart_has_a_lock_entry_and_every_entry_a_pin():
    lock = tool.load_lock()
    assert set(lock["charts"]) == set(CHARTS)
    for key, entry in lock["charts"].items():
        assert re.fullmatch(r"[0-9a-f]{64}", entry["content_sha256"]), key
    assert len(tool.artifacts(lock)) == len(CHARTS) + len(lock["crds"])


def test_every_locked_crd_names_its_release_and_digest_or_the_chart_it_ships_in():
    for path, entry in tool.load_lock()["crds"].items():
        assert re.fullmatch(r"[a-z0-9-]+/[a-z0-9.-]+_[a-z0-9]+\.yaml", path), path
        if "chart" in entry:
            assert entry["chart"] in CHARTS and entry["member"] and len(entry["content_sha256"]) == 64, path
        else:
            commit = re.escape(entry["url"].split("/")[5])
            assert re.fullmatch(rf"https://raw\.githubusercontent\.com/[\w.-]+/[\w.-]+/{commit}/\S+\.yaml",
                                entry["url"]) and re.fullmatch(r"[0-9a-f]{40}", entry["url"].split("/")[5]), path
            assert entry["version"] and re.fullmatch(r"[0-9a-f]{64}", entry["sha256"]), path


def test_what_the_tests_read_is_what_the_lock_pins():
    for artifact in tool.artifacts(tool.load_lock()):
        assert artifact.mismatch(vendored(artifact.relpath).read_bytes()) is None, artifact.relpath
    assert [p.relative_to(VENDOR / "crds").as_posix() for p in crd_files()] == sorted(tool.load_lock()["crds"])


def _repacked(archive: bytes, mtime: int) -> bytes:
    """The same members, re-archived with other timestamps: what a re-packaging of a release looks like."""
    out = io.BytesIO()
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as source, \
            gzip.GzipFile(fileobj=out, mode="wb", mtime=mtime) as gz, tarfile.open(fileobj=gz, mode="w") as tar:
        for member in source.getmembers():
            data = source.extractfile(member).read() if member.isfile() else None
            member.mtime = mtime
            tar.addfile(member, io.BytesIO(data) if data is not None else None)
    return out.getvalue()


def test_chart_content_digest_ignores_packaging_but_not_content():
    archive = vendored(tool.chart_file("keda")).read_bytes()
    repacked = _repacked(archive, mtime=1)
    assert tool.sha256(repacked) != tool.sha256(archive)
    assert tool.chart_content_sha256(repacked) == tool.chart_content_sha256(archive)
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as source:
        members = [(m, source.extractfile(m).read() if m.isfile() else None) for m in source.getmembers()]
    edited = io.BytesIO()
    with tarfile.open(fileobj=edited, mode="w:gz") as tar:
        for member, data in members:
            if member.name.endswith("/values.yaml"):
                data = data.replace(b"replicaCount", b"replicaKount", 1)
                member.size = len(data)
            tar.addfile(member, io.BytesIO(data) if data is not None else None)
    assert tool.chart_content_sha256(edited.getvalue()) != tool.chart_content_sha256(archive)


def _mirror_of_vendor(tmp_path: Path) -> Path:
    mirror = tmp_path / "mirror"
    for artifact in tool.artifacts(tool.load_lock()):
        if "chart" not in artifact.lock:
            (mirror / artifact.relpath).parent.mkdir(parents=True, exist_ok=True)
            (mirror / artifact.relpath).symlink_to(vendored(artifact.relpath))
    return mirror


def test_vendor_copies_from_a_mirror_extracts_chart_crds_and_prunes(tmp_path, capsys):
    mirror, into = _mirror_of_vendor(tmp_path), tmp_path / "vendor"
    (into / "charts").mkdir(parents=True)
    (into / "charts" / "keda-0.0.1.tgz").write_bytes(b"stale")
    tool.vendor(mirror, into)
    for artifact in tool.artifacts(tool.load_lock()):
        assert artifact.mismatch((into / artifact.relpath).read_bytes()) is None, artifact.relpath
    assert not (into / "charts" / "keda-0.0.1.tgz").exists()
    assert "removed  charts/keda-0.0.1.tgz (not in the lock)" in capsys.readouterr().out
    tool.vendor(None, into)  # everything verified: nothing fetched, so no network needed
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(tool.artifacts(tool.load_lock())) and all(line.startswith("  ok ") for line in lines)


def test_vendor_refuses_a_tampered_or_missing_artifact_in_one_line(tmp_path, monkeypatch, capsys):
    mirror = _mirror_of_vendor(tmp_path)
    scaled_objects = mirror / "crds" / "keda" / "keda.sh_scaledobjects.yaml"
    text = scaled_objects.read_text()
    scaled_objects.unlink()
    scaled_objects.write_text(text.replace("pollingInterval", "pollingIntervall", 1))
    monkeypatch.setattr(tool, "VENDOR", tmp_path / "vendor")
    monkeypatch.setenv("BLUEPRINTS_MIRROR", str(mirror))
    assert tool.main([]) == 1
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("make vendor: crds/keda/keda.sh_scaledobjects.yaml from https://raw.githubusercontent.com/")
    assert "digest mismatch" in line
    scaled_objects.unlink()
    assert tool.main([]) == 1
    [line] = capsys.readouterr().err.splitlines()
    assert line == (f"make vendor: crds/keda/keda.sh_scaledobjects.yaml: not in the mirror {mirror}; copy it there, "
                    "or unset BLUEPRINTS_MIRROR to download it")


def test_a_missing_artifact_fails_the_test_saying_how_to_get_it():
    with pytest.raises(pytest.fail.Exception) as failure:
        vendored("charts/keda-0.0.1.tgz")
    assert str(failure.value) == f".vendor/charts/keda-0.0.1.tgz is missing: {HOW}"
    assert "make vendor" in HOW and "BLUEPRINTS_MIRROR" in HOW


_OUTSIDE = re.compile(r"\.\./shared|[\"']shared[\"']|parents\[\d+\]\s*/\s*[\"']shared")


def _sources() -> list[Path]:
    files = [ROOT / "Makefile", *(ROOT / ".ci").rglob("*")]
    for folder in ("tests", "blueprints", "policies", "tools"):
        files += [p for p in (ROOT / folder).rglob("*") if p.suffix in {".py", ".yaml", ".yml", ".csv", ".toml", ""}]
    return [p for p in files if p.is_file() and p != Path(__file__) and "__pycache__" not in p.parts]


def test_nothing_reads_the_workspace_beside_the_repository():
    """A user's clone has no ../shared: only `make vendor` may read a mirror, and only through BLUEPRINTS_MIRROR."""
    offenders = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
                 for path in _sources()
                 for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
                 if _OUTSIDE.search(line) and "BLUEPRINTS_MIRROR" not in line]
    assert offenders == []

