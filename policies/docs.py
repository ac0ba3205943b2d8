"""docs/rules.md, generated from the registry and the isolation catalogue: one section per rule or check."""

from __future__ import annotations

from collections.abc import Iterable

import yaml

from tenantguard.policies.isolation import IsolationCheck
from tenantguard.policies.model import Category
from tenantguard.policies.rule import Example, Rule

_INTRO = """\
# Rule reference

Generated from the rule registry by `tenantguard docs` — do not edit by hand (`make docs` regenerates it;
a test fails when it is stale). Every rule runs unchanged at admission (`tenantguard serve`), in the audit
(`tenantguard audit`) and in CI (`tenantguard lint`). Rule IDs are stable: a rule whose meaning changes gets
a new ID. Each rule's mode (enforce, warn, audit) comes from the settings' `enforcement` per category and
`ruleModes` per rule; time-boxed `exceptions` waive a rule for matching objects.

Pod-security rules carry a Pod Security level and versions, like Kubernetes' Pod Security Admission: a
rule judges tenants whose `podSecurity` includes its level (restricted includes baseline), with its version
in force at the Tenant's `podSecurityVersion` (else the settings' `podSecurityVersion`, default `latest`); a
rule whose first version is newer than the pin does not run. At `restricted`, the baseline rules that a
restricted rule replaces do not run.

The isolation checks (`ISO…`, at the end) are not rules of one object: the audit computes them from the whole
cluster — reachability under every NetworkPolicy, RBAC across tenants, mTLS coverage — and reports them like
violations (JSON, Markdown, HTML, PolicyReports; counted by `--fail-on`). Exceptions waive them too, matched on
the object a finding names.
"""

_ISOLATION = """
## isolation

Computed by `tenantguard audit` only (it sees every object), from `policies/isolation/`. Findings sort by
severity, then in this order.
"""


def _example(e: Example) -> str:
    body = yaml.safe_dump(e.object, sort_keys=False, default_flow_style=False).rstrip()
    lines = []
    if e.note:
        lines.append(f"*{e.note}*")
    if e.tenant:
        lines.append(f"Tenant spec override: `{yaml.safe_dump(dict(e.tenant), default_flow_style=True).strip()}`")
    if e.operation != "CREATE":
        lines.append(f"Operation: {e.operation}")
    lines.append(f"```yaml\n{body}\n```")
    for other in e.related:
        known = yaml.safe_dump(other, sort_keys=False, default_flow_style=False).rstrip()
        where = (
            "In the cluster (admission: the webhook's cache; lint cannot know it)"
            if other.get("kind") == "NetworkPolicy"
            else "Known beside it (lint: among the inputs; admission: read from the cluster)"
        )
        lines.append(f"{where}:\n\n```yaml\n{known}\n```")
    return "\n\n".join(lines)


def _sections(doc: str) -> str:
    """The module docstring without its first line (the title line repeats the heading)."""
    text = doc.strip().split("\n", 1)
    return text[1].strip() if len(text) > 1 else ""


def _kinds(rule: Rule) -> str:
    if rule.pod_templates:
        return "every kind with a pod spec" + (f", {', '.join(sorted(rule.kinds))}" if rule.kinds else "")
    return ", ".join(sorted(rule.kinds)) if rule.kinds else "every kind"


def _pod_security(rule: Rule) -> str:
    """`Pod Security level **restricted** · versions v1.22, v1.25 · replaces PSS004 from v1.22`."""
    versions = ", ".join(str(v.since) for v in rule.versions)
    line = f"Pod Security level **{rule.level}** · versions {versions}"
    first: dict[str, str] = {}
    for v in rule.versions:
        for target in sorted(v.overrides):
            first.setdefault(target, str(v.since))
    replaced = ", ".join(f"{target} from {since}" for target, since in first.items())
    return line + (f" · replaces {replaced}" if replaced else "") + "\n"


def render(rules: Iterable[Rule], checks: Iterable[IsolationCheck] = ()) -> str:
    rules, checks = list(rules), list(checks)
    out = [_INTRO, "| ID | category | severity | title |", "|---|---|---|---|"]
    out += [f"| [{r.id}](#{r.anchor}) | {r.category.value} | {r.severity.value} | {r.title} |" for r in rules]
    out += [f"| [{c.id}](#{c.anchor}) | isolation | {c.severity.value} | {c.title} |" for c in checks]
    for category in Category:
        members = [r for r in rules if r.category is category]
        if not members:
            continue
        out.append(f"\n## {category.value}\n")
        for r in members:
            out.append(f'<a id="{r.anchor}"></a>\n### {r.id} {r.slug} — {r.title}\n')
            out.append(f"Severity **{r.severity.value}** · applies to {_kinds(r)}\n")
            if r.level is not None:
                out.append(_pod_security(r))
            out.append(_sections(r.doc) + "\n")
            out.append(f"**Why it matters:** {r.why}\n")
            out.append(f"**How to fix:** {r.fix}\n")
            out.append("**Allowed:**\n\n" + "\n\n".join(_example(e) for e in r.allowed) + "\n")
            out.append("**Denied:**\n\n" + "\n\n".join(_example(e) for e in r.denied) + "\n")
    if checks:
        out.append(_ISOLATION)
    for c in checks:
        out.append(f'<a id="{c.anchor}"></a>\n### {c.id} {c.slug} — {c.title}\n')
        out.append(f"Severity **{c.severity.value}** · reported on {c.reported_on}\n")
        out.append(f"**What it checks:** {c.what}\n")
        out.append(f"**Why it matters:** {c.why}\n")
        out.append(f"**How to fix:** {c.fix}\n")
    return "\n".join(out).rstrip() + "\n"
