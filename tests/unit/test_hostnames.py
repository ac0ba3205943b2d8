"""Hostname patterns (policies.hostnames) and the Tenant's `allowedHostnames` field."""

from __future__ import annotations

import pytest

from tenantguard.policies.hostnames import covers, is_valid, normalise, overlap
from tenantguard.policies.tenancy import TenantError, parse_tenant
from tests.support.fixtures import tenant_object


@pytest.mark.parametrize(
    ("pattern", "host", "expected"),
    [
        ("chat.acme.example", "chat.acme.example", True),
        ("chat.acme.example", "www.acme.example", False),
        ("*.acme.example", "chat.acme.example", True),
        ("*.acme.example", "a.b.acme.example", True),
        ("*.acme.example", "acme.example", False),
        ("*.acme.example", "evilacme.example", False),
        ("*.acme.example", "*.acme.example", True),
        ("*.acme.example", "*.eu.acme.example", True),
        ("*.eu.acme.example", "*.acme.example", False),
        ("chat.acme.example", "*.acme.example", False),
    ],
)
def test_covers(pattern: str, host: str, expected: bool) -> None:
    assert covers(pattern, host) is expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("*.example", "chat.globex.example", True),
        ("*.globex.example", "*.example", True),
        ("*.acme.example", "*.globex.example", False),
        ("globex.example", "*.globex.example", False),
        ("chat.globex.com", "chat.globex.com", True),
    ],
)
def test_overlap_is_symmetric(a: str, b: str, expected: bool) -> None:
    assert overlap(a, b) is expected and overlap(b, a) is expected


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("chat.acme.example", True),
        ("*.acme.example", True),
        ("com", True),
        ("*", False),
        ("a.*.example", False),
        ("~^.*$", False),
        ("Chat.acme.example", False),
        ("-x.example", False),
        ("a" * 64 + ".example", False),
    ],
)
def test_is_valid(name: str, valid: bool) -> None:
    assert is_valid(name) is valid


def test_normalise_lowers_and_drops_the_trailing_dot() -> None:
    assert normalise(" Chat.Acme.Example. ") == "chat.acme.example"


def test_tenant_field_is_parsed_and_absent_means_unset() -> None:
    tenant = parse_tenant(tenant_object("acme", {"namespaces": ["a"], "allowedHostnames": ["*.acme.example"]}))
    assert tenant.allowed_hostnames == ("*.acme.example",)
    assert parse_tenant(tenant_object("acme", {"namespaces": ["a"]})).allowed_hostnames is None
    assert parse_tenant(tenant_object("acme", {"namespaces": ["a"], "allowedHostnames": []})).allowed_hostnames == ()


@pytest.mark.parametrize("bad", ["*", "Chat.acme.example", "a.*.example", "https://acme.example"])
def test_tenant_with_a_malformed_hostname_is_refused(bad: str) -> None:
    with pytest.raises(TenantError, match=r"spec\.allowedHostnames\[0\]"):
        parse_tenant(tenant_object("acme", {"namespaces": ["a"], "allowedHostnames": [bad]}))
