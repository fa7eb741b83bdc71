"""Evaluate the CEL rules of a CRD schema (`x-kubernetes-validations`) the way the API server does on create, with a
real CEL runtime (cel-expr-python, the CEL C++ runtime).

The environment mirrors the Kubernetes 1.33 CRD validation environment (k8s.io/apiserver/pkg/cel/environment/
base.go): the CEL standard library and macros, the strings extension at version 2 and, written here, the
Kubernetes regex library (k8s.io/apiserver/pkg/cel/library/regex.go: find, findAll). Survey of the rules of the
pinned CRDs (.vendor/crds), function -> kinds whose rules call it:
  standard: has, size, all, exists, filter (EC2NodeClass, NodePool, HTTPRoute, Gateway, SecurityPolicy, ScaledObject,
            Prometheus, SecretStore, ... 24 kinds); exists_one (Gateway, GRPCRoute, HTTPRoute, InferencePool,
            AIGatewayRoute); matches (EC2NodeClass, Gateway, GRPCRoute, HTTPRoute, EnvoyProxy, GatewayConfig);
            startsWith, endsWith, contains (EC2NodeClass, NodePool, NodeClaim, HTTPRoute); int (NodePool,
            NodeClaim); duration (HTTPRoute, BackendTrafficPolicy, ClientTrafficPolicy, EnvoyProxy, ...)
  strings extension: split (EC2NodeClass, Gateway); lowerAscii (SecurityPolicy, BackendSecurityPolicy);
            upperAscii (SecurityPolicy, BackendTrafficPolicy, EnvoyProxy)
  Kubernetes regex library: find (NodePool, NodeClaim, EC2NodeClass: restricted label domains, AMI alias family)
None of quantity, url, ip, cidr, format, lists or sets is called by a pinned CRD.
tests/test_schemas.py compiles every rule of every pinned CRD, so a rule needing a function missing here fails there.
No allowlist: a rule that does not compile or errors at run time is a validation error.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from functools import cache
from typing import Any

from cel_expr_python import cel
from cel_expr_python.ext import ext_strings
from google.protobuf import timestamp_pb2

_RESERVED = {"true", "false", "null", "in", "as", "break", "const", "continue", "else", "for", "function", "if",
             "import", "let", "loop", "package", "namespace", "return", "var", "void", "while"}
_ESCAPES = {"__": "__underscores__", ".": "__dot__", "-": "__dash__", "/": "__slash__"}
_ESCAPABLE = re.compile(r"[a-zA-Z_.\-/][a-zA-Z0-9_.\-/]*")


class CelRuleError(Exception):
    """A rule that does not compile in the Kubernetes CEL environment."""


def escape(name: str) -> str | None:
    """A property name as CEL sees it, or None when CEL cannot address it
    (https://kubernetes.io/docs/reference/using-api/cel/#escaping)."""
    if name in _RESERVED:
        return f"__{name}__"
    if not _ESCAPABLE.fullmatch(name):
        return None
    return re.sub(r"__|[.\-/]", lambda m: _ESCAPES[m.group(0)], name)


def _find(text: str, pattern: str) -> str:
    match = re.search(pattern, text)
    return match.group(0) if match else ""


def _find_all(text: str, pattern: str) -> list[str]:
    return [m.group(0) for m in re.finditer(pattern, text)]


def _find_n(text: str, pattern: str, limit: int) -> list[str]:
    found = _find_all(text, pattern)
    return found if limit < 0 else found[:limit]


_REGEX_LIBRARY = [
    cel.FunctionDecl("find", [cel.Overload("string_find_string", cel.Type.STRING, [cel.Type.STRING, cel.Type.STRING],
                                           is_member=True, impl=_find)]),
    cel.FunctionDecl("findAll", [
        cel.Overload("string_find_all_string", cel.Type.List(cel.Type.STRING), [cel.Type.STRING, cel.Type.STRING],
                     is_member=True, impl=_find_all),
        cel.Overload("string_find_all_string_int", cel.Type.List(cel.Type.STRING),
                     [cel.Type.STRING, cel.Type.STRING, cel.Type.INT], is_member=True, impl=_find_n)]),
]
"""k8s.io/apiserver/pkg/cel/library/regex.go (v0.33): Python `re` stands in for RE2 here; the pinned CRDs' patterns
(`^([^/]+)`) mean the same in both."""


@cache
def _env(transition: bool) -> cel.Env:
    variables = {"self": cel.Type.DYN} | ({"oldSelf": cel.Type.DYN} if transition else {})
    return cel.NewEnv(variables=variables, extensions=[ext_strings.ExtStrings(version=2)], functions=_REGEX_LIBRARY)


@cache
def compile_rule(expression: str) -> tuple[cel.Expression, bool]:
    """(program, is a transition rule): a transition rule references oldSelf."""
    try:
        return _env(False).compile(expression), False
    except RuntimeError as error:
        if "undeclared reference to 'oldSelf" not in str(error):
            raise CelRuleError(f"rule {expression!r} does not compile: {error}") from None
    try:
        return _env(True).compile(expression), True
    except RuntimeError as error:
        raise CelRuleError(f"rule {expression!r} does not compile: {error}") from None


def to_cel(value: Any, schema: dict[str, Any]) -> Any:
    """A JSON value as the API server hands it to CEL: object properties under their escaped names (unknown and
    unaddressable ones dropped), `number` as double, `byte` strings as bytes, `date-time` strings as timestamps."""
    if isinstance(value, dict):
        if "properties" in schema:
            props = schema["properties"]
            return {escaped: to_cel(v, props[k]) for k, v in value.items()
                    if k in props and (escaped := escape(k)) is not None}
        items = schema.get("additionalProperties")
        return {k: to_cel(v, items if isinstance(items, dict) else {}) for k, v in value.items()}
    if isinstance(value, list):
        return [to_cel(v, schema.get("items", {})) for v in value]
    if schema.get("type") == "number" and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str) and schema.get("type") == "string":
        if schema.get("format") == "byte":
            return base64.b64decode(value)
        if schema.get("format") == "date-time":
            stamp = timestamp_pb2.Timestamp()
            stamp.FromJsonString(value)
            return stamp
    return value


