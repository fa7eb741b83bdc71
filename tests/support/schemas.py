"""Validate generated Kubernetes objects with the real schemas: kubernetes-validate for built-in kinds (strict:
unknown fields are errors) and, for custom resources, the upstream CRD schemas pinned in blueprints/upstream.lock.yaml
(read through tests/support/vendor.py)."""

from __future__ import annotations

import base64
import binascii
import copy
import json
import re
from collections.abc import Callable
from datetime import datetime
from functools import cache, partial
from ipaddress import IPv4Address, IPv6Address
from typing import Any

import jsonschema
import yaml
from kubernetes_validate.utils import schema_contents
from referencing import Registry, Resource

from blueprints.versions import KUBERNETES_VERSION
from tests.support.cel import re2_search, schema_rule_errors
from tests.support.objectmeta import metadata_problems
from tests.support.vendor import VENDOR, crd_files

CRDS_DIR = VENDOR / "crds"
_STRING = {"type": "string"}


@cache
def crd_schemas() -> dict[tuple[str, str, str], dict[str, Any]]:
    """(group, version, kind) -> openAPIV3Schema of every served version of every CRD file."""
    schemas = {}
    for path in crd_files():
        crd = yaml.load(path.read_text(), Loader=yaml.CSafeLoader)  # libyaml: 10x faster on the large CRDs
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            if version.get("served"):
                schemas[(group, version["name"], kind)] = version["schema"]["openAPIV3Schema"]
    return schemas


def validate_manifest(manifest: dict[str, Any]) -> list[str]:
    """Problems with one object; [] when valid. Custom resources need their CRD in the lock."""
    api_version, kind = manifest["apiVersion"], manifest["kind"]
    group, _, version = api_version.rpartition("/")
    if (group, version, kind) in crd_schemas():
        return custom_resource_errors(manifest, (group, version, kind))
    if "." in group and not group.endswith(".k8s.io"):
        return [f"{kind} {api_version}: no CRD schema in {CRDS_DIR}"]
    validator = _builtin_validator(kind, api_version)
    if validator is None:
        return [f"{kind} {api_version}: not a Kubernetes {KUBERNETES_VERSION} kind and no CRD schema in {CRDS_DIR}"]
    prefix = f"{kind}/{manifest['metadata'].get('name')}"
    return ([f"{prefix}: {'.'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(manifest)]
            + [f"{prefix}: metadata.{'.'.join(path)}: {problem}"
               for path, problem in metadata_problems(manifest["metadata"], custom_resource=False)])


def custom_resource_errors(manifest: dict[str, Any], key: tuple[str, str, str]) -> list[str]:
    """What `kubectl apply --validate=strict` and the API server say about a custom resource on create: defaults
    applied and non-nullable nulls pruned first, then the structural schema with unknown fields as errors
    (`unknown field "spec.x"`), then the CRD's CEL rules."""
    prefix = f"{manifest['kind']}/{manifest['metadata'].get('name')}"
    schema = crd_schemas()[key]
    obj = defaulted(manifest, schema)
    errors = [f"{prefix}: {'.'.join(map(str, e.path))}: {e.message}" for e in _strict_validator(key).iter_errors(obj)]
    return errors + [f"{prefix}: {problem}" for problem in schema_rule_errors(schema, obj)]


def defaulted(value: Any, schema: dict[str, Any]) -> Any:
    """A copy with the schema's defaults applied and nulls of non-nullable fields pruned, as the API server does
    before validating (k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting)."""
    if isinstance(value, dict):
        props, extra = schema.get("properties", {}), schema.get("additionalProperties")
        out = {}
        for key, child in value.items():
            child_schema = props.get(key, extra if isinstance(extra, dict) else {})
            if child is None and not child_schema.get("nullable"):
                continue
            out[key] = defaulted(child, child_schema)
        for key, child_schema in props.items():
            if key not in out and "default" in child_schema:
                out[key] = defaulted(copy.deepcopy(child_schema["default"]), child_schema)
        return out
    if isinstance(value, list):
        return [defaulted(item, schema.get("items", {})) for item in value]
    return value


def _structural(node: dict[str, Any], root: bool = False) -> dict[str, Any]:
    """The schema with structural-schema rules made explicit for jsonschema: objects accept only their declared
    properties unless they preserve unknown fields or declare additionalProperties; the root and embedded
    resources take apiVersion, kind and ObjectMeta-checked metadata."""
    out = dict(node)
    if "properties" in node:
        out["properties"] = {key: _structural(child) for key, child in node["properties"].items()}
    if isinstance(node.get("additionalProperties"), dict):
        out["additionalProperties"] = _structural(node["additionalProperties"])
    if isinstance(node.get("items"), dict):
        out["items"] = _structural(node["items"])
    if root or node.get("x-kubernetes-embedded-resource"):
        declared = node.get("properties", {})
        out["properties"] = {**out.get("properties", {}), "apiVersion": _STRING, "kind": _STRING,
                             "metadata": {**declared.get("metadata", {}), "x-object-meta": True}}
    is_object = node.get("type") == "object" or "properties" in node
    if is_object and "additionalProperties" not in node and not node.get("x-kubernetes-preserve-unknown-fields"):
        out["additionalProperties"] = False
    return out


def _unknown_fields(validator, allowed, instance, schema):
    if allowed is False and isinstance(instance, dict):
        for key in instance.keys() - schema.get("properties", {}).keys():
            yield jsonschema.ValidationError(f'unknown field "{key}"')
    elif allowed is not False:
        yield from jsonschema.Draft4Validator.VALIDATORS["additionalProperties"](validator, allowed, instance, schema)


def _int_or_string(validator, enabled, instance, schema):
    if enabled and (isinstance(instance, bool) or not isinstance(instance, int | str)):
        yield jsonschema.ValidationError(f"{instance!r} is neither an integer nor a string")


def _re2_pattern(validator, pattern, instance, schema):
    if isinstance(instance, str):
        matched = re2_search(instance, pattern)
        if matched is not True:
            yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}"
                                             + (f" ({matched})" if isinstance(matched, str) else ""))


