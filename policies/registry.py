"""Every rule and mutator, listed explicitly per category, validated once at import, indexed by kind."""

from __future__ import annotations

import re
from collections.abc import Mapping

from tenantguard.policies.model import Category
from tenantguard.policies.podsecurity import problems as level_problems
from tenantguard.policies.rule import Mutator, Rule
from tenantguard.policies.rules import gpu, mtls, network, podsecurity, rbac, serving, tenancy
from tenantguard.policies.subjects import POD_TEMPLATE_KINDS

RULES: tuple[Rule, ...] = (
    *tenancy.RULES,
    *gpu.RULES,
    *podsecurity.RULES,
    *network.RULES,
    *mtls.RULES,
    *rbac.RULES,
    *serving.RULES,
)

# Order matters: labels first, secure defaults next, then the sidecar (which must itself pass restricted).
MUTATORS: tuple[Mutator, ...] = (*tenancy.MUTATORS, *podsecurity.MUTATORS, *mtls.MUTATORS)

_ID = re.compile(r"^(TEN|GPU|PSS|NET|MTLS|RBAC|SRV)\d{3}$")
_PREFIX = {
    "TEN": Category.TENANCY, "GPU": Category.GPU, "PSS": Category.POD_SECURITY, "NET": Category.NETWORK,
    "MTLS": Category.MTLS, "RBAC": Category.RBAC, "SRV": Category.SERVING,
}  # fmt: skip


def _validate(rules: tuple[Rule, ...]) -> None:
    seen: set[str] = set()
    levels = {r.id: r.level for r in rules}
    for rule in rules:
        m = _ID.match(rule.id)
        problems = []
        if not m:
            problems.append("ID must look like GPU003")
        elif _PREFIX[m.group(1)] is not rule.category:
            problems.append(f"ID prefix does not match category {rule.category}")
        if rule.id in seen:
            problems.append("duplicate ID")
        if not (rule.title and rule.fix and rule.why and rule.slug):
            problems.append("needs title, slug, why and fix")
        if not rule.allowed or not rule.denied:
            problems.append("needs allowed and denied examples")
        if rule.level is not None and rule.category is not Category.POD_SECURITY:
            problems.append("only pod-security rules have a Pod Security level")
        problems += level_problems(rule, levels)
        if problems:
            raise RuntimeError(f"rule {rule.id}: " + ", ".join(problems))
        seen.add(rule.id)


def _index(rules: tuple[Rule, ...]) -> tuple[Mapping[str, tuple[Rule, ...]], tuple[Rule, ...]]:
    by_kind: dict[str, list[Rule]] = {}
    generic: list[Rule] = []
    for rule in rules:
        kinds = set(rule.kinds or ())
        if rule.pod_templates:
            kinds |= POD_TEMPLATE_KINDS
        if not kinds:
            generic.append(rule)
        for kind in kinds:
            by_kind.setdefault(kind, []).append(rule)
    return {k: tuple(v) for k, v in by_kind.items()}, tuple(generic)


_validate(RULES)
BY_ID: Mapping[str, Rule] = {r.id: r for r in RULES}
_BY_KIND, _GENERIC = _index(RULES)
_RULE_ORDER = {r.id: i for i, r in enumerate(RULES)}


def rules_for(kind: str) -> tuple[Rule, ...]:
    specific = _BY_KIND.get(kind, ())
    if not _GENERIC:
        return specific
    return tuple(sorted((*specific, *_GENERIC), key=lambda r: _RULE_ORDER[r.id]))


def mutators_for(kind: str) -> tuple[Mutator, ...]:
    return tuple(
        m
        for m in MUTATORS
        if (m.kinds is None and not m.pod_templates)
        or (m.kinds and kind in m.kinds)
        or (m.pod_templates and kind in POD_TEMPLATE_KINDS)
    )
