"""Every rule and mutator, listed explicitly per category, validated once at import, indexed by kind."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping

from tenantguard.policies.model import Category
from tenantguard.policies.podsecurity import problems as level_problems
from tenantguard.policies.rule import Mutator, Rule
from tenantguard.policies.rules import gpu, mtls, network, podsecurity, rbac, serving, tenancy
from tenantguard.policies.settings import Settings
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


def unknown_rule_ids(settings: Settings) -> list[str]:
    """A problem for every rule ID the settings name that no rule has (`ruleModes` keys, `exceptions[].rule`).

    Checked where settings are loaded for use (`tenantguard.platform.load_settings`), not by the settings
    parser, which the rules themselves import: a mistyped ID would otherwise waive or re-mode nothing, silently.
    """
    prefixes = ", ".join(_PREFIX)

    def problem(where: str, rule: str) -> str:
        hint = _likely(rule)
        hint = f"did you mean {hint!r}? " if hint else ""
        return f"{where}: unknown rule {rule!r} — {hint}rule IDs are {prefixes} and three digits (see docs/rules.md)"

    problems = [problem(f"ruleModes.{rule}", rule) for rule in settings.rule_modes if rule not in BY_ID]
    for i, e in enumerate(settings.exceptions):
        if e.rule != "*" and e.rule not in BY_ID:
            problems.append(problem(f"exceptions[{i}].rule", e.rule))
    return problems


_LOOSE_ID = re.compile(r"^\s*([A-Za-z]+)[-_ ]?0*(\d{1,3})\s*$")


def _likely(rule: str) -> str:
    """The rule ID a typo most likely meant: `pss2`, `PSS02`, `PSS-002` → PSS002; else the closest spelling."""
    m = _LOOSE_ID.match(rule)
    if m and (guess := f"{m.group(1).upper()}{int(m.group(2)):03d}") in BY_ID:
        return guess
    close = difflib.get_close_matches(rule.upper(), BY_ID, n=1)
    return close[0] if close else ""
