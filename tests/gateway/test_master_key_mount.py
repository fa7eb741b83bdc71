"""The rendered gateway reads its master key from a mounted Secret on each request (master_key_auth.py), so that a
rotation synced by External Secrets reaches running pods: the real proxy proves the hook on the rendered ConfigMap
(tests/access/test_db_gateway.py); here, that the Deployment mounts the synced Secret where the hook reads it."""

from __future__ import annotations

import posixpath

import pytest
import yaml

from blueprints.engine.graph import ResourceGraph
from blueprints.gateway.litellm_config import MASTER_KEY_AUTH_MODULE
from blueprints.gateway.manifests import CONFIG_KEY, NAMESPACE
from blueprints.gateway.master_key_auth import KEY_FILE_VARIABLE
from blueprints.render import kubernetes_object
from tests.support.schemas import validate_manifest


def _object(graph: ResourceGraph, kind: str, name: str) -> dict:
    return next(obj for obj in map(kubernetes_object, (r for r in graph.resources if r.type.endswith(f":{kind}")))
                if obj.get("metadata", {}).get("namespace") == NAMESPACE and obj["metadata"]["name"] == name)


@pytest.mark.parametrize("preset", ["enterprise-assistant", "regulated-industry"])
def test_the_master_key_hook_reads_the_synced_secret_mounted_as_a_refreshed_volume(graph_of, preset: str) -> None:
    graph = graph_of(preset, "prod")
    config_map = _object(graph, "ConfigMap", "litellm-config")
    settings = yaml.safe_load(config_map["data"][CONFIG_KEY])["general_settings"]
    module = settings["custom_auth"].split(".")[0]
    assert module == MASTER_KEY_AUTH_MODULE and f"{module}.py" in config_map["data"]
    # auto: only the master key is the hook's; virtual keys go to LiteLLM's own checks.
    assert settings["custom_auth_settings"] == {"mode": "auto"}

    deployment = _object(graph, "Deployment", "litellm")
    assert validate_manifest(deployment) == []
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    key_file = next(env["value"] for env in container["env"] if env["name"] == KEY_FILE_VARIABLE)
    directory, file_name = posixpath.split(key_file)
    mount = next(m for m in container["volumeMounts"] if m["mountPath"] == directory)
    assert "subPath" not in mount  # subPath mounts are never refreshed by the kubelet
    volume = next(v for v in pod["volumes"] if v["name"] == mount["name"])
    synced = next(obj for obj in map(kubernetes_object, graph.of_type(
        "kubernetes:external-secrets.io/v1:ExternalSecret")) if obj["metadata"]["namespace"] == NAMESPACE
        and obj["spec"]["target"]["name"] == volume["secret"]["secretName"])
    assert file_name in {item["secretKey"] for item in synced["spec"]["data"]}
    # fsGroup owns the projected files: group-readable for the non-root proxy.
    assert volume["secret"]["defaultMode"] & 0o040 and pod["securityContext"]["fsGroup"]
