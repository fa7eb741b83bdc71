"""The series this platform's Prometheus holds, and a check that a PromQL expression reads only those.

Known series: what each exporter in blueprints.catalog.metrics emits, with the labels its scrape adds here (the
model servers' PodMonitors copy the pod labels `blueprints.io/model` and `blueprints.io/model-version`; the DCGM
exporter emits only the fields of blueprints.observability.dcgm), plus the series the platform's own recording
rules define. `problems(expr, known)` parses an expression with a real PromQL parser (promql-parser, the Rust
port of Prometheus' parser) and names every series nobody emits and every label a selector, grouping, matching
or label_replace reads that the series does not have.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import promql_parser as pp

from blueprints.catalog import metrics as catalog
from blueprints.observability import dcgm
from blueprints.spec import PlatformSpec

SERVED_MODEL_LABEL = catalog.prometheus_label("blueprints.io/model")
"""The model of a model-server series: the pod label `blueprints.io/model` its PodMonitor copies (the spec's model
name). blueprints.serving.manifests labels the pods and lists the label in podTargetLabels."""
SERVED_VERSION_LABEL = catalog.prometheus_label("blueprints.io/model-version")
GATEWAY_MODEL_LABEL = "requested_model"
"""The model of a gateway series: LiteLLM's model group, which is the spec's model name."""
MODEL_LABEL = "model"
"""The model in the platform's own recording rules and alerts."""
MODEL_SERVER_TARGET_LABELS = frozenset({SERVED_MODEL_LABEL, SERVED_VERSION_LABEL})
KSM_NODE_LABEL_KEYS = ("node.kubernetes.io/instance-type", "karpenter.sh/capacity-type", "karpenter.sh/nodepool")
"""Node labels kube-state-metrics copies onto `kube_node_labels` (its chart's `metricLabelsAllowlist`, which
blueprints.components.observability sets from this): what the cost rules price a node by."""


def ksm_node_label(key: str) -> str:
    """A node label key as kube-state-metrics v2.19.1 names it on kube_node_labels (internal/store/utils.go
    `labelName`: `label_` + the key sanitised and snake-cased)."""
    return "label_" + re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", catalog.prometheus_label(key)).lower()


@dataclass(frozen=True)
class Labels:
    names: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()
    """Label names made at run time (kube-state-metrics' `label_<key>`); "" = any label (unknown input)."""

    def has(self, name: str) -> bool:
        return name in self.names or name.startswith(self.prefixes)

    def __or__(self, other: Labels) -> Labels:
        return Labels(self.names | other.names, tuple(dict.fromkeys(self.prefixes + other.prefixes)))

    def without(self, names: Iterable[str]) -> Labels:
        return Labels(self.names - set(names), self.prefixes)


ANY = Labels(prefixes=("",))
NONE = Labels()


MODEL_SERVERS = {"trtllm-serve": catalog.TRTLLM_SERVE, "triton": catalog.TRITON}
"""serving.engine -> the exporter its pods are."""


def exporters(spec: PlatformSpec | None = None) -> tuple[catalog.Exporter, ...]:
    """The exporters a platform runs: the model server of its engine (with self-hosted models), the DCGM exporter
    (with GPU pools), and the gateway and cluster software. All of them when `spec` is None."""
    if spec is None:
        return catalog.EXPORTERS
    servers = {MODEL_SERVERS[spec.serving.engine]} if spec.self_hosted_models else set()
    absent = (set(MODEL_SERVERS.values()) - servers) | (set() if spec.cluster.gpu_pools else {catalog.DCGM_EXPORTER})
    if not retrieval_service(spec):
        absent.add(catalog.RETRIEVAL_SERVICE)
    if not spec.feedback.enabled:
        absent.add(catalog.FEEDBACK_SERVICE)
    return tuple(exporter for exporter in catalog.EXPORTERS if exporter not in absent)


def retrieval_service(spec: PlatformSpec) -> bool:
    """The retrieval service runs where retrieval is enabled on pgvector (blueprints.components.retrieval)."""
    return spec.retrieval.enabled and spec.retrieval.vector_store == "pgvector"


def exported_series(spec: PlatformSpec | None = None) -> dict[str, Labels]:
    """Sample name -> labels as stored, for every series the exporters of the platform (`spec`; None: any platform)
    emit as this project configures them: DCGM fields of our counters list only, no opt-in series."""
    extra = {catalog.TRTLLM_SERVE.name: MODEL_SERVER_TARGET_LABELS, catalog.TRITON.name: MODEL_SERVER_TARGET_LABELS}
    series: dict[str, Labels] = {}
    for exporter in exporters(spec):
        for metric in exporter.metrics:
            if metric.opt_in or (exporter is catalog.DCGM_EXPORTER and metric.name not in dcgm.emitted()):
                continue
            if metric.name == catalog.KSM_NODE_LABELS:  # its run-time labels: the allowlisted node labels
                allowed = frozenset(ksm_node_label(key) for key in KSM_NODE_LABEL_KEYS)
                metric = replace(metric, labels=metric.labels | allowed, label_prefixes=())
            for sample, labels in metric.samples().items():
                stored = exporter.stored_labels(labels, extra.get(exporter.name, frozenset()))
                series[sample] = Labels(stored, metric.label_prefixes)
    return series


Problems = list[str]


def _is_scalar(node: Any) -> bool:
    if isinstance(node, pp.NumberLiteral):
        return True
    if isinstance(node, (pp.ParenExpr, pp.UnaryExpr)):
        return _is_scalar(node.expr)
    if isinstance(node, pp.Call):
        return node.func.return_type == pp.ValueType.Scalar
    if isinstance(node, pp.BinaryExpr):
        return _is_scalar(node.lhs) and _is_scalar(node.rhs)
    return False


