"""GPU021 named-claims-standalone — pods share only claims made to be shared, never another pod's own.

What it checks: every `spec.resourceClaims[].resourceClaimName` of a pod (and of every pod template) names a
ResourceClaim that is not controlled by a Pod. A claim controlled by a Pod is the one the resourceclaim
controller made from a template for that pod (or the one the scheduler made for its DeviceClass resources); it
was counted as that pod's. Where the claim is not known (lint without it, a claim not created yet), GPU022 says
so. A pod can only name a claim of its own namespace — `PodResourceClaim` has no namespace field, and
kube-apiserver resolves the name there — so no pod reaches another tenant's claim by name; this rule closes
what is left of "a claim it does not own".

Why it matters: kube-scheduler checks that a claim made from a template belongs to the pod that uses it only
when the pod names the template; a pod that names the generated claim directly (`resourceClaimName:
vllm-0-gpu-x7k2p`) gets the same devices — sharing a GPU that the tenant's caps and the usage report count for
one pod, and keeping it allocated after that pod is gone.

Fix: name a ResourceClaim created to be shared (no pod as its controller), or give the pod a claim template of
its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tenantguard.policies import dra
from tenantguard.policies.context import Context
from tenantguard.policies.model import Category, Finding, Severity
from tenantguard.policies.paths import dotted
from tenantguard.policies.rule import Example, Rule
from tenantguard.policies.rules.gpu.samples import claim, container, dra_pod, exact
from tenantguard.policies.subjects import Subject


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    for pod_template in subject.pods:
        for ref in dra.pod_claims(pod_template.spec, pod_template.path):
            found = ctx.cluster.claim(subject.namespace, ref.claim) if ref.claim else None
            if found is not None and found.pod:
                made = "for its DeviceClass resources" if found.extended else "from a claim template"
                yield Finding(
                    path=dotted((*ref.path, "resourceClaimName")),
                    message=f"ResourceClaim {ref.claim!r} was made {made} for pod {found.pod!r} "
                    "and is counted as that pod's; a pod may not take its devices",
                )


_OWNED: dict[str, Any] = {
    "ownerReferences": [{"apiVersion": "v1", "kind": "Pod", "name": "vllm-0", "uid": "u-1", "controller": True}],
    "annotations": {dra.POD_CLAIM_ANNOTATION: "gpu"},
}

RULE = Rule(
    id="GPU021",
    slug="named-claims-standalone",
    title="Pods name only claims made to be shared, never one made for another pod",
    category=Category.GPU,
    severity=Severity.ERROR,
    pod_templates=True,
    fix="name a standalone ResourceClaim (no pod as its controller), or use a claim template of the pod's own",
    why="A claim made for one pod is counted as that pod's; another pod naming it shares a GPU nobody counts.",
    check=check,
    doc=__doc__ or "",
    allowed=(
        Example(
            object=dra_pod(container({"cpu": "1"}), claim="shared"),
            related=(claim("shared", exact("gpu.nvidia.com", 1)),),
        ),
    ),
    denied=(
        Example(
            object=dra_pod(container({"cpu": "1"}), claim="vllm-0-gpu-x7k2p"),
            related=(claim("vllm-0-gpu-x7k2p", exact("gpu.nvidia.com", 1), **_OWNED),),
            note="the claim a template made for pod vllm-0",
        ),
    ),
)
