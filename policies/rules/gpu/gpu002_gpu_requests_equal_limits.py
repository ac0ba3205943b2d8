"""GPU002 gpu-requests-equal-limits — a GPU request, when set, equals its limit.

What it checks: for every GPU-class resource in every container, init container and KServe model
container, `resources.requests[<resource>]` (if present) has a limit, and equals
`resources.limits[<resource>]`. Setting only the limit is fine: Kubernetes copies it into the request.

Why it matters: extended resources such as GPUs and MIG slices cannot be overcommitted, so the API
server rejects a request that differs from its limit or has none — but only when the Pod is created,
minutes after a Deployment or InferenceService was accepted. This rule says so at apply time, on the
object the developer wrote, and keeps GPU accounting (quota, usage reports) on one number per container.

Fix: set `resources.limits[<resource>]` to the same whole number as the request, or drop the request.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tenantguard.policies.context import Context
from tenantguard.policies.gpu import is_gpu_resource, quantity
from tenantguard.policies.model import Category, Finding, Severity
from tenantguard.policies.paths import dotted
from tenantguard.policies.rule import Example, Rule
from tenantguard.policies.rules.gpu.samples import container, deployment, gpu_pod, pod
from tenantguard.policies.subjects import Subject
from tenantguard.policies.visit import containers


def _mapping(resources: Any, key: str) -> dict[str, Any]:
    value = resources.get(key) if isinstance(resources, dict) else None
    return value if isinstance(value, dict) else {}


def _same(a: Any, b: Any) -> bool:
    qa, qb = quantity(a), quantity(b)
    return qa == qb if qa is not None and qb is not None else str(a).strip() == str(b).strip()


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    for pod_template in subject.pods:
        for ref in containers(pod_template):
            resources = ref.container.get("resources")
            limits, requests = _mapping(resources, "limits"), _mapping(resources, "requests")
            for name, requested in requests.items():
                if not is_gpu_resource(name):
                    continue
                if name not in limits:
                    yield Finding(
                        path=dotted((*ref.path, "resources", "requests", name)),
                        message=f"container {ref.name!r} requests {requested} {name} "
                        "without a limit; GPU resources need limits equal to requests",
                    )
                elif not _same(requested, limits[name]):
                    yield Finding(
                        path=dotted((*ref.path, "resources", "requests", name)),
                        message=f"container {ref.name!r} requests {requested} {name} "
                        f"but its limit is {limits[name]}; GPUs cannot be overcommitted",
                    )


RULE = Rule(
    id="GPU002",
    slug="gpu-requests-equal-limits",
    title="GPU requests equal GPU limits",
    category=Category.GPU,
    severity=Severity.ERROR,
    pod_templates=True,
    fix="set resources.limits to the same whole number as resources.requests for the GPU resource "
    "(or set only the limit)",
    why="GPUs cannot be overcommitted: Kubernetes rejects the Pod later, long after the workload was accepted.",
    check=check,
    doc=__doc__ or "",
    allowed=(
        Example(object=gpu_pod("nvidia.com/gpu", 1), note="limit only"),
        Example(
            object=pod(container({"nvidia.com/gpu": 2}, {"nvidia.com/gpu": "2", "cpu": "1"})),
            note="equal, one written as a string",
        ),
    ),
    denied=(
        Example(object=pod(container({"nvidia.com/gpu": 2}, {"nvidia.com/gpu": 1}))),
        Example(
            object=deployment(1, container(requests={"nvidia.com/mig-1g.10gb": 1})),
            note="request without a limit",
        ),
    ),
)
