"""The Tenant reference in docs/tenants.md, generated from the CRD schema (`policies.tenant_schema`).

One row per field, nested fields included: its type (with allowed values or pattern), unit, default or
what an absent field means, and description. `make docs` splices it between the markers of docs/tenants.md;
a test fails when the file is stale.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from tenantguard.policies.tenant_schema import ABSENT, API_VERSION, SPEC_SCHEMA, UNIT

BEGIN = "<!-- BEGIN tenant reference: generated from policies/tenant_schema.py by `make docs`; do not edit -->"
END = "<!-- END tenant reference -->"


def _type(schema: Mapping[str, Any]) -> str:
    kind = str(schema.get("type", "any"))
    if kind == "array":
        items = schema.get("items", {})
        text = f"list of {_type(items)}"
        return text + ", no duplicates" if schema.get("x-kubernetes-list-type") == "set" else text
    if "enum" in schema:
        return " | ".join(f"`{v}`" for v in schema["enum"])
    if schema.get("maxLength") == 63 and "pattern" in schema:
        return "DNS label"
    text = kind
    if "minimum" in schema:
        text += f" ≥ {schema['minimum']}"
    if "pattern" in schema:
        text += f" matching `{schema['pattern']}`"
    return text


def _default(schema: Mapping[str, Any], required: bool) -> str:
    if required:
        return "required"
    if "default" in schema:
        value = schema["default"]
        return f"`{str(value).lower() if isinstance(value, bool) else value}`"
    return str(schema.get(ABSENT, "—"))


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def rows(schema: Mapping[str, Any], prefix: str = "spec") -> Iterator[tuple[str, Mapping[str, Any], bool]]:
    """(dotted path, field schema, required) for every field under `schema`, depth first."""
    required = set(schema.get("required", ()))
    for name, field in schema.get("properties", {}).items():
        path = f"{prefix}.{name}"
        yield path, field, name in required
        if field.get("type") == "object":
            yield from rows(field, path)
        elif field.get("type") == "array" and field.get("items", {}).get("type") == "object":
            yield from rows(field["items"], f"{path}[]")


def reference() -> str:
    out = [
        BEGIN,
        "",
        f"`apiVersion: {API_VERSION}`, `kind: Tenant`, cluster-scoped; `metadata.name` is a DNS label and names",
        "the tenant in labels, reports and messages.",
        "",
        "| field | type | unit | default (or when absent) | description |",
        "|---|---|---|---|---|",
    ]
    for path, field, required in rows(SPEC_SCHEMA):
        cells = (
            f"`{path}`",
            _type(field),
            field.get(UNIT, "—"),
            _default(field, required),
            field.get("description", ""),
        )
        out.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    out += ["", END]
    return "\n".join(out) + "\n"


def splice(document: str, generated: str) -> str:
    """`document` with the text between BEGIN and END (inclusive) replaced by `generated`."""
    start, end = document.find(BEGIN), document.find(END)
    if start < 0 or end < start:
        raise ValueError(f"markers not found: {BEGIN!r} … {END!r}")
    return document[:start] + generated.rstrip("\n") + document[end + len(END) :]