def _message(rule: dict[str, Any], value: Any) -> str:
    if "messageExpression" in rule:
        result = compile_rule(rule["messageExpression"])[0].eval(data={"self": value})
        if result.type().name() == "STRING" and result.plain_value().strip():
            return result.plain_value()
    return rule.get("message") or f"failed rule: {rule['rule']}"


def rule_errors(rules: list[dict[str, Any]], value: Any, schema: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(fieldPath, message) for each rule the value breaks on create. Transition rules (oldSelf) are skipped as
    the API server skips them on create; a rule that does not compile is an error too."""
    self_value = to_cel(value, schema)
    for rule in rules:
        try:
            program, transition = compile_rule(rule["rule"])
        except CelRuleError as error:
            yield rule.get("fieldPath", ""), str(error)
            continue
        if transition and rule.get("optionalOldSelf"):
            yield rule.get("fieldPath", ""), (f"rule {rule['rule']!r}: optionalOldSelf rules run on create with "
                                              "an absent oldSelf, which this environment does not provide")
        if transition:
            continue
        result = program.eval(data={"self": self_value})
        kind = result.type().name()
        if kind == "BOOL" and result.plain_value():
            continue
        if kind == "BOOL":
            yield rule.get("fieldPath", ""), _message(rule, self_value)
        else:
            yield rule.get("fieldPath", ""), f"rule {rule['rule']!r}: {result.plain_value()}"


def schema_rule_errors(schema: dict[str, Any], value: Any, path: str = "") -> Iterator[str]:
    """'<path>: <message>' for every x-kubernetes-validations rule, at every level of the schema, that the value
    breaks. Rules run only where the value is present, as in the API server."""
    if value is None:
        return
    for field_path, message in rule_errors(schema.get("x-kubernetes-validations", []), value, schema):
        yield f"{(path + field_path).lstrip('.')}: {message}"
    if isinstance(value, dict):
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, child in value.items():
            child_schema = props.get(key, extra if isinstance(extra, dict) else None)
            if child_schema is not None:
                yield from schema_rule_errors(child_schema, child, f"{path}.{key}".lstrip("."))
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, child in enumerate(value):
            yield from schema_rule_errors(schema["items"], child, f"{path}.{index}")


@cache
def _matcher() -> cel.Expression:
    return cel.NewEnv(variables={"text": cel.Type.STRING, "pattern": cel.Type.STRING}).compile("text.matches(pattern)")


def re2_search(text: str, pattern: str) -> bool | str:
    """CEL's `matches` (RE2, the regex dialect of OpenAPI `pattern` in the API server): True/False, or the error
    text when the pattern is not valid RE2."""
    result = _matcher().eval(data={"text": text, "pattern": pattern})
    return result.plain_value() if result.type().name() == "BOOL" else str(result.plain_value())
