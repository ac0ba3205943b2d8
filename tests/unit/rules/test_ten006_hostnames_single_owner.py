"""TEN006 hostnames-single-owner: no hostname pattern is listed by two Tenants."""

from __future__ import annotations

import pytest

from tenantguard.policies.engine import evaluate
from tenantguard.policies.model import Obj, Violation
from tests.support.fixtures import cluster_for, request, tenant_object


def fired(obj: Obj) -> list[Violation]:
    return [v for v in evaluate(obj, cluster_for(), request()).violations if v.rule == "TEN006"]


def initech(*patterns: str) -> Obj:
    return tenant_object("initech", {"namespaces": ["initech-prod"], "allowedHostnames": list(patterns)})


@pytest.mark.parametrize(
    ("pattern", "other"),
    [
        ("chat.globex.com", "globex's 'chat.globex.com'"),
        ("api.globex.example", "globex's '*.globex.example'"),
        ("*.globex.example", "globex's '*.globex.example'"),
        ("*.eu.globex.example", "globex's '*.globex.example'"),
        ("*.example", "acme's '*.acme.example', globex's '*.globex.example'"),
    ],
)
def test_overlapping_patterns_are_refused(pattern: str, other: str) -> None:
    (v,) = fired(initech("chat.initech.example", pattern))
    assert v.path == "spec.allowedHostnames[1]"
    assert v.message == f"hostname pattern {pattern!r} overlaps tenant {other}"


@pytest.mark.parametrize("pattern", ["*.initech.example", "globex.example", "chat.globex.org", "com"])
def test_disjoint_patterns_are_allowed(pattern: str) -> None:
    assert fired(initech(pattern)) == []


def test_a_tenant_does_not_overlap_itself_on_update() -> None:
    acme = tenant_object("acme", {"namespaces": ["acme-prod"], "allowedHostnames": ["*.acme.example", "acme.example"]})
    assert fired(acme) == []
