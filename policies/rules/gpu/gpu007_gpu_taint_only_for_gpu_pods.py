"""GPU007 gpu-taint-only-for-gpu-pods — pods without GPUs stay off GPU nodes.

What it checks: a pod that requests no GPU-class resource has no toleration for the GPU taint (`key` equal to the
settings' `gpuTaintKey`, default `nvidia.com/gpu`, or an `operator: Exists` toleration without a key, which
tolerates every taint), no `nodeSelector` key and no required node-affinity `In`/`Exists`/`Gt`/`Lt` expression on a
GPU node label (prefixes from the settings' `gpuNodeLabelPrefixes`, default `nvidia.com/gpu`, `nvidia.com/mig`).
`NotIn` and `DoesNotExist` keep pods away from GPU nodes and are fine. A KServe predictor whose `model` container
sets no resources takes them from its ServingRuntime and is not judged here. A pod with `spec.resourceClaims` (or a
DeviceClass resource, `deviceclass.resource.kubernetes.io/<class>`) gets its devices through Dynamic Resource
Allocation: the scheduler places it where its claims' devices are, so it may tolerate the taint and select GPU nodes
like any GPU pod — its claims are judged themselves (GPU015, GPU016: only the tenant's GPU classes, and never a
claim that asks for nothing).

Why it matters: on a GPU node the NVIDIA runtime hands GPUs to any container whose environment asks for
them, and CUDA base images ask for all of them (`NVIDIA_VISIBLE_DEVICES=all` in the image, invisible to
admission): a pod that requests no GPU but runs there reads and uses GPUs allocated to other tenants, uncounted.
It also takes the CPU and memory sized for GPU pods, leaving GPUs idle but unschedulable. GPU012 refuses the
variable in the pod spec and GPU013 refuses `nodeName`, which skips the taint altogether.

Fix: remove the toleration and the GPU node selector, or request the GPU the pod really needs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tenantguard.policies import dra
from tenantguard.policies.context import Context
from tenantguard.policies.gpu import NODE_TERMS, match_expressions, pod_gpu_total, required_node_terms
from tenantguard.policies.model import Category, Finding, Severity
from tenantguard.policies.paths import dotted
from tenantguard.policies.rule import Example, Rule
from tenantguard.policies.rules.gpu.samples import claim_template, container, deployment, dra_pod, exact, gpu_pod, pod
from tenantguard.policies.subjects import PodTemplate, Subject

_SELECTING = frozenset({"In", "Exists", "Gt", "Lt"})


def _runtime_supplies_resources(pod_template: PodTemplate) -> bool:
    model = pod_template.spec.get("model")
    return pod_template.role == "predictor" and isinstance(model, dict) and not model.get("resources")


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    taint = ctx.settings.gpu_taint_key
    prefixes = ctx.settings.gpu_node_label_prefixes
    for pod_template in subject.pods:
        if pod_gpu_total(pod_template) > 0 or _runtime_supplies_resources(pod_template):
            continue
        if dra.pod_claims(pod_template.spec, pod_template.path) or dra.pod_class_requests(pod_template):
            continue  # a DRA pod: its claims hold its devices
        spec, base = pod_template.spec, pod_template.path
        tolerations = spec.get("tolerations")
        for i, tol in enumerate(tolerations if isinstance(tolerations, list) else ()):
            if not isinstance(tol, dict):
                continue
            key = tol.get("key") or ""
            if key == taint or (not key and tol.get("operator") == "Exists"):
                what = f"the GPU taint {taint!r}" if key else "every taint, the GPU taint included"
                yield Finding(
                    path=dotted((*base, "tolerations", i)),
                    message=f"pod requests no GPU but tolerates {what}",
                )
        selector = spec.get("nodeSelector")
        for label in selector if isinstance(selector, dict) else ():
            if isinstance(label, str) and label.startswith(prefixes):
                yield Finding(
                    path=dotted((*base, "nodeSelector", label)),
                    message=f"pod requests no GPU but selects GPU nodes by {label!r}",
                )
        for t, term in required_node_terms(spec):
            for j, expr in match_expressions(term):
                label = expr.get("key")
                selecting = expr.get("operator") in _SELECTING
                if selecting and isinstance(label, str) and label.startswith(prefixes):
                    yield Finding(
                        path=dotted((*base, *NODE_TERMS, t, "matchExpressions", j)),
                        message=f"pod requests no GPU but requires GPU nodes by {label!r}",
                    )


_TOLERATE: dict[str, Any] = {"tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]}

RULE = Rule(
    id="GPU007",
    slug="gpu-taint-only-for-gpu-pods",
    title="Pods without GPUs neither tolerate the GPU taint nor select GPU nodes",
    category=Category.GPU,
    severity=Severity.ERROR,
    pod_templates=True,
    fix="remove the GPU toleration and GPU node selector, or request the GPU the pod needs",
    why="On a GPU node the NVIDIA runtime gives a CUDA image every GPU, requested or not; it also strands GPUs.",
    check=check,
    doc=__doc__ or "",
    allowed=(
        Example(object=gpu_pod("nvidia.com/gpu", 1, **_TOLERATE), note="GPU pod tolerating the taint"),
        Example(object=pod(container({"cpu": "1"}), tolerations=[{"key": "dedicated", "operator": "Exists"}])),
        Example(
            object=dra_pod(container({"cpu": "1"}), template="one-gpu", **_TOLERATE),
            related=(claim_template("one-gpu", exact("gpu.nvidia.com", 1)),),
            note="a DRA GPU pod: its GPU comes from its claim",
        ),
    ),
    denied=(
        Example(object=pod(container({"cpu": "1"}), **_TOLERATE)),
        Example(
            object=deployment(
                2, container({"cpu": "1"}), nodeSelector={"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"}
            ),
            note="CPU-only Deployment selecting H100 nodes",
        ),
    ),
)
