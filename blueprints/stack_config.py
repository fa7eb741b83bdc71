"""The one reader of a stack config file, `stacks/Pulumi.<stack>.yaml`, for every command that takes `--stack`.

Wrong input never silently becomes another deployment: a misspelt `llm-platform:` key, a key outside `config:`,
an empty value or a file that is not UTF-8 YAML is an error naming the file, the key and what is allowed, instead
of falling back to defaults (a misspelt `environment` used to plan dev).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from blueprints.catalog.providers import PROVIDER_FACTS
from blueprints.errors import BlueprintError, shorten
from blueprints.gateway.sso import CLIENT_SECRET_CONFIG_KEY
from blueprints.presets import ENVIRONMENTS

PROJECT = "llm-platform"
# Keys of the `llm-platform:` namespace: what the program reads (blueprints/program.py) plus `residency`, which the
# policy packs read from stack config (policies/lib/blueprints_policies/context.py).
STACK_KEYS = ("preset", "environment", "regions", "overrides", "residency",
              *(facts.config_key for facts in PROVIDER_FACTS.values()), CLIENT_SECRET_CONFIG_KEY)
"""...and the hosted providers' keys and the SSO client's secret (secrets: `pulumi config set --secret`;
blueprints/catalog/providers.py, blueprints/gateway/sso.py)."""
# Top-level keys of a stack file: pulumi's ProjectStack (sdk/go/common/workspace/project.go, pulumi v3).
FILE_KEYS = ("config", "secretsprovider", "encryptedkey", "encryptionsalt", "environment")


def read_text(path: Path) -> str:
    """The file as UTF-8 text; other encodings (UTF-16 from Windows editors) are refused."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise BlueprintError(f"{path}: not UTF-8 text (saved as UTF-16? stack files are UTF-8 YAML)") from None


def yaml_problem(path: Path, error: Exception) -> BlueprintError:
    """One line for a YAML syntax error (PyYAML or ruamel): where, and the usual cause."""
    mark = getattr(error, "problem_mark", None)
    where = f" line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    hint = " (YAML indents with spaces, not tabs)" if "\\t" in problem or "\t" in problem else ""
    return BlueprintError(f"{path}:{where}: not valid YAML: {problem}{hint}")


def load_document(path: Path) -> dict[str, Any]:
    try:
        document = yaml.safe_load(read_text(path))
    except yaml.YAMLError as error:
        raise yaml_problem(path, error) from None
    return check_document(path, document)


def check_document(path: Path, document: Any) -> dict[str, Any]:
    """The `llm-platform:` settings of a parsed stack file, short keys; every other key must be pulumi's own."""
    if not isinstance(document, Mapping):
        raise BlueprintError(f"{path}: expected a mapping with a `config:` mapping (got {type(document).__name__})")
    for key in document:
        if key not in FILE_KEYS:
            inside = " (stack settings go under `config:`)" if str(key).startswith(f"{PROJECT}:") else ""
            raise BlueprintError(f"{path}: unknown top-level key {shorten(str(key))!r}{inside} "
                                 f"(allowed: {', '.join(FILE_KEYS)})")
    config = document.get("config") or {}
    if not isinstance(config, Mapping):
        raise BlueprintError(f"{path}: `config` must be a mapping of keys (got {shorten(repr(config))})")
    check_keys(config, str(path))
    settings = {}
    for key, value in config.items():
        namespace, _, short = str(key).partition(":")
        if namespace != PROJECT:
            continue
        if value is None or value == "" or value == [] or value == {}:
            raise BlueprintError(f"{path}: config {key} is empty (give a value or remove the key)")
        settings[short] = value
    for key, kind, what in (("preset", str, "a name"), ("environment", str, "a name"),
                            ("regions", list, "a list of regions"), ("overrides", Mapping, "a mapping of spec fields")):
        if key in settings and not isinstance(settings[key], kind):
            raise BlueprintError(f"{path}: config {PROJECT}:{key} must be {what} (got {shorten(repr(settings[key]))})")
    if settings.get("environment", "dev") not in ENVIRONMENTS:
        raise BlueprintError(f"{path}: config {PROJECT}:environment: unknown environment "
                             f"{shorten(repr(settings['environment']))} (allowed: {', '.join(ENVIRONMENTS)})")
    if "preset" not in settings:
        raise BlueprintError(f"{path}: config {PROJECT}:preset is not set")
    return settings


def check_keys(keys: Iterable[str], where: str) -> None:
    """Every key of our namespace must be one we read."""
    for key in keys:
        namespace, _, short = str(key).partition(":")
        if namespace == PROJECT and short not in STACK_KEYS:
            allowed = ", ".join(f"{PROJECT}:{k}" for k in STACK_KEYS)
            raise BlueprintError(f"{where}: unknown config key {shorten(str(key))!r} (allowed: {allowed})")
