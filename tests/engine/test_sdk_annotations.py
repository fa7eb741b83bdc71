"""The provider SDK modules loaded with deferred annotations (blueprints/engine/sdk_annotations.py) give the Pulumi
SDK the same types: its own readers (pulumi/_types.py `resource_types`, `input_type_types`, `output_type_types`,
which translate a resource's inputs and outputs) answer the same as over the modules loaded as usual."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_PROBE = """
import inspect, json, sys
from blueprints.engine import sdk_annotations
if sys.argv[1] == "deferred":
    sdk_annotations.install()
from pulumi import _types
import pulumi_aws.kms, pulumi_aws.s3, pulumi_kubernetes.core.v1
classes = {
    "resource": [pulumi_aws.kms.Key, pulumi_aws.s3.BucketServerSideEncryptionConfiguration,
                 pulumi_kubernetes.core.v1.ConfigMap, pulumi_kubernetes.core.v1.Service],
    "input": [pulumi_aws.s3.BucketServerSideEncryptionConfigurationRuleArgs,
              pulumi_kubernetes.core.v1.ServiceSpecArgs],
    "output": [pulumi_aws.s3.outputs.BucketServerSideEncryptionConfigurationRule,
               pulumi_kubernetes.core.v1.outputs.ServiceSpec],
}
readers = {"resource": _types.resource_types, "input": _types.input_type_types,
           "output": _types.output_type_types}
print(json.dumps({
    "annotation": type(inspect.get_annotations(pulumi_aws.kms.KeyArgs.__init__)["description"]).__name__,
    "types": {f"{kind} {cls.__module__}.{cls.__qualname__}": {name: repr(typ) for name, typ in
                                                             sorted(readers[kind](cls).items())}
              for kind, group in classes.items() for cls in group},
}))
"""


def _probe(mode: str) -> dict:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    done = subprocess.run([sys.executable, "-c", _PROBE, mode], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def test_deferred_annotations_give_the_pulumi_sdk_the_same_input_and_output_types():
    usual, deferred = _probe("usual"), _probe("deferred")
    assert usual["annotation"] != "str"  # evaluated when the module ran: `Optional[pulumi.Input[str]]`
    assert deferred["annotation"] == "str"  # the hook was in effect: it stayed a string
    assert all(usual["types"].values())  # every reader found the class's properties
    assert deferred["types"] == usual["types"]
