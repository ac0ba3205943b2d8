"""Every rule's own allowed/denied examples decide as documented, and the registry is well-formed."""

from __future__ import annotations

import pytest

from tenantguard.policies import registry
from tenantguard.policies.engine import mutate
from tenantguard.policies.rule import Example, Rule
from tests.support.fixtures import cluster_for, judge, request

CASES = [
    pytest.param(rule, example, outcome, id=f"{rule.id}-{outcome}-{i}")
    for rule in registry.RULES
    for outcome, examples in (("allowed", rule.allowed), ("denied", rule.denied))
    for i, example in enumerate(examples)
]


@pytest.mark.parametrize(("rule", "example", "outcome"), CASES)
def test_rule_examples_decide_as_documented(rule: Rule, example: Example, outcome: str) -> None:
    fired = [v for v in judge(example).violations if v.rule == rule.id]
    if outcome == "denied":
        assert fired, f"{rule.id} should deny: {example.note or example.object.get('kind')}"
        assert all(v.path and v.message for v in fired)
    else:
        assert not fired, [v.render() for v in fired]


def test_ids_are_unique_and_prefixed_by_category() -> None:
    ids = [r.id for r in registry.RULES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("rule", registry.RULES, ids=lambda r: r.id)
def test_rule_has_docs(rule: Rule) -> None:
    assert rule.doc and rule.id in rule.doc, "the module docstring opens with the rule ID"
    assert rule.title[0].isupper() and not rule.title.endswith(".")


MUTATION_CASES = [
    pytest.param(example, id=f"{rule.id}-{outcome}-{i}")
    for rule in registry.RULES
    for outcome, examples in (("allowed", rule.allowed), ("denied", rule.denied))
    for i, example in enumerate(examples)
]


@pytest.mark.parametrize("example", MUTATION_CASES)
def test_mutating_twice_changes_nothing(example: Example) -> None:
    policy = cluster_for(example.tenant)
    first = mutate(example.object, policy, request())
    second = mutate(first.mutated, policy, request())
    assert second.patches == ()
