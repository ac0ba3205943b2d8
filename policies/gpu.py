"""GPU accounting, pure: which resources are GPU-class, how many devices a pod holds, what they weigh.

Shared by the gpu rules, the GPU ledger (webhook cache, audit scan) and the audit's usage report, so that
admission, audit and lint count the same devices in the same unit. Counting follows the scheduler
(k8s.io/component-helpers `AggregateContainerRequests`, KEP-753 sidecars):

    pod = max( sum(app containers) + sum(sidecars),  max_i( init_i + sum(sidecars declared before i) ) )

per resource, where a container's request defaults to its limit (Kubernetes defaults requests of extended
resources to their limits). Quantities are read as apimachinery reads them (`policies.quantity`: `"1e1"` is ten);
a fractional one counts rounded up and a malformed one counts as nothing — GPU010 reports both.

The one unit for caps and reports is the GPU-equivalent (`device_weight`): a full GPU weighs 1, a MIG slice
`<g>g.<mem>gb` weighs g/7 of its GPU (the compute share NVIDIA's MIG profiles carve), exactly, as a Fraction.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from fractions import Fraction
from functools import lru_cache
from typing import Any

from tenantguard.policies.paths import Path
from tenantguard.policies.quantity import DeviceCount, device_count
from tenantguard.policies.subjects import PodTemplate, Subject
from tenantguard.policies.visit import ContainerRef, containers

FULL_GPU = "nvidia.com/gpu"
MIG_PREFIX = "nvidia.com/mig-"
PRODUCT_LABEL = "nvidia.com/gpu.product"
NODE_TERMS: Path = (
    "affinity",
    "nodeAffinity",
    "requiredDuringSchedulingIgnoredDuringExecution",
    "nodeSelectorTerms",
)
SHARED_SUFFIX = ".shared"  # device-plugin time-slicing with renameByDefault: nvidia.com/gpu.shared
# Kinds whose pod specs are merged into other objects' pods and create none themselves.
TEMPLATE_ONLY_KINDS = frozenset({"ServingRuntime", "ClusterServingRuntime"})

_MIG_SIZE = re.compile(r"[1-9]\d*g\.\d+gb")
_MIG = re.compile(r"^(?P<g>[1-9]\d*)g\.(?P<mem>\d+)gb(?P<attrs>(?:[+-][a-z]+(?:\.[a-z]+)*)?)$")
_APP_FIELDS = ("containers",)


def is_gpu_resource(name: Any) -> bool:
    """True for `nvidia.com/gpu`, `nvidia.com/mig-<profile>` and their time-sliced `.shared` variants."""
    return isinstance(name, str) and _is_gpu_name(name)


@lru_cache(maxsize=1024)  # every container's every resource name goes through here, and names repeat
def _is_gpu_name(name: str) -> bool:
    base = name.removesuffix(SHARED_SUFFIX)
    return base == FULL_GPU or (base.startswith(MIG_PREFIX) and len(base) > len(MIG_PREFIX))


def is_mig_resource(name: Any) -> bool:
    return is_gpu_resource(name) and str(name).startswith(MIG_PREFIX)


def mig_profile_of(resource: Any) -> str | None:
    """`nvidia.com/mig-1g.10gb.me` → `1g.10gb+me` (mig-parted's spelling); None for a non-MIG resource.

    The device plugin names a profile's resource with its `+` turned into `.`: `1g.24gb+me.all` is
    `mig-1g.24gb.me.all`, `1g.24gb+gfx` is `mig-1g.24gb.gfx`; `1g.24gb-me` keeps its `-`."""
    if not is_mig_resource(resource):
        return None
    profile = str(resource).removesuffix(SHARED_SUFFIX)[len(MIG_PREFIX) :]
    m = _MIG_SIZE.match(profile)
    if m is None or not profile[m.end() :].startswith("."):
        return profile
    return f"{m.group()}+{profile[m.end() + 1 :]}"


def mig_resource_of(profile: str) -> str:
    """`1g.10gb+me` → `nvidia.com/mig-1g.10gb.me`."""
    return MIG_PREFIX + profile.replace("+", ".", 1)


def is_mig_profile_name(profile: str) -> bool:
    """`<g>g.<mem>gb`, optionally with mig-parted's attributes (`+me`, `+me.all`, `+gfx`, `-me`)."""
    return _MIG.match(profile) is not None


@lru_cache(maxsize=256)
def _sevenths(resource: str) -> int:
    if not is_gpu_resource(resource):
        return 0
    profile = mig_profile_of(resource)
    m = _MIG.match(profile) if profile is not None else None
    return min(int(m.group("g")), 7) if m else 7


def device_weight(resource: str) -> Fraction:
    """GPU-equivalents one device of `resource` weighs: g/7 for a MIG slice `<g>g.<mem>gb` (at most 1), 1 for a
    full GPU, a time-sliced share (the share size is not in the name) and a MIG name that is not a profile (it
    is refused by GPU001/GPU003; counting it whole errs on the side of the cap); 0 for non-GPU resources."""
    return Fraction(_sevenths(resource), 7)


_NONE = Fraction(0)


def gpu_equivalents(devices: Mapping[str, int]) -> Fraction:
    """The weight of a set of devices (resource -> count) in GPU-equivalents, summed exactly (in sevenths)."""
    if not devices:  # most pods: no arithmetic at all
        return _NONE
    return Fraction(gpu_sevenths(devices), 7)


def gpu_sevenths(devices: Mapping[str, int]) -> int:
    """The same weight in sevenths of a GPU: sums of weights stay integers, and one Fraction is made of the total
    (Fraction arithmetic, in pure Python, was a tenth of judging a GPU workload)."""
    return sum(n * _sevenths(name) for name, n in devices.items())


def format_gpus(value: Fraction) -> str:
    """GPU-equivalents for people: `2`, `1.29` (multiples of 1/7 never round to a whole number at 2 places)."""
    return str(value.numerator) if value.denominator == 1 else f"{float(value):.2f}"


def quantity(value: Any) -> int | None:
    """A valid extended-resource quantity as a whole number of devices (`2`, `"2"`, `"2000m"`, `"1e1"`, `2.0`);
    None when kube-apiserver would refuse it for an extended resource (fractional, negative, malformed)."""
    found = device_count(value)
    return None if found.problem else found.count


def _resource_map(container: Mapping[str, Any], kind: str) -> Mapping[str, Any]:
    resources = container.get("resources")
    values = resources.get(kind) if isinstance(resources, dict) else None
    return values if isinstance(values, dict) else {}


def gpu_keys(container: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(resource, "limits" | "requests") for each GPU-class key, limits first, each resource once."""
    limits = _resource_map(container, "limits")
    requests = _resource_map(container, "requests")
    for name in limits:
        if is_gpu_resource(name):
            yield name, "limits"
    for name in requests:
        if is_gpu_resource(name) and name not in limits:
            yield name, "requests"


def container_gpu_requests(
    container: Mapping[str, Any], match: Callable[[Any], bool] = is_gpu_resource
) -> dict[str, int]:
    """GPU-class requests of one container (or those of the resources `match` picks), each defaulting to its
    limit. A request that is not a quantity at all (or negative) falls back to the limit; a fractional one counts
    rounded up."""
    out: dict[str, int] = {}
    limits = _resource_map(container, "limits")
    requests = _resource_map(container, "requests")
    for name in {*limits, *requests}:
        if not match(name):
            continue
        found: DeviceCount | None = device_count(requests[name]) if name in requests else None
        if (found is None or (found.problem and not found.count)) and name in limits:
            found = device_count(limits[name])
        if found is not None and found.count:
            out[name] = found.count
    return out


def _add(into: dict[str, int], more: Mapping[str, int]) -> None:
    for name, n in more.items():
        into[name] = into.get(name, 0) + n


def _max(into: dict[str, int], other: Mapping[str, int]) -> None:
    for name, n in other.items():
        into[name] = max(into.get(name, 0), n)


_MEMO_KEY = ("gpu-devices",)


def pod_gpu_devices(pod: PodTemplate) -> dict[str, int]:
    """Effective GPU-class devices per resource for one pod, as the scheduler counts them (a copy)."""
    memo = pod.memo.get(_MEMO_KEY)
    if memo is None:
        memo = pod.memo[_MEMO_KEY] = tuple(pod_requests(pod, is_gpu_resource).items())
    return dict(memo)


def pod_requests(pod: PodTemplate, match: Callable[[Any], bool]) -> dict[str, int]:
    """Effective requests of the resources `match` picks, whole units, as the scheduler counts them."""
    total: dict[str, int] = {}
    for ref in containers(pod, _APP_FIELDS):  # containers plus KServe's model/framework containers
        _add(total, container_gpu_requests(ref.container, match))
    sidecars: dict[str, int] = {}
    init_peak: dict[str, int] = {}
    for ref in containers(pod, ("initContainers",)):
        own = container_gpu_requests(ref.container, match)
        if ref.is_sidecar:
            _add(total, own)
            _add(sidecars, own)
            _max(init_peak, sidecars)
        else:
            running = dict(sidecars)
            _add(running, own)
            _max(init_peak, running)
    _max(total, init_peak)
    return {name: n for name, n in sorted(total.items()) if n > 0}


def pod_gpu_total(pod: PodTemplate) -> int:
    """How many GPU-class devices the pod holds, whatever they weigh (0: the pod requests no GPU)."""
    return sum(pod_gpu_devices(pod).values())


def pod_gpu_equivalents(pod: PodTemplate) -> Fraction:
    """What the pod holds in GPU-equivalents: the unit of `gpu.maxPerPod` and `gpu.maxTotal`."""
    return gpu_equivalents(pod_gpu_devices(pod))


def object_gpu_demand(subject: Subject) -> int:
    """Sum of replicas x devices per pod over the object's pod templates (0 for template-only kinds)."""
    if subject.kind in TEMPLATE_ONLY_KINDS:
        return 0
    return sum(pod.replicas * pod_gpu_total(pod) for pod in subject.pods)


def required_node_terms(spec: Mapping[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    """(index, term) of the pod's required node-affinity terms (at NODE_TERMS under the pod spec)."""
    node: Any = spec
    for key in NODE_TERMS:
        node = node.get(key) if isinstance(node, dict) else None
    return [(i, t) for i, t in enumerate(node) if isinstance(t, dict)] if isinstance(node, list) else []


def match_expressions(term: Mapping[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    exprs = term.get("matchExpressions")
    return [(j, e) for j, e in enumerate(exprs) if isinstance(e, dict)] if isinstance(exprs, list) else []


def selected_products(spec: Mapping[str, Any]) -> frozenset[str] | None:
    """GPU products the pod can land on, by `nodeSelector` or required node affinity on the product label;
    None when it does not constrain the product (a term without a product `In` leaves it open)."""
    chosen: frozenset[str] | None = None
    selector = spec.get("nodeSelector")
    if isinstance(selector, dict) and isinstance(selector.get(PRODUCT_LABEL), str):
        chosen = frozenset({selector[PRODUCT_LABEL]})
    terms = required_node_terms(spec)
    union: set[str] = set()
    for _, term in terms:
        values: set[str] | None = None
        for _, expr in match_expressions(term):
            listed = expr.get("values")
            if expr.get("key") == PRODUCT_LABEL and expr.get("operator") == "In" and isinstance(listed, list):
                these = {v for v in listed if isinstance(v, str)}
                values = these if values is None else values & these
        if values is None:  # terms are ORed: this one admits any product
            return chosen
        union |= values
    if terms:
        chosen = frozenset(union) if chosen is None else chosen & union
    return chosen


_KEYS_MEMO = ("gpu-keys",)


def gpu_containers(pod: PodTemplate) -> Iterator[tuple[ContainerRef, str, str]]:
    """(container, resource, "limits" | "requests") for every GPU-class key of every container of the pod."""
    found = pod.memo.get(_KEYS_MEMO)
    if found is None:
        found = pod.memo[_KEYS_MEMO] = tuple(
            (ref, name, where) for ref in containers(pod) for name, where in gpu_keys(ref.container)
        )
    return iter(found)
