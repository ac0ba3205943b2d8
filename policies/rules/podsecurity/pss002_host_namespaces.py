"""PSS002 hostNamespaces — pods do not share the node's network, PID or IPC namespace.

What it checks (PSA baseline check `hostNamespaces`, v1.0): `spec.hostNetwork`, `spec.hostPID`,
`spec.hostIPC`.
Allowed values: undefined, `false`.

Why it matters: with the host's namespaces a pod sees every process, socket and shared-memory segment on
the node, including other tenants' model servers (vLLM's prefill/decode disaggregation sets hostIPC and
hostPID — run it with its own non-host IPC instead).

Fix: remove `hostNetwork`, `hostPID` and `hostIPC` (or set them to `false`).
"""

from __future__ import annotations

from collections.abc import Iterator

from tenantguard.policies.context import Context
from tenantguard.policies.model import Category, Finding, Severity
from tenantguard.policies.paths import dotted
from tenantguard.policies.podsecurity import Level, v1
from tenantguard.policies.rule import Example, Rule, VersionedCheck
from tenantguard.policies.rules.podsecurity.examples import BASELINE_TENANT, example_pod
from tenantguard.policies.subjects import Subject

REASON = "host namespaces"
FIELDS = ("hostNetwork", "hostPID", "hostIPC")


def check_v1_0(subject: Subject, ctx: Context) -> Iterator[Finding]:
    for pod in subject.pods:
        for field in FIELDS:
            if pod.spec.get(field) is True:
                yield Finding(path=dotted((*pod.path, field)), message=f"{REASON} ({field}=true)")


RULE = Rule(
    id="PSS002",
    slug="hostNamespaces",
    title="Pods do not share the host's namespaces",
    category=Category.POD_SECURITY,
    severity=Severity.ERROR,
    pod_templates=True,
    fix="remove hostNetwork, hostPID and hostIPC from the pod spec (or set them to false)",
    why="Host namespaces expose every process, socket and shared-memory segment on the node to the pod.",
    check=check_v1_0,
    level=Level.BASELINE,
    versions=(VersionedCheck(since=v1(0), check=check_v1_0),),
    doc=__doc__ or "",
    allowed=(
        Example(object=example_pod(hostNetwork=False, hostPID=False, hostIPC=False)),
        Example(object=example_pod(), tenant=BASELINE_TENANT),
    ),
    denied=(
        Example(object=example_pod(hostNetwork=True)),
        Example(object=example_pod(hostPID=True, hostIPC=True), tenant=BASELINE_TENANT),
    ),
)
