"""Facts with sources: GPU families, EC2 instance types and prices, model architectures, hosted-API prices."""

from blueprints.catalog.gpus import GPUS, PRECISIONS, Gpu, Precision, gpu_named
from blueprints.catalog.hosted import HOSTED_MODELS, HostedModel, hosted_named
from blueprints.catalog.instances import (
    CAPACITY_TYPES,
    HOURS_PER_MONTH,
    INSTANCES,
    CapacityType,
    InstanceType,
    instance_named,
    instances_for,
)
from blueprints.catalog.models import MODELS, ModelArch, kv_bytes_per_token, model_named, weight_bytes

__all__ = [
    "CAPACITY_TYPES",
    "GPUS",
    "HOSTED_MODELS",
    "HOURS_PER_MONTH",
    "INSTANCES",
    "MODELS",
    "PRECISIONS",
    "CapacityType",
    "Gpu",
    "HostedModel",
    "InstanceType",
    "ModelArch",
    "Precision",
    "gpu_named",
    "hosted_named",
    "instance_named",
    "instances_for",
    "kv_bytes_per_token",
    "model_named",
    "weight_bytes",
]
