"""GPU013 no-node-name — tenant pods are placed by the scheduler, not pinned with `spec.nodeName`.

What it checks: no pod template of a tenant workload or serving object sets `nodeName`, and no tenant Pod is
created with `spec.nodeName`. The scheduler fills `spec.nodeName` itself (through the binding subresource), so a
Pod is judged only when it is created, and the audit does not judge existing Pods (every scheduled one has it);
templates are judged everywhere. Requests from platform identities (settings `platformUsers`/`platformGroups`)
are not judged.

Why it matters: a pod with `spec.nodeName` skips the scheduler — node affinity, the GPU taint (the kubelet checks
only `NoExecute` taints), dedicated pools — and lands on any node the tenant names. A pod that requests no GPU,
pinned to a GPU node and running a CUDA image (which sets `NVIDIA_VISIBLE_DEVICES=all`), gets every GPU of that
node from the NVIDIA runtime, uncounted and uncapped; GPU007 cannot see the node behind a name.

Fix: remove `nodeName` and select nodes with `nodeSelector` or node affinity (and request the GPUs the pod needs).
"""

from __future__ import annotations

from collections.abc import Iterator

from tenantguard.policies.context import Context
from tenantguard.policies.model import Category, Finding, Severity
from tenantguard.policies.paths import dotted
from tenantguard.policies.request import Operation, Origin
from tenantguard.policies.rule import Example, Rule
from tenantguard.policies.rules.gpu.samples import container, deployment, pod
from tenantguard.policies.subjects import Subject


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    if ctx.by_platform:
        return
    if subject.kind == "Pod" and (ctx.operation is not Operation.CREATE or ctx.request.origin is Origin.EXISTING):
        return  # the scheduler binds every pod to a node: only what its author wrote at creation is judged
    for pod_template in subject.pods:
        node = pod_template.spec.get("nodeName")
        if isinstance(node, str) and node:
            yield Finding(
                path=dotted((*pod_template.path, "nodeName")),
                message=f"pod is pinned to node {node!r}, bypassing the scheduler, its taints and node affinity; "
                "select nodes with nodeSelector or affinity instead",
            )


RULE = Rule(
    id="GPU013",
    slug="no-node-name",
    title="Tenant pods are placed by the scheduler, not pinned with nodeName",
    category=Category.GPU,
    severity=Severity.ERROR,
    pod_templates=True,
    fix="remove spec.nodeName; select nodes with nodeSelector or node affinity",
    why="nodeName skips the scheduler and the GPU taint: a pod without GPUs can land on a GPU node and use them.",
    check=check,
    doc=__doc__ or "",
    allowed=(
        Example(object=pod(container({"cpu": "1"}), nodeSelector={"kubernetes.io/hostname": "cpu-0"})),
        Example(
            object=pod(container({"cpu": "1"}), nodeName="gpu-0"),
            operation="UPDATE",
            old=pod(container({"cpu": "1"}), nodeName="gpu-0"),
            note="the scheduler's binding: an update of a scheduled pod",
        ),
    ),
    denied=(
        Example(object=pod(container({"cpu": "1"}), nodeName="gpu-0")),
        Example(object=deployment(2, container({"cpu": "1"}), nodeName="gpu-0"), note="in a pod template"),
    ),
)