def _list_type(validator, list_type, instance, schema):
    """`x-kubernetes-list-type`: set items and map keys must be unique (the API server says `Duplicate value`)."""
    if not isinstance(instance, list) or list_type not in ("set", "map"):
        return
    keys = schema.get("x-kubernetes-list-map-keys", [])
    seen: set[str] = set()
    for index, item in enumerate(instance):
        identity = item if list_type == "set" or not isinstance(item, dict) else {k: item.get(k) for k in keys}
        text = json.dumps(identity, sort_keys=True)
        if text in seen:
            yield jsonschema.ValidationError(f"Duplicate value: {text}", path=[index])
        seen.add(text)


def _object_meta(validator, enabled, instance, schema):
    if enabled:
        yield from _object_meta_validator().iter_errors(instance)
        if isinstance(instance, dict):
            for path, problem in metadata_problems(instance, custom_resource=True):
                yield jsonschema.ValidationError(problem, path=path)


def _nullable(check):
    """A keyword check that passes null where the schema says `nullable: true`."""
    def wrapped(validator, value, instance, schema):
        if instance is None and schema.get("nullable"):
            return
        yield from check(validator, value, instance, schema) or ()
    return wrapped


_StrictValidator = jsonschema.validators.extend(jsonschema.Draft4Validator, {
    keyword: _nullable(check) for keyword, check in {
        **jsonschema.Draft4Validator.VALIDATORS, "additionalProperties": _unknown_fields, "pattern": _re2_pattern,
        "x-kubernetes-int-or-string": _int_or_string, "x-kubernetes-list-type": _list_type,
        "x-object-meta": _object_meta}.items()})
"""Draft 4 (the API server's OpenAPI v3 subset) with its `pattern` in RE2, unknown fields reported as kubectl does,
int-or-string, nullable and list types honoured, and metadata checked against the Kubernetes ObjectMeta schema."""

_PARSERS: dict[str, tuple[Callable[[str], object], type[Exception]]] = {
    "byte": (lambda value: base64.b64decode(value, validate=True), binascii.Error),
    "date-time": (lambda value: datetime.fromisoformat(value.replace("Z", "+00:00")), ValueError),
    "ipv4": (IPv4Address, ValueError),
    "ipv6": (IPv6Address, ValueError),
}
"""The string formats the pinned CRDs use, which the API server checks (it ignores numeric ones such as int64)."""


def _parses(parse: Callable[[str], object], value: object) -> bool:
    if isinstance(value, str):
        parse(value)
    return True


_FORMATS = jsonschema.FormatChecker(())
for _name, (_parse, _error) in _PARSERS.items():
    _FORMATS.checks(_name, raises=_error)(partial(_parses, _parse))


@cache
def _strict_validator(key: tuple[str, str, str]) -> jsonschema.protocols.Validator:
    return _StrictValidator(_structural(crd_schemas()[key], root=True), format_checker=_FORMATS)


_BUILTIN_SCHEMAS = f"kubernetes-json-schema/v{KUBERNETES_VERSION}.0-local-strict"
"""kubernetes-validate's bundled OpenAPI schemas of the pinned Kubernetes version, strict: unknown fields are errors
(what `kubernetes_validate.validate(..., strict=True)` reads; loaded once here instead of on every call)."""


@cache
def _builtin_definitions() -> Resource:
    return Resource.from_contents(schema_contents(f"{_BUILTIN_SCHEMAS}/_definitions.json", KUBERNETES_VERSION))


@cache
def _builtin_schema_validator(filename: str) -> jsonschema.protocols.Validator | None:
    try:
        schema = schema_contents(f"{_BUILTIN_SCHEMAS}/{filename}", KUBERNETES_VERSION)
    except FileNotFoundError:
        return None
    registry = _builtin_definitions() @ (Resource.from_contents(schema) @ Registry())
    return jsonschema.Draft202012Validator(schema, registry=registry)


def _builtin_validator(kind: str, api_version: str) -> jsonschema.protocols.Validator | None:
    """The schema of a built-in kind, named as kubernetes-validate names it (`apps/v1` -> `apps-v1`,
    `networking.k8s.io/v1` -> `networking-v1`); None for no such kind."""
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    return _builtin_schema_validator(f"{kind.lower()}-{group_version}.json")


def _object_meta_validator() -> jsonschema.protocols.Validator:
    """ObjectMeta of the pinned Kubernetes version, strict."""
    validator = _builtin_schema_validator("objectmeta-meta-v1.json")
    assert validator is not None
    return validator
