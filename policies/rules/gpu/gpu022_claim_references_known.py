"""GPU022 claim-references-known — the claims and claim templates a pod names are known when it is judged.

What it checks: every `spec.resourceClaims[]` entry of a pod (and of every pod template) names a
ResourceClaimTemplate or ResourceClaim that exists in the object's namespace as far as this entry point can
see: the webhook's cache, the audit's scan, lint's inputs and `--tenants` files. A warning, not a denial: kube-
apiserver accepts a pod whose claim does not exist yet (it waits, Pending), and Helm creates kinds it does not
know — claims and templates — after Deployments.

Why it matters: what the caps do not see they cannot count. The devices of an unknown claim are left out of the
pod's per-pod cap (GPU005) and, for a template, out of the tenant-wide total (GPU006, GPU020) — until the claim or
template is created: then it is judged with the pods that already name it (GPU005, GPU006), so the order of
creation does not open a way around the caps. The warning says which devices were not counted yet.

Fix: create the claim or template first (or lint it together with the pod: `tenantguard lint claims.yaml
deploy.yaml`), or correct its name.
"""

from __future__ import annotations

from collections.abc import Iterator

from tenantguard.policies import dra
from tenantguard.policies.context import Context
from tenantguard.policies.model import Category, Finding, Severity
from tenantguard.policies.paths import dotted
from tenantguard.policies.rule import Example, Rule
from tenantguard.policies.rules.gpu.samples import claim_template, container, dra_pod, exact
from tenantguard.policies.subjects import Subject


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    for pod_template in subject.pods:
        for ref in dra.pod_claims(pod_template.spec, pod_template.path):
            if ref.template and ctx.cluster.claim_template(subject.namespace, ref.template) is None:
                field, what = "resourceClaimTemplateName", f"ResourceClaimTemplate {ref.template!r}"
            elif ref.claim and ctx.cluster.claim(subject.namespace, ref.claim) is None:
                field, what = "resourceClaimName", f"ResourceClaim {ref.claim!r}"
            else:
                continue
            yield Finding(
                path=dotted((*ref.path, field)),
                message=f"{what} not known in {subject.namespace!r}: its devices count only once it exists",
            )


RULE = Rule(
    id="GPU022",
    slug="claim-references-known",
    title="The claims and claim templates a pod names are known when it is judged",
    category=Category.GPU,
    severity=Severity.WARNING,
    pod_templates=True,
    fix="create the claim or template before the pod (lint them together), or correct its name",
    why="Devices of a claim the webhook or lint cannot see are counted only once it is created.",
    check=check,
    doc=__doc__ or "",
    allowed=(
        Example(
            object=dra_pod(container({"cpu": "1"}), template="one-gpu"),
            related=(claim_template("one-gpu", exact("gpu.nvidia.com", 1)),),
        ),
    ),
    denied=(Example(object=dra_pod(container({"cpu": "1"}), template="not-yet")),),
)
