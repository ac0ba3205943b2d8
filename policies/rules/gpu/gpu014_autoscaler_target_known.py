"""GPU014 autoscaler-target-known — an autoscaler's GPU bound can be judged: its target is known.

What it checks: for a HorizontalPodAutoscaler in a tenant with a GPU allowance, GPU006 and GPU011 need the
target's pods to weigh `maxReplicas`. This rule says when they could not: the target is not a kind
tenantguard reads (Deployment, StatefulSet, ReplicaSet, ReplicationController, LeaderWorkerSet), or it is not
known where the HPA is judged — lint found it among neither the inputs nor `--tenants`; at admission it does
not exist yet (or could not be read). The audit reads every workload, so there a target it did not find holds no GPUs.

Why it matters: an autoscaler can multiply a GPU workload's pods up to `maxReplicas`; a bound nobody could
judge should not pass silently. The pods it adds are still judged as they are created, and `scale` requests
are judged by GPU006 — but the tenant learns it at apply time only if the target is known.

Fix: lint the HPA together with its target (same inputs), or apply the target before the HPA.
"""

from __future__ import annotations

from collections.abc import Iterator

from tenantguard.policies.context import Context
from tenantguard.policies.gpu_demand import target_of
from tenantguard.policies.model import Category, Finding, Severity
from tenantguard.policies.rule import Example, Rule
from tenantguard.policies.rules.gpu.samples import container, deployment
from tenantguard.policies.scaling import BY_KIND, HPA_KIND
from tenantguard.policies.subjects import Subject


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    if ctx.tenant is None or ctx.tenant.gpu is None:
        return
    ref, target = target_of(subject, ctx)
    if ref is None:
        return
    what = f"{ref.kind} {ref.name!r}"
    if ref.scale_kind is None:
        readable = ", ".join(f"{k.group}/{k.kind}" if k.group else k.kind for k in BY_KIND.values())
        yield Finding(
            path="spec.scaleTargetRef",
            message=f"the GPU bound of {what} ({ref.api_version or 'no apiVersion'}) cannot be judged: tenantguard "
            f"reads {readable}; its pods are judged as they are created",
        )
    elif target is None and not ctx.cluster.workloads_complete:
        yield Finding(
            path="spec.scaleTargetRef",
            message=f"the GPU bound (spec.maxReplicas) cannot be judged: {what} is not known here — lint it with "
            "the HPA, or create it first",
        )


def _hpa(kind: str = "Deployment", api: str = "apps/v1") -> dict[str, object]:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": HPA_KIND,
        "metadata": {"name": "vllm", "namespace": "acme-prod"},
        "spec": {"scaleTargetRef": {"apiVersion": api, "kind": kind, "name": "vllm"}, "maxReplicas": 4},
    }


RULE = Rule(
    id="GPU014",
    slug="autoscaler-target-known",
    title="An autoscaler's target is known, so its GPU bound can be judged",
    category=Category.GPU,
    severity=Severity.WARNING,
    kinds=frozenset({HPA_KIND}),
    fix="lint the HorizontalPodAutoscaler together with its target, or create the target first",
    why="An autoscaler multiplies a GPU workload's pods up to maxReplicas; an unjudged bound must not pass silently.",
    check=check,
    doc=__doc__ or "",
    allowed=(Example(object=_hpa(), related=(deployment(1, container({"nvidia.com/gpu": 1})),)),),
    denied=(
        Example(object=_hpa(), note="lint without the Deployment among the inputs"),
        Example(object=_hpa("Rollout", "argoproj.io/v1alpha1"), note="a kind tenantguard does not read"),
    ),
)
