"""PSS011 sysctls — pods set only namespaced, safe sysctls.

What it checks (PSA baseline check `sysctls`): `spec.securityContext.sysctls[*].name`.
Allowed values: kernel.shm_rmid_forced, net.ipv4.ip_local_port_range, net.ipv4.ip_local_reserved_ports,
net.ipv4.tcp_syncookies, net.ipv4.ping_group_range, net.ipv4.ip_unprivileged_port_start,
net.ipv4.tcp_keepalive_time, net.ipv4.tcp_fin_timeout, net.ipv4.tcp_keepalive_intvl,
net.ipv4.tcp_keepalive_probes, net.ipv4.tcp_rmem, net.ipv4.tcp_wmem, net.ipv4.tcp_slow_start_after_idle,
net.ipv4.tcp_notsent_lowat.

Versions (each allows what the one before did, and more): v1.0 kernel.shm_rmid_forced,
net.ipv4.ip_local_port_range, net.ipv4.tcp_syncookies, net.ipv4.ping_group_range,
net.ipv4.ip_unprivileged_port_start; v1.27 adds net.ipv4.ip_local_reserved_ports; v1.29 the four TCP
keepalive and fin_timeout sysctls; v1.32 net.ipv4.tcp_rmem and tcp_wmem; v1.37
net.ipv4.tcp_slow_start_after_idle and tcp_notsent_lowat.

Why it matters: other sysctls are node-wide or leak between pods — one tenant's tuning (or abuse) of
kernel memory, message queues or routing would change every tenant's pods on that node.

Fix: remove the sysctl; node-level tuning belongs in the node configuration, not in tenant pods.
"""

from __future__ import annotations

from collections.abc import Iterator

from tenantguard.policies.context import Context
from tenantguard.policies.model import Category, Finding, Severity
from tenantguard.policies.paths import dotted
from tenantguard.policies.podsecurity import Level, v1
from tenantguard.policies.rule import Example, Rule, VersionedCheck
from tenantguard.policies.rules.podsecurity.common import pod_sc_path, pod_security_context
from tenantguard.policies.rules.podsecurity.examples import BASELINE_TENANT, example_pod, pinned
from tenantguard.policies.subjects import Subject

REASON = "forbidden sysctls"
SAFE_V1_0 = frozenset(
    {
        "kernel.shm_rmid_forced",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range",
        "net.ipv4.ip_unprivileged_port_start",
    }
)
SAFE_V1_27 = SAFE_V1_0 | {"net.ipv4.ip_local_reserved_ports"}
SAFE_V1_29 = SAFE_V1_27 | {
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
}
SAFE_V1_32 = SAFE_V1_29 | {"net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"}
SAFE_V1_37 = SAFE_V1_32 | {"net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat"}


def _unsafe(subject: Subject, safe: frozenset[str]) -> Iterator[Finding]:
    for pod in subject.pods:
        sysctls = pod_security_context(pod).get("sysctls")
        for i, sysctl in enumerate(sysctls if isinstance(sysctls, list) else ()):
            name = sysctl.get("name") if isinstance(sysctl, dict) else None
            if name not in safe:
                yield Finding(path=dotted(pod_sc_path(pod, "sysctls", i, "name")), message=f"{REASON} ({name})")


def check_v1_0(subject: Subject, ctx: Context) -> Iterator[Finding]:
    return _unsafe(subject, SAFE_V1_0)


def check_v1_27(subject: Subject, ctx: Context) -> Iterator[Finding]:
    return _unsafe(subject, SAFE_V1_27)


def check_v1_29(subject: Subject, ctx: Context) -> Iterator[Finding]:
    return _unsafe(subject, SAFE_V1_29)


def check_v1_32(subject: Subject, ctx: Context) -> Iterator[Finding]:
    return _unsafe(subject, SAFE_V1_32)


def check_v1_37(subject: Subject, ctx: Context) -> Iterator[Finding]:
    return _unsafe(subject, SAFE_V1_37)


RULE = Rule(
    id="PSS011",
    slug="sysctls",
    title="Pods set only safe sysctls",
    category=Category.POD_SECURITY,
    severity=Severity.ERROR,
    pod_templates=True,
    fix="remove sysctls outside the safe set from spec.securityContext.sysctls",
    why="Unsafe sysctls are node-wide: one tenant's setting changes every tenant's pods on the node.",
    check=check_v1_37,
    level=Level.BASELINE,
    versions=(
        VersionedCheck(since=v1(0), check=check_v1_0),
        VersionedCheck(since=v1(27), check=check_v1_27),
        VersionedCheck(since=v1(29), check=check_v1_29),
        VersionedCheck(since=v1(32), check=check_v1_32),
        VersionedCheck(since=v1(37), check=check_v1_37),
    ),
    doc=__doc__ or "",
    allowed=(
        Example(
            object=example_pod(securityContext={"sysctls": [{"name": "net.ipv4.tcp_keepalive_time", "value": "60"}]})
        ),
        Example(
            object=example_pod(
                securityContext={"sysctls": [{"name": "net.ipv4.tcp_rmem", "value": "4096 87380 16777216"}]}
            ),
            tenant=BASELINE_TENANT,
        ),
    ),
    denied=(
        Example(object=example_pod(securityContext={"sysctls": [{"name": "kernel.msgmax", "value": "65536"}]})),
        Example(
            object=example_pod(securityContext={"sysctls": [{"name": "net.core.somaxconn", "value": "1024"}]}),
            tenant=BASELINE_TENANT,
        ),
        Example(
            object=example_pod(securityContext={"sysctls": [{"name": "net.ipv4.tcp_rmem", "value": "4096 87380 1"}]}),
            tenant=pinned("v1.31"),
            note="net.ipv4.tcp_rmem is safe from v1.32",
        ),
    ),
)
