"""`tenantguard reachability diff` output: text for people, JSON for machines, GitHub annotations for pull requests.

Every opened connection names the rules that allow it with their file and line (when the policy came from the
manifests), so the annotation lands on the rule a reviewer must look at. JSON schema
`tenantguard.io/reachability-diff/v1` (docs/audit.md#reachability-diff).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from tenantguard.policies.isolation.diff import Connection, ReachabilityDiff
from tenantguard.policies.isolation.exposure import Exposed
from tenantguard.policies.netpol import RuleRef

SCHEMA = "tenantguard.io/reachability-diff/v1"
Locate = Callable[[RuleRef], "tuple[str, int] | None"]
LocateObject = Callable[[str, str, str], "tuple[str, int] | None"]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def verdict(found: ReachabilityDiff) -> str:
    cross = len(found.cross_tenant_opened)
    reasons = [f"opens {_plural(cross, 'connection')} across tenants"] if cross else []
    exposed = len(found.exposed)
    reasons += [f"publishes workloads outside the gateway ({_plural(exposed, 'object')})"] if exposed else []
    return ("fails: " + " and ".join(reasons)) if reasons else "passes: no connection across tenants opened"


def _where(located: tuple[str, int] | None) -> str:
    return f"  {located[0]}:{located[1]}" if located else ""


def _connection_lines(word: str, c: Connection, locate: Locate) -> list[str]:
    cross = f"  across tenants {c.source_tenant} -> {c.destination_tenant}" if c.cross_tenant else ""
    lines = [f"{word:<7} {c.source} -> {c.destination}  {', '.join(c.ports)}{cross}"]
    for ref in c.rules:
        mark = " (changed)" if ref in c.changed else ""
        lines.append(f"        by {ref}{mark}{_where(locate(ref))}")
    if c.via_node:
        lines.append("        by a hostNetwork pod sharing a node with the other end (always allowed)")
    if not c.rules and not c.via_node:
        removed = f" (removed: {', '.join(c.lifted)})" if c.lifted else ""
        lines.append(f"        no NetworkPolicy isolates either end{removed}")
    return lines


def _exposed_line(word: str, e: Exposed, locate_object: LocateObject) -> str:
    where = _where(locate_object(e.kind, e.namespace, e.name))
    workloads = ", ".join(e.workloads) or "no pods yet"
    return f"{word:<7} {e.kind} {e.namespace}/{e.name}: {e.how} — {', '.join(e.ports) or 'no port'}: {workloads}{where}"


def text(found: ReachabilityDiff, locate: Locate, locate_object: LocateObject) -> str:
    changed = found.changed_namespaces
    lines = [f"namespaces changed: {', '.join(changed) if changed else 'none'}"]
    for c in found.opened:
        lines += _connection_lines("opened", c, locate)
    for c in found.closed:
        lines += _connection_lines("closed", c, locate)
    lines += [f"tenants newly connected: {a} -> {b}" for a, b in found.tenants_opened]
    lines += [f"tenants no longer connected: {a} -> {b}" for a, b in found.tenants_closed]
    lines += [_exposed_line("exposed", e, locate_object) for e in found.exposed]
    lines += [_exposed_line("hidden", e, locate_object) for e in found.unexposed]
    lines.append(
        f"{_plural(len(found.opened), 'connection')} opened ({len(found.cross_tenant_opened)} across tenants), "
        f"{len(found.closed)} closed, {len(found.exposed)} newly exposed outside the gateway — {verdict(found)}"
    )
    return "\n".join(lines) + "\n"


def _connection_json(c: Connection, locate: Locate) -> dict[str, Any]:
    doc = c.as_dict()
    for rule, ref in zip(doc["rules"], c.rules, strict=True):
        located = locate(ref)
        if located is not None:
            rule["file"], rule["line"] = located
    return doc


def _exposed_json(e: Exposed, locate_object: LocateObject) -> dict[str, Any]:
    doc = e.as_dict()
    located = locate_object(e.kind, e.namespace, e.name)
    if located is not None:
        doc["file"], doc["line"] = located
    return doc


def as_json(found: ReachabilityDiff, locate: Locate, locate_object: LocateObject) -> str:
    doc = {
        "schemaVersion": SCHEMA,
        "summary": {
            "opened": len(found.opened),
            "crossTenantOpened": len(found.cross_tenant_opened),
            "closed": len(found.closed),
            "exposed": len(found.exposed),
            "unexposed": len(found.unexposed),
            "failing": found.failing,
        },
        "changedNamespaces": list(found.changed_namespaces),
        "opened": [_connection_json(c, locate) for c in found.opened],
        "closed": [_connection_json(c, locate) for c in found.closed],
        "tenants": {
            "opened": [{"from": a, "to": b} for a, b in found.tenants_opened],
            "closed": [{"from": a, "to": b} for a, b in found.tenants_closed],
        },
        "exposure": {
            "opened": [_exposed_json(e, locate_object) for e in found.exposed],
            "closed": [_exposed_json(e, locate_object) for e in found.unexposed],
        },
    }
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode() + "\n"


def _escape(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(value: str) -> str:
    return _escape(value).replace(":", "%3A").replace(",", "%2C")


def _annotation(level: str, title: str, message: str, located: tuple[str, int] | None) -> str:
    where = f"file={_prop(located[0])},line={max(located[1], 1)}," if located else ""
    return f"::{level} {where}title={_prop(title)}::{_escape(message)}"


def github(found: ReachabilityDiff, locate: Locate, locate_object: LocateObject) -> str:
    lines = []
    for c in found.opened:
        located = next((where for where in map(locate, c.changed or c.rules) if where is not None), None)
        message = f"{c.source} -> {c.destination} on {', '.join(c.ports)}: {c.reason}"
        if c.cross_tenant:
            title = f"Opens a path from tenant {c.source_tenant} to tenant {c.destination_tenant}"
            lines.append(_annotation("error", title, message, located))
        else:
            lines.append(_annotation("notice", "Opens a connection", message, located))
    for c in found.closed:
        lines.append(_annotation("notice", "Closes a connection", f"{c.source} -> {c.destination} on "
                                 f"{', '.join(c.ports)}", None))  # fmt: skip
    for e in found.exposed:
        title = f"Publishes tenant {e.tenant}'s workloads outside the gateway"
        message = f"{e.kind} {e.namespace}/{e.name}: {e.how} ({', '.join(e.ports) or 'no port'}): "
        message += ", ".join(e.workloads) or "no pods yet"
        lines.append(_annotation("error", title, message, locate_object(e.kind, e.namespace, e.name)))
    lines.append(_annotation("notice", "reachability diff", verdict(found), None))
    return "\n".join(lines) + "\n"


RENDERERS = {"text": text, "json": as_json, "github": github}
