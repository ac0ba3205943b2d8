"""GPU004 no-gpu-mig-mix — a pod requests full GPUs or MIG slices, not both.

What it checks: across all containers, init containers and KServe model containers of a pod, GPU
resources are either `nvidia.com/gpu` (and `nvidia.com/gpu.shared`) or `nvidia.com/mig-*`, never both.
Each MIG key of such a pod is reported.

Why it matters: a node is partitioned by one MIG layout; a pod needing whole GPUs and slices at once
only fits nodes in the `mixed` strategy with both kinds free, so it sits Pending while holding quota, and
it muddles GPU-hour accounting (full GPUs weigh 1, slices g/7).

Fix: request either whole GPUs or MIG slices; split the workload into two pods if it needs both.
"""

from __future__ import annotations

from collections.abc import Iterator

from tenantguard.policies.context import Context
from tenantguard.policies.gpu import gpu_containers, is_mig_resource
from tenantguard.policies.model import Category, Finding, Severity
from tenantguard.policies.paths import dotted
from tenantguard.policies.rule import Example, Rule
from tenantguard.policies.rules.gpu.samples import container, deployment, gpu_pod, pod
from tenantguard.policies.subjects import Subject


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    for pod_template in subject.pods:
        keys = list(gpu_containers(pod_template))
        full = sorted({f"{ref.name!r}" for ref, name, _ in keys if not is_mig_resource(name)})
        if not full:
            continue
        for ref, name, where in keys:
            if is_mig_resource(name):
                yield Finding(
                    path=dotted((*ref.path, "resources", where, name)),
                    message=f"container {ref.name!r} requests MIG slices ({name}) while the pod "
                    f"also requests full GPUs (container {', '.join(full)})",
                )


RULE = Rule(
    id="GPU004",
    slug="no-gpu-mig-mix",
    title="A pod requests either full GPUs or MIG slices",
    category=Category.GPU,
    severity=Severity.ERROR,
    pod_templates=True,
    fix="request only nvidia.com/gpu or only nvidia.com/mig-* resources in one pod",
    why="Pods mixing whole GPUs and MIG slices rarely fit any node and blur GPU accounting.",
    check=check,
    doc=__doc__ or "",
    allowed=(
        Example(object=gpu_pod("nvidia.com/mig-1g.10gb", 2)),
        Example(object=pod(container({"nvidia.com/gpu": 1}), container({"nvidia.com/gpu": 1}, name="draft"))),
    ),
    denied=(
        Example(object=pod(container({"nvidia.com/gpu": 1, "nvidia.com/mig-1g.10gb": 1}))),
        Example(
            object=deployment(
                1, container({"nvidia.com/gpu": 1}), container({"nvidia.com/mig-3g.40gb": 1}, name="draft")
            ),
            note="two containers in a Deployment",
        ),
    ),
)