_KEEP_LABELS = {"topk", "bottomk", "limitk", "limit_ratio"}
_NO_LABELS = {"vector", "time", "scalar", "pi"}


class _Checker:
    def __init__(self, known: Mapping[str, Labels]):
        self.known = known
        self.problems: Problems = []

    def need(self, labels: Labels, name: str, where: str) -> None:
        if not labels.has(name):
            self.problems.append(f"{where}: the input has no label {name!r}")

    def selector(self, node: Any) -> Labels:
        name = node.name
        if name not in self.known:
            self.problems.append(f"{name}: no exporter of the platform emits it and no recording rule defines it")
            return ANY
        labels = self.known[name]
        for matcher in node.matchers.matchers:
            if matcher.name != "__name__" and not labels.has(matcher.name):
                self.problems.append(f"{name}{{{matcher.name}...}}: {name} has no label {matcher.name!r}")
        return labels

    def aggregate(self, node: Any) -> Labels:
        inner = self.labels(node.expr)
        if node.param is not None:
            self.labels(node.param)
        op, modifier = str(node.op), node.modifier
        grouping = list(modifier.labels) if modifier else []
        for label in grouping:
            self.need(inner, label, f"{op} by/without ({label})")
        if op in _KEEP_LABELS:
            return inner
        if modifier is None:
            return NONE
        if modifier.type == pp.AggModifierType.By:
            return Labels(frozenset(grouping))
        return inner.without(grouping)

    def call(self, node: Any) -> Labels:
        name, args = node.func.name, list(node.args)
        results = [self.labels(arg) for arg in args]
        if name in _NO_LABELS:
            return NONE
        if name == "label_replace":
            source = args[3].val
            if source:
                self.need(results[0], source, f"label_replace(..., {source!r})")
            return results[0] | Labels(frozenset({args[1].val}))
        if name == "label_join":
            for arg in args[3:]:
                self.need(results[0], arg.val, f"label_join(..., {arg.val!r})")
            return results[0] | Labels(frozenset({args[1].val}))
        if name == "histogram_quantile":
            self.need(results[1], "le", "histogram_quantile")
            return results[1].without({"le"})
        vectors = [result for arg, result in zip(args, results, strict=True)
                   if not isinstance(arg, (pp.StringLiteral, pp.NumberLiteral))]
        return vectors[0] if vectors else NONE

    def binary(self, node: Any) -> Labels:
        left, right = self.labels(node.lhs), self.labels(node.rhs)
        if _is_scalar(node.lhs):
            return right
        if _is_scalar(node.rhs):
            return left
        modifier, op = node.modifier, str(node.op)
        if modifier is not None and modifier.matching is not None:
            on = modifier.matching.type == pp.LabelModifierType.Include
            for label in modifier.matching.labels if on else ():
                self.need(left, label, f"{op} on ({label}) (left side)")
                self.need(right, label, f"{op} on ({label}) (right side)")
        if op == "or":
            return left | right
        if modifier is not None and modifier.card == pp.VectorMatchCardinality.ManyToOne:
            for label in modifier.group_labels:
                self.need(right, label, f"group_left ({label})")
            return left | Labels(frozenset(modifier.group_labels))
        if modifier is not None and modifier.card == pp.VectorMatchCardinality.OneToMany:
            for label in modifier.group_labels:
                self.need(left, label, f"group_right ({label})")
            return right | Labels(frozenset(modifier.group_labels))
        return left

    def labels(self, node: Any) -> Labels:
        """The label names the expression's result can have, recording every problem on the way."""
        if isinstance(node, pp.VectorSelector):
            return self.selector(node)
        if isinstance(node, pp.MatrixSelector):
            return self.selector(node.vector_selector)
        if isinstance(node, (pp.ParenExpr, pp.UnaryExpr, pp.SubqueryExpr)):
            return self.labels(node.expr)
        if isinstance(node, pp.AggregateExpr):
            return self.aggregate(node)
        if isinstance(node, pp.Call):
            return self.call(node)
        if isinstance(node, pp.BinaryExpr):
            return self.binary(node)
        return NONE


def analyse(expr: str, known: Mapping[str, Labels]) -> tuple[Labels, Problems]:
    """The result's labels and the problems of one expression; an expression that does not parse is a problem."""
    try:
        tree = pp.parse(expr)
    except ValueError as error:
        return ANY, [f"does not parse: {error}"]
    checker = _Checker(known)
    return checker.labels(tree), checker.problems


def problems(expr: str, known: Mapping[str, Labels]) -> Problems:
    return analyse(expr, known)[1]


def with_recorded(rule_files: Iterable[Mapping[str, Any]], known: Mapping[str, Labels]) -> dict[str, Labels]:
    """`known` plus the series the recording rules of these rule files define (in evaluation order), each with
    the labels its expression keeps and the labels the rule sets."""
    result = dict(known)
    for file in rule_files:
        for group in file["groups"]:
            for rule in group["rules"]:
                if "record" in rule:
                    labels, _ = analyse(rule["expr"], result)
                    labels |= Labels(frozenset(rule.get("labels") or {}))
                    previous = result.get(rule["record"])
                    result[rule["record"]] = previous | labels if previous else labels
    return result


def rule_problems(rule_files: Iterable[Mapping[str, Any]], known: Mapping[str, Labels]) -> Problems:
    """Every problem of every rule's expression, prefixed with the rule's name."""
    files = list(rule_files)
    everything = with_recorded(files, known)
    found = []
    for file in files:
        for group in file["groups"]:
            for rule in group["rules"]:
                name = rule.get("record") or rule.get("alert")
                found += [f"{group['name']}/{name}: {problem}" for problem in problems(rule["expr"], everything)]
    return found
