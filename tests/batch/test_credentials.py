"""Rotated credentials reach the jobs API and the worker without a restart: the keys are files of a mounted Secret
that the kubelet replaces in place (an atomic swap of the `..data` symlink, as Kubernetes' AtomicWriter does)
after External Secrets refreshes it from Secrets Manager."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from blueprints.batch.api import create_app
from blueprints.batch.manifests import CREDENTIALS, CREDENTIALS_DIR, runtime_environment, workload_manifests
from blueprints.batch.queue import WorkQueue
from blueprints.batch.settings import Settings, env_name
from blueprints.batch.store import BatchStore
from blueprints.batch.worker import Upstream
from blueprints.presets import load_spec
from tests.batch.test_manifests import RESOURCES


def mount(directory: Path, files: dict[str, str], generation: int) -> None:
    """Write `files` the way the kubelet updates a Secret volume: a new timestamped directory, then `..data`
    switched to it by a rename, with each file a symlink through `..data`."""
    target = directory / f"..gen_{generation}"
    target.mkdir()
    for name, value in files.items():
        (target / name).write_text(value)
        if not (directory / name).is_symlink():
            (directory / name).symlink_to(Path("..data") / name)
    (directory / "..data_tmp").symlink_to(target.name)
    os.replace(directory / "..data_tmp", directory / "..data")


def test_the_api_accepts_a_rotated_key_without_a_restart(tmp_path: Path, worker_settings: Settings,
                                                         store: BatchStore, queue: WorkQueue) -> None:
    mount(tmp_path, {"api-keys": "first-key"}, 1)
    settings = replace(worker_settings, api_keys="", api_keys_file=str(tmp_path / "api-keys"))
    with TestClient(create_app(settings, store, queue), base_url="http://batch.test") as http:
        def status(key: str) -> int:
            return http.get("/v1/batches/batch_missing", headers={"Authorization": f"Bearer {key}"}).status_code

        assert (status("first-key"), status("second-key")) == (404, 401)
        mount(tmp_path, {"api-keys": "second-key\n"}, 2)
        assert (status("first-key"), status("second-key")) == (401, 404)


def test_the_worker_sends_the_rotated_key_and_falls_back_while_the_gateway_still_has_the_old_one(
        tmp_path: Path) -> None:
    accepted = {"old-master"}
    seen: list[str] = []

    def gateway(request: httpx.Request) -> httpx.Response:
        key = request.headers.get("authorization", "").removeprefix("Bearer ")
        seen.append(key)
        return httpx.Response(200 if key in accepted else 401, json={"ok": key in accepted})

    mount(tmp_path, {"upstream-api-key": "old-master"}, 1)
    settings = Settings(bucket="b", jobs_table="j", requests_table="r", queue_url="q", dlq_url="d",
                        upstream_url="http://gateway.test/v1", upstream_api_key_file=str(tmp_path / "upstream-api-key"))
    upstream = Upstream(settings, transport=httpx.MockTransport(gateway))
    try:
        assert upstream.post("/v1/chat/completions", {})[0] == 200 and seen == ["old-master"]
        mount(tmp_path, {"upstream-api-key": "new-master"}, 2)
        # The gateway has not restarted yet: the new key is refused, the previous one still works.
        assert upstream.post("/v1/chat/completions", {})[0] == 200 and seen[1:] == ["new-master", "old-master"]
        accepted = {"new-master"}
        assert upstream.post("/v1/chat/completions", {})[0] == 200 and seen[3:] == ["new-master"]
    finally:
        upstream.close()


def test_each_container_reads_only_its_own_credential_from_its_own_mounted_secret() -> None:
    spec = load_spec("internal-ai", "prod")
    deployments = [m for m in workload_manifests(spec, runtime_environment(spec, "http://gw/v1", RESOURCES),
                                                 image="x.dkr.ecr.us-east-1.amazonaws.com/b:1", region="us-east-1")
                   if m["kind"] == "Deployment"]
    assert {d["metadata"]["name"] for d in deployments} == set(CREDENTIALS)
    credential_variables = {env_name(field) for field, _, _ in CREDENTIALS.values()}
    for deployment in deployments:
        field, secret, key = CREDENTIALS[deployment["metadata"]["name"]]
        pod = deployment["spec"]["template"]["spec"]
        [container] = pod["containers"]
        env = {item["name"]: item for item in container["env"]}
        assert {name for name in env if name in credential_variables} == {env_name(field)}
        assert env[env_name(field)]["value"] == f"{CREDENTIALS_DIR}/{key}"
        assert not any("valueFrom" in item for item in container["env"])
        [mounted] = [m for m in container["volumeMounts"] if m["mountPath"] == CREDENTIALS_DIR]
        [volume] = [v for v in pod["volumes"] if v["name"] == mounted["name"]]
        # Not a subPath mount: the kubelet never updates those.
        assert volume["secret"]["secretName"] == secret and "subPath" not in mounted
        assert volume["secret"]["defaultMode"] & 0o040 and pod["securityContext"]["fsGroup"]
