"""PSS011 sysctls: only the safe set (as of PSA v1.37) in spec.securityContext.sysctls."""

from __future__ import annotations

from typing import Any

import pytest

from tenantguard.policies.model import Violation
from tenantguard.policies.rule import Example
from tenantguard.policies.rules.podsecurity.examples import BASELINE_TENANT, example_pod, pinned
from tests.support.fixtures import judge

RULE = "PSS011"
SAFE = [
    "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start", "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes", "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem",
    "net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat",
]  # fmt: skip
UNSAFE = ["kernel.msgmax", "kernel.shmmax", "net.core.somaxconn", "vm.max_map_count", "net.ipv4.ip_forward",
          "kernel.sem", "net.ipv4.tcp_tw_reuse"]  # fmt: skip


def fired(obj: dict[str, Any], tenant: dict[str, Any] | None = None) -> list[Violation]:
    return [v for v in judge(Example(object=obj, tenant=tenant)).violations if v.rule == RULE]


def with_sysctls(*names: str) -> dict[str, Any]:
    return example_pod(securityContext={"sysctls": [{"name": n, "value": "1"} for n in names]})


@pytest.mark.parametrize("name", SAFE)
def test_safe_sysctls_are_allowed(name: str) -> None:
    assert fired(with_sysctls(name)) == []
    assert fired(with_sysctls(name), BASELINE_TENANT) == []


@pytest.mark.parametrize("name", UNSAFE)
def test_other_sysctls_are_denied(name: str) -> None:
    (v,) = fired(with_sysctls("kernel.shm_rmid_forced", name), BASELINE_TENANT)
    assert v.path == "spec.securityContext.sysctls[1].name"
    assert v.message == f"forbidden sysctls ({name})"


def test_every_unsafe_sysctl_is_reported() -> None:
    assert [v.message for v in fired(with_sysctls(*UNSAFE[:3]))] == [f"forbidden sysctls ({n})" for n in UNSAFE[:3]]


# Versions: v1.0, and each later version allows more.
FIRST_SAFE = [
    ("net.ipv4.ip_local_reserved_ports", 27),
    ("net.ipv4.tcp_keepalive_time", 29), ("net.ipv4.tcp_fin_timeout", 29),
    ("net.ipv4.tcp_keepalive_intvl", 29), ("net.ipv4.tcp_keepalive_probes", 29),
    ("net.ipv4.tcp_rmem", 32), ("net.ipv4.tcp_wmem", 32),
    ("net.ipv4.tcp_slow_start_after_idle", 37), ("net.ipv4.tcp_notsent_lowat", 37),
]  # fmt: skip


@pytest.mark.parametrize(("name", "minor"), FIRST_SAFE, ids=[n for n, _ in FIRST_SAFE])
def test_sysctls_are_safe_from_their_version_on(name: str, minor: int) -> None:
    (v,) = fired(with_sysctls(name), pinned(f"v1.{minor - 1}", BASELINE_TENANT))
    assert v.message == f"forbidden sysctls ({name})"
    assert fired(with_sysctls(name), pinned(f"v1.{minor}", BASELINE_TENANT)) == []


@pytest.mark.parametrize("version", ["v1.0", "v1.26", "latest"])
def test_the_first_five_are_safe_at_every_version(version: str) -> None:
    assert fired(with_sysctls(*SAFE[:5]), pinned(version, BASELINE_TENANT)) == []
