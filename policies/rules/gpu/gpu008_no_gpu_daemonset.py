"""GPU008 no-gpu-daemonset — tenant DaemonSets do not request GPUs.

What it checks: the pod template of a DaemonSet in a tenant namespace requests no GPU-class resource
(`nvidia.com/gpu`, `nvidia.com/mig-*`), counted as the scheduler does, and names no DRA resource claim
(`spec.resourceClaims`: a claim template would give every node's pod devices of its own) nor DeviceClass
resource (`deviceclass.resource.kubernetes.io/<class>`).

Why it matters: a DaemonSet runs one pod on every matching node, so its GPU demand grows with the
cluster and cannot be checked against the tenant's `spec.gpu.maxTotal` (GPU006 counts it as one pod).
On a shared GPU fleet it would also claim a device on nodes other tenants are waiting for.

Fix: run GPU work as a Deployment, StatefulSet, LeaderWorkerSet or Job with an explicit replica count.
Node-level GPU agents (device plugin, DCGM exporter) belong to the platform, in exempt namespaces.
"""

from __future__ import annotations

from collections.abc import Iterator

from tenantguard.policies import dra
from tenantguard.policies.context import Context
from tenantguard.policies.gpu import pod_gpu_devices
from tenantguard.policies.model import Category, Finding, Severity
from tenantguard.policies.paths import dotted
from tenantguard.policies.rule import Example, Rule
from tenantguard.policies.rules.gpu.samples import container, deployment, template_claim, uses_claim
from tenantguard.policies.subjects import Subject


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    for pod_template in subject.pods:
        devices = pod_gpu_devices(pod_template)
        if devices:
            detail = ", ".join(f"{n} {name}" for name, n in devices.items())
            yield Finding(
                path=dotted(pod_template.path),
                message=f"DaemonSet pods request GPUs ({detail} per node); the number of pods "
                "follows the nodes, so the tenant's GPU cap cannot hold",
            )
        for name, n in dra.pod_class_requests(pod_template).items():
            yield Finding(
                path=dotted(pod_template.path),
                message=f"DaemonSet pods request DRA devices ({n} {dra.CLASS_RESOURCE_PREFIX}{name} per node); the "
                "number of pods follows the nodes, so the tenant's GPU cap cannot hold",
            )
        for ref in dra.pod_claims(pod_template.spec, pod_template.path):
            what = f"claim template {ref.template!r}" if ref.template else f"ResourceClaim {ref.claim!r}"
            yield Finding(
                path=dotted(ref.path),
                message=f"DaemonSet pods claim DRA devices ({what} on every node); the number of pods "
                "follows the nodes, so the tenant's GPU cap cannot hold",
            )


RULE = Rule(
    id="GPU008",
    slug="no-gpu-daemonset",
    title="Tenant DaemonSets request no GPUs",
    category=Category.GPU,
    severity=Severity.ERROR,
    kinds=frozenset({"DaemonSet"}),
    fix="run GPU workloads as a Deployment, StatefulSet, LeaderWorkerSet or Job with an explicit replica count",
    why="A DaemonSet's pod count follows the nodes, so its GPU use escapes the tenant-wide cap.",
    check=check,
    doc=__doc__ or "",
    allowed=(Example(object=deployment(1, container({"cpu": "100m"}), kind="DaemonSet")),),
    denied=(
        Example(object=deployment(1, container({"nvidia.com/gpu": 1}), kind="DaemonSet")),
        Example(
            object=deployment(
                1, uses_claim(container({"cpu": "1"})), kind="DaemonSet", resourceClaims=[template_claim("one-gpu")]
            ),
            note="a DRA claim template: one claim per node",
        ),
    ),
)
