"""GPU017 no-device-admin-access — tenants never get administrative access to devices.

What it checks: no request of a ResourceClaim or ResourceClaimTemplate in a tenant namespace sets
`adminAccess: true`, and no tenant namespace carries the label `resource.kubernetes.io/admin-access: "true"`
(without which kube-apiserver itself refuses adminAccess). An update that leaves a claim's requests as they
were is not judged.

Why it matters: a claim with admin access is allocated devices that are already in use, ignoring every other
claim — it is how a monitoring agent reaches every GPU of a node. In a tenant's hands it reaches the GPUs (and
their memory) allocated to other tenants' pods, and its devices count against no cap. The namespace label is
the API server's own gate: a tenant namespace that carries it is one API call from that access.

Fix: remove `adminAccess` from the request, and the label from the namespace. Device monitoring belongs to the
platform, in an exempt namespace.
"""

from __future__ import annotations

from collections.abc import Iterator

from tenantguard.policies import dra
from tenantguard.policies.context import Context
from tenantguard.policies.model import Category, Finding, Severity
from tenantguard.policies.paths import dotted
from tenantguard.policies.rule import Example, Rule
from tenantguard.policies.rules.gpu.samples import ACME, claim, claim_template, exact
from tenantguard.policies.subjects import Subject


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    if ctx.tenant is None:
        return
    if subject.kind == "Namespace":
        if subject.labels.get(dra.ADMIN_ACCESS_LABEL) == "true":
            yield Finding(
                path=dotted(("metadata", "labels", dra.ADMIN_ACCESS_LABEL)),
                message=f"tenant namespace {subject.name!r} would let its claims take administrative access to "
                "devices in use by other tenants",
            )
        return
    spec = dra.claim_spec(subject.obj)
    if spec is None or dra.unchanged(subject.obj, ctx.old):
        return
    for choice in spec.choices():
        if choice.admin_access:
            yield Finding(
                path=dotted((*choice.path, "adminAccess")),
                message=f"request {choice.name!r} asks for administrative access to {choice.device_class!r} "
                "devices: devices in use by other tenants' pods, counted against no cap",
            )


def _namespace(labels: dict[str, str]) -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "acme-dev", "labels": {**ACME, **labels}}}


RULE = Rule(
    id="GPU017",
    slug="no-device-admin-access",
    title="Tenants never claim administrative access to devices",
    category=Category.GPU,
    severity=Severity.ERROR,
    kinds=dra.CLAIM_KINDS | {"Namespace"},
    fix="remove adminAccess from the request and resource.kubernetes.io/admin-access from the namespace",
    why="Admin access reaches devices allocated to other tenants' pods and counts against no cap.",
    check=check,
    doc=__doc__ or "",
    allowed=(
        Example(object=claim("llm", exact("gpu.nvidia.com", 1, adminAccess=False))),
        Example(object=_namespace({})),
    ),
    denied=(
        Example(object=claim_template("monitor", exact("gpu.nvidia.com", 1, adminAccess=True))),
        Example(object=_namespace({dra.ADMIN_ACCESS_LABEL: "true"}), note="kube-apiserver's own gate"),
    ),
)
