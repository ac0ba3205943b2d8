"""Every rule's own allowed/denied examples decide as documented, and the registry is well-formed."""

from __future__ import annotations

import inspect
from dataclasses import replace
from pathlib import Path

import pytest

from tenantguard.policies import registry
from tenantguard.policies.engine import mutate
from tenantguard.policies.model import Category
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


def _module_file(rule: Rule) -> Path:
    return Path(inspect.getsourcefile(rule.check) or "")


@pytest.mark.parametrize("rule", registry.RULES, ids=lambda r: r.id)
def test_rule_lives_in_its_own_module_named_by_id_and_slug(rule: Rule) -> None:
    """One rule a file, `<category>/<id>_<slug>.py`: what import-time validation cannot see."""
    path = _module_file(rule)
    assert path.parent.parent.name == "rules", path
    assert path.stem.startswith(rule.id.lower() + "_"), f"{path.name} should start with {rule.id.lower()}_"
    # PSS slugs are PSA's camelCase check IDs (hostPathVolumes -> host_path_volumes): compare without separators.
    normal = rule.slug.replace("-", "").replace("_", "").lower()
    assert path.stem[len(rule.id) + 1 :].replace("_", "") == normal, f"{path.name} does not spell {rule.slug}"
    category_dirs = {"pod-security": "podsecurity"}
    assert path.parent.name == category_dirs.get(rule.category.value, rule.category.value)


def test_every_category_has_an_id_prefix_and_rules() -> None:
    prefixes = {rule.id.rstrip("0123456789") for rule in registry.RULES}
    by_category = {rule.category for rule in registry.RULES}
    assert by_category == set(Category), "a category without rules, or a rule without a category"
    assert len(prefixes) == len(Category), "one ID prefix per category"


def test_validation_refuses_what_it_promises_to() -> None:
    """The registry's import-time checks, run on broken copies of a real rule."""
    rule = registry.RULES[0]
    for broken, reason in (
        (replace(rule, id="GPU001"), "prefix"),
        (replace(rule, id="TEN1"), "look like"),
        (replace(rule, denied=()), "examples"),
        (replace(rule, fix=""), "fix"),
    ):
        with pytest.raises(RuntimeError, match=reason):
            registry._validate((broken,))
    with pytest.raises(RuntimeError, match="duplicate"):
        registry._validate((rule, rule))


def test_docs_anchors_are_unique() -> None:
    anchors = [r.anchor for r in registry.RULES]
    assert len(anchors) == len(set(anchors))


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
