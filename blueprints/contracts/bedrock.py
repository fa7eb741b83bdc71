"""Bedrock invocation contract over the planned graph: each model the gateway's LiteLLM config calls on Bedrock is
called the way Bedrock serves it, and the gateway's role may make that call wherever Bedrock may run it.

AWS rules encoded:
- A model Bedrock serves only through a cross-Region inference profile refuses its bare model ID ("Invocation of
  model ID ... with on-demand throughput isn't supported"); the caller names a profile that has the caller's Region
  as a source Region (docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-support.html).
- A call through a profile is authorized on the profile ARN and on the foundation-model ARN in the destination
  Region Bedrock picks, so the role needs the model in every destination Region
  (docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-prereq.html); the request then carries
  bedrock:InferenceProfileArn, which keeps the model callable only through the profile.
The gateway's role is the one its EKS Pod Identity association gives the service account of the pods that mount
the LiteLLM ConfigMap. IAM is evaluated here for the operators these policies use (StringEquals, StringLike).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator
from typing import Any

import yaml

from blueprints.catalog.hosted import HOSTED_MODELS, HostedModel, foundation_model_arn, inference_profile_arn
from blueprints.contracts.findings import as_list
from blueprints.contracts.iam import PolicyDocument, policy_documents
from blueprints.contracts.ports import ARTIFACT_ANNOTATION, LITELLM_CONFIG_KIND
from blueprints.engine.graph import ResourceGraph, ResourceRecord
from blueprints.gateway.bedrock import INVOKE_ACTIONS

PROFILE_KEY = "bedrock:InferenceProfileArn"
BY_MODEL_ID = {model.bedrock_model_id: model for model in HOSTED_MODELS.values()}


def allowed(document: PolicyDocument, action: str, resource: str, context: dict[str, str]) -> bool:
    """Whether an Allow statement of `document` grants `action` on `resource` to a request carrying `context`."""
    for statement in document.statements():
        if statement.get("Effect") != "Allow":
            continue
        if not any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in as_list(statement.get("Action", []))):
            continue
        if not any(fnmatch.fnmatchcase(resource, r) for r in as_list(statement.get("Resource", []))):
            continue
        if all(key in context and any(fnmatch.fnmatchcase(context[key], value) if operator == "StringLike"
                                      else context[key] == value for value in as_list(values))
               for operator, keys in statement.get("Condition", {}).items() for key, values in keys.items()):
            return True
    return False


def bedrock_contract_problems(graph: ResourceGraph) -> list[str]:
    """One line per Bedrock call of a gateway that Bedrock or IAM would refuse: resource, AWS rule, fix. System
    profiles are named in the role's own account."""
    problems = []
    documents = policy_documents(graph)
    for region, config_map, role in _gateways(graph):
        policy = [document for document in documents if document.type == "aws:iam/rolePolicy:RolePolicy"
                  and role is not None and _record(graph, document).inputs.get("role") == role.outputs.get("id")]
        account_id = str(role.outputs.get("arn", "")).split(":")[4] if role is not None else ""
        config = yaml.safe_load(config_map["data"]["config.yaml"])
        for entry in config.get("model_list") or []:
            model = str(entry["litellm_params"]["model"])
            if model.startswith("bedrock/"):
                where = f"{region} LiteLLM {entry['model_name']} ({model})"
                problems += [f"{where}: {problem}" for problem in
                             _call_problems(model.removeprefix("bedrock/"), region, account_id, policy)]
    return problems


def _call_problems(called: str, region: str, account_id: str, policy: list[PolicyDocument]) -> Iterator[str]:
    model: HostedModel | None = BY_MODEL_ID.get(called) or BY_MODEL_ID.get(called.partition(".")[2])
    if model is None:
        yield "not a model of blueprints/catalog/hosted.py; fix: add it with its invocation type and profiles"
        return
    profile = next((p for p in model.profiles if p.id == called), None)
    if model.invocation == "INFERENCE_PROFILE" and (profile is None or region not in profile.source_regions):
        yield (f"Bedrock serves {model.bedrock_model_id} only through an inference profile with {region} as a source "
               f"Region (on-demand throughput isn't supported); fix: call {model.invocation_id(region)}")
        return
    requests = [(foundation_model_arn(region, model.bedrock_model_id), {})]
    if profile is not None:
        profile_arn = inference_profile_arn(region, account_id, profile.id)
        requests = [(profile_arn, {})] + [(foundation_model_arn(where, model.bedrock_model_id),
                                           {PROFILE_KEY: profile_arn}) for where in profile.destination_regions]
    for resource, context in requests:
        refused = [action for action in INVOKE_ACTIONS
                   if not any(allowed(document, action, resource, context) for document in policy)]
        if refused:
            yield (f"the gateway role does not allow {', '.join(refused)} on {resource}"
                   + (" through the profile" if context else "")
                   + "; AWS authorizes a profile call on the profile and on the model in the Region it routes to; "
                     "fix: grant it (blueprints/gateway/bedrock.py invoke_grants)")


def _record(graph: ResourceGraph, document: PolicyDocument) -> ResourceRecord:
    return next(r for r in graph.of_type(document.type) if r.name == document.resource)


def _gateways(graph: ResourceGraph) -> Iterator[tuple[str, dict[str, Any], ResourceRecord | None]]:
    """(region, LiteLLM ConfigMap, the IAM role of the pods that mount it) per gateway."""
    workloads = [r for r in graph.resources if r.type.startswith("kubernetes:apps/v1:")]
    associations = graph.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
    roles = graph.of_type("aws:iam/role:Role")
    for record in graph.of_type("kubernetes:core/v1:ConfigMap"):
        metadata = record.inputs.get("metadata") or {}
        if (metadata.get("annotations") or {}).get(ARTIFACT_ANNOTATION) != LITELLM_CONFIG_KIND:
            continue
        namespace, name = metadata.get("namespace"), metadata.get("name")
        accounts = {_pod_spec(w).get("serviceAccountName") for w in workloads
                    if (w.inputs.get("metadata") or {}).get("namespace") == namespace
                    and any((v.get("configMap") or {}).get("name") == name for v in _pod_spec(w).get("volumes", []))}
        arns = {a.inputs.get("roleArn") for a in associations if a.region == record.region
                and a.inputs.get("namespace") == namespace and a.inputs.get("serviceAccount") in accounts}
        role = next((r for r in roles if r.outputs.get("arn") in arns), None)
        yield record.region or "", record.inputs, role


def _pod_spec(workload: ResourceRecord) -> dict[str, Any]:
    return ((workload.inputs.get("spec") or {}).get("template") or {}).get("spec") or {}
