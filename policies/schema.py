"""A small OpenAPI v3 (structural schema) validator: the subset Kubernetes CRDs use.

Kept here rather than pulled from a JSON Schema library so that the Tenant CRD's schema — the one
kube-apiserver enforces — is also what lint and the webhook's static mode enforce, with errors that
name the field the way kubectl does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from tenantguard.policies.paths import Path, dotted

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
}


def validate(value: Any, schema: Mapping[str, Any], path: Path = ()) -> list[str]:
    """Every problem in `value` against `schema`, as `field.path: reason` lines."""
    problems: list[str] = []
    _check(value, schema, path, problems)
    return problems


def _where(path: Path) -> str:
    return dotted(path) or "<root>"


def _check(value: Any, schema: Mapping[str, Any], path: Path, out: list[str]) -> None:
    expected = schema.get("type")
    if expected is not None:
        ok = isinstance(value, _TYPES[expected]) and not (expected in ("integer", "number") and isinstance(value, bool))
        if not ok:
            out.append(f"{_where(path)}: must be {expected}, got {_describe(value)}")
            return
    if "enum" in schema and value not in schema["enum"]:
        allowed = ", ".join(repr(v) for v in schema["enum"])
        out.append(f"{_where(path)}: must be one of {allowed}, got {value!r}")
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            out.append(f"{_where(path)}: {value!r} does not match {schema['pattern']}")
        if len(value) < schema.get("minLength", 0):
            out.append(f"{_where(path)}: must not be empty")
        if len(value) > schema.get("maxLength", len(value)):
            out.append(f"{_where(path)}: longer than {schema['maxLength']} characters")
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    if numeric and "minimum" in schema and value < schema["minimum"]:
        out.append(f"{_where(path)}: must be >= {schema['minimum']}, got {value}")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            out.append(f"{_where(path)}: needs at least {schema['minItems']} item(s)")
        if len(value) > schema.get("maxItems", len(value)):
            out.append(f"{_where(path)}: more than {schema['maxItems']} item(s)")
        if schema.get("x-kubernetes-list-type") == "set" and len({repr(v) for v in value}) != len(value):
            out.append(f"{_where(path)}: duplicate entries")
        if schema.get("x-kubernetes-list-type") == "map":
            _duplicate_keys(value, schema.get("x-kubernetes-list-map-keys", ()), path, out)
        items = schema.get("items")
        if items:
            for i, item in enumerate(value):
                _check(item, items, (*path, i), out)
    if isinstance(value, dict):
        if len(value) > schema.get("maxProperties", len(value)):
            out.append(f"{_where(path)}: more than {schema['maxProperties']} entries")
        props: Mapping[str, Any] = schema.get("properties", {})
        for key in schema.get("required", ()):
            if key not in value:
                out.append(f"{_where((*path, key))}: required")
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if key in props:
                _check(item, props[key], (*path, key), out)
            elif isinstance(extra, Mapping):
                _check(item, extra, (*path, key), out)
            elif props and not schema.get("x-kubernetes-preserve-unknown-fields"):
                out.append(f"{_where((*path, key))}: unknown field")


def _duplicate_keys(value: list[Any], keys: Any, path: Path, out: list[str]) -> None:
    """A list-type map holds one entry per key (kube-apiserver: `Duplicate value: {"name":"x"}`)."""
    seen: set[str] = set()
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            continue
        key = repr([item.get(k) for k in keys])
        if key in seen:
            shown = ", ".join(f"{k}={item.get(k)!r}" for k in keys)
            out.append(f"{_where((*path, i))}: duplicate entry ({shown})")
        seen.add(key)


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    name = {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer", float: "number"}
    return f"{name.get(type(value), type(value).__name__)} {value!r}"[:80]
