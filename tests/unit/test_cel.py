"""policies.cel: what a DRA CEL selector pins — read from conjunctions only, never guessed."""

from __future__ import annotations

import pytest

from tenantguard.policies import cel

ATTR = 'device.attributes["gpu.nvidia.com"]'


@pytest.mark.parametrize(
    ("expression", "profile"),
    [
        pytest.param(f'{ATTR}.profile == "1g.10gb"', {"1g.10gb"}, id="double-quotes"),
        pytest.param("device.attributes['gpu.nvidia.com'].profile == '1g.10gb'", {"1g.10gb"}, id="single-quotes"),
        pytest.param(f'"1g.10gb" == {ATTR}.profile', {"1g.10gb"}, id="value-first"),
        pytest.param(f'{ATTR}["profile"] == "3g.40gb"', {"3g.40gb"}, id="index-form"),
        pytest.param(f'{ATTR}.profile in ["1g.10gb", "3g.40gb"]', {"1g.10gb", "3g.40gb"}, id="in-list"),
        pytest.param(
            f"device.driver == 'gpu.nvidia.com' && {ATTR}.type == 'mig' && {ATTR}.profile == '1g.10gb'",
            {"1g.10gb"},
            id="nvidia-class-and-claim-style",
        ),
        pytest.param(
            f'({ATTR}.profile == "1g.10gb") && device.capacity["gpu.nvidia.com"].memory.isGreaterThan(quantity("9Gi"))',
            {"1g.10gb"},
            id="other-conjuncts-only-narrow",
        ),
        pytest.param(f'({ATTR}.profile == "1g.10gb" && {ATTR}.type == "mig")', {"1g.10gb"}, id="outer-parentheses"),
        pytest.param(
            f'{ATTR}.profile in ["1g.10gb", "3g.40gb"] && {ATTR}.profile == "3g.40gb"', {"3g.40gb"}, id="intersection"
        ),
    ],
)
def test_pinned_profiles(expression: str, profile: set[str]) -> None:
    facts = cel.read(expression)
    assert facts.profile == frozenset(profile)
    assert "profile" not in facts.unread


@pytest.mark.parametrize(
    "expression",
    [
        pytest.param(f'{ATTR}.profile == "1g.10gb" || true', id="or-makes-it-optional"),
        pytest.param(f'{ATTR}.profile == "1g.10gb" ? true : false', id="ternary"),
        pytest.param(f'{ATTR}.profile.startsWith("1g")', id="method"),
        pytest.param(f'{ATTR}.profile != "7g.80gb"', id="not-equal"),
        pytest.param(f'cel.bind(a, {ATTR}, a.profile == "1g.10gb")', id="bind"),
        pytest.param(f'!({ATTR}.profile == "7g.80gb")', id="negation"),
        pytest.param(f'true && ({ATTR}.profile == "1g.10gb" || {ATTR}.profile == "7g.80gb")', id="nested-or"),
    ],
)
def test_unreadable_forms_pin_nothing_and_say_so(expression: str) -> None:
    facts = cel.read(expression)
    assert facts.profile is None
    assert facts.unread == frozenset({"profile"})


def test_other_drivers_attributes_are_not_read() -> None:
    facts = cel.read('device.attributes["dra.example.com"].profile == "1g.10gb"')
    assert facts.profile is None


def test_product_type_and_driver() -> None:
    facts = cel.read(
        f"device.driver == 'gpu.nvidia.com' && {ATTR}.type == 'gpu' && {ATTR}.productName == 'NVIDIA H100 80GB HBM3'"
    )
    assert facts.driver == frozenset({"gpu.nvidia.com"})
    assert facts.type == frozenset({"gpu"})
    assert facts.product == frozenset({"NVIDIA H100 80GB HBM3"})
    assert facts.unread == frozenset()


def test_selectors_of_a_request_and_its_class_all_hold() -> None:
    claim = cel.read(f'{ATTR}.profile in ["1g.10gb", "3g.40gb"]')
    klass = cel.read(f'{ATTR}.profile == "1g.10gb"')
    assert (claim & klass).profile == frozenset({"1g.10gb"})
    unread = cel.read(f'{ATTR}.profile.startsWith("1")')
    assert (unread & klass).unread == frozenset(), "the class pins what the claim's selector leaves unread"
    assert cel.read_all([]) == cel.NOTHING


def test_quotes_inside_strings_do_not_split() -> None:
    facts = cel.read(f'{ATTR}.productName == "A && B || C" && {ATTR}.type == "gpu"')
    assert facts.product == frozenset({"A && B || C"}) and facts.type == frozenset({"gpu"})
