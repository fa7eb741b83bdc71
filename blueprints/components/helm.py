"""Third-party in-cluster software from its upstream Helm chart, at the version pinned in blueprints.versions."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from blueprints.versions import CHARTS


def chart_release(
    name: str, chart_key: str, namespace: str, values: dict[str, Any], opts: pulumi.ResourceOptions,
    release_name: str | None = None,
) -> k8s.helm.v3.Release:
    """One Helm release of a pinned chart. OCI charts are addressed by URL, classic ones through their repo.
    The release is named after the chart unless `release_name` is given (several releases of one chart)."""
    chart = CHARTS[chart_key]
    oci = chart.repository.startswith("oci://")
    return k8s.helm.v3.Release(
        name,
        name=release_name or chart_key,
        chart=f"{chart.repository}/{chart.chart}" if oci else chart.chart,
        repository_opts=None if oci else {"repo": chart.repository},
        version=chart.version,
        namespace=namespace,
        create_namespace=True,
        atomic=True,
        cleanup_on_fail=True,
        timeout=900,
        values=values,
        opts=opts,
    )
