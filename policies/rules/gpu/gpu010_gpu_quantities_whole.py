"""GPU010 gpu-quantities-whole — GPU quantities are whole, non-negative numbers.

What it checks: every GPU-class value in `resources.limits` and `resources.requests` of every container, init
container and KServe model container is a Kubernetes quantity (read as apimachinery reads it: `"1e1"` is ten,
`"2000m"` is two, `"0.01k"` is ten) that is whole and not negative.

Why it matters: kube-apiserver refuses a Pod whose extended-resource quantity is fractional or negative ("must
be an integer"), but custom resources that embed pod specs (InferenceService, RayCluster, LeaderWorkerSet…) are
not validated that way: `nvidia.com/gpu: "0.5"` or `"lots"` is stored, and the controller's pods then fail
minutes later. GPU accounting never counts such a value as nothing without saying so: a fraction counts
rounded up, and this rule reports both.

Fix: write the number of devices as a whole number (`1`, `"2"`); a GPU or MIG slice cannot be split. To share
a GPU, request a MIG profile.
"""

from __future__ import annotations

from collections.abc import Iterator

from tenantguard.policies.context import Context
from tenantguard.policies.gpu import gpu_containers
from tenantguard.policies.model import Category, Finding, Severity
from tenantguard.policies.paths import dotted
from tenantguard.policies.quantity import device_count
from tenantguard.policies.rule import Example, Rule
from tenantguard.policies.rules.gpu.samples import container, gpu_pod, isvc, pod
from tenantguard.policies.subjects import Subject


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    for pod_template in subject.pods:
        # gpu_containers lists each GPU resource of a container once (limits first); both values are judged.
        for ref, name, _ in gpu_containers(pod_template):
            resources = ref.container["resources"]
            for where in ("limits", "requests"):
                values = resources.get(where)
                if not isinstance(values, dict) or name not in values:
                    continue
                problem = device_count(values[name]).problem
                if problem:
                    yield Finding(
                        path=dotted((*ref.path, "resources", where, name)),
                        message=f"container {ref.name!r} {where} {name}: {problem}; GPU devices are whole numbers",
                    )


RULE = Rule(
    id="GPU010",
    slug="gpu-quantities-whole",
    title="GPU quantities are whole, non-negative numbers",
    category=Category.GPU,
    severity=Severity.ERROR,
    pod_templates=True,
    fix='write the number of GPU devices as a whole number (1, "2"); to share a GPU, request a MIG profile',
    why="A fractional GPU quantity in a custom resource is stored, then every pod its controller creates fails.",
    check=check,
    doc=__doc__ or "",
    allowed=(
        Example(object=gpu_pod("nvidia.com/gpu", "1e0"), note="one, in decimal exponent form"),
        Example(object=gpu_pod("nvidia.com/gpu", "2000m"), note="2000 thousandths are two"),
        Example(object=pod(container({"cpu": "500m"})), note="fractions are fine for CPU"),
    ),
    denied=(
        Example(object=isvc(1, container({"nvidia.com/gpu": "0.5"})), note="half a GPU in an InferenceService"),
        Example(object=gpu_pod("nvidia.com/mig-1g.10gb", "one"), note="not a quantity"),
    ),
)
