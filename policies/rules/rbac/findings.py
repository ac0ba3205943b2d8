"""Findings for the forbidden powers a role's rules grant — shared by RBAC002 (Roles) and RBAC004 (ClusterRoles).

Each rule that grants a power of policies/rbac/powers.py is reported at `rules[i].verbs` for the powers whose
verb is the power (escalate, bind, impersonate) and at `rules[i].resources` for the others, naming the entries
that grant them — a wildcard (`*`, `*/status`) as much as an explicit name — the powers, and what to remove.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from tenantguard.policies.model import Finding
from tenantguard.policies.paths import dotted
from tenantguard.policies.rbac.powers import Held, held
from tenantguard.policies.rbac.rules import indexed_rules


def power_findings(rules: Any, *, suffix: str = "") -> Iterator[Finding]:
    """At most two findings per rule (its verbs, its resources), in rule order."""
    for i, rule in indexed_rules(rules):
        found = held(rule)
        for field in ("verbs", "resources"):
            group = [h for h in found if h.power.remove == field]
            if group:
                yield Finding(path=dotted(("rules", i, field)), message=message(group, field) + suffix)


def message(group: Sequence[Held], field: str) -> str:
    through = sorted({e for h in group for e in h.through})
    entries = ", ".join(f"'{e}'" for e in through)
    if len(group) == 1:
        (h,) = group
        what = f"{', '.join(h.verbs)} on {', '.join(h.resources)} ({h.power.name}: {h.power.does})"
    else:
        what = f"{len(group)} forbidden powers: " + ", ".join(
            f"{h.power.name} ({', '.join(h.resources)})" for h in group
        )
    remedy = "remove it" if len(through) == 1 else "remove them"
    if any("*" in e for e in through):
        remedy += f" and list the {field} needed instead"
    return f"{entries} {'grants' if len(through) == 1 else 'grant'} {what}; {remedy}"
