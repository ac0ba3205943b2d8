"""Dynamic Resource Allocation, pure: what a ResourceClaim or ResourceClaimTemplate asks for, counted the way
ResourceQuota counts claims and weighed the way every GPU cap weighs devices (`policies.gpu`).

A claim (`resource.k8s.io/v1`, `spec.devices.requests[]`) asks for devices request by request. A request is
`exactly` one DeviceClass with `allocationMode` ExactCount (`count`, default 1) or All (every matching device of
a pool), optional CEL `selectors` and `adminAccess`; or `firstAvailable`, alternatives of which the scheduler takes
the first it can satisfy. A ResourceClaimTemplate carries the same spec under `spec.spec`; the resourceclaim
controller makes one claim from it for every pod that names it (the claim is controlled by that pod and
annotated `resource.kubernetes.io/pod-claim-name`).

Counting (ResourceQuota's `<class>.deviceclass.resource.k8s.io/devices`, kube-apiserver's claim evaluator): an
exact count; All as 32, the most devices one allocation can hold; a firstAvailable request as its largest
alternative per class. Weighing (GPU-equivalents, in sevenths): a device whose selectors (the claim's and its
class's, `policies.cel`) pin MIG profiles weighs the largest g/7 among them; any other device weighs a full GPU
— the worst a GPU driver can hand out. A firstAvailable request weighs its heaviest alternative.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from tenantguard.policies import cel
from tenantguard.policies.fields import mapping, sequence
from tenantguard.policies.gpu import is_mig_profile_name, pod_requests
from tenantguard.policies.paths import Path
from tenantguard.policies.subjects import PodTemplate
from tenantguard.policies.visit import ContainerRef, containers

GROUP = "resource.k8s.io"
CLAIM = "ResourceClaim"
TEMPLATE = "ResourceClaimTemplate"
DEVICE_CLASS = "DeviceClass"
RESOURCE_SLICE = "ResourceSlice"
CLAIM_KINDS = frozenset({CLAIM, TEMPLATE})
EXACT = "ExactCount"
ALL = "All"
ALL_COUNT = 32  # AllocationResultsMaxSize: what ResourceQuota counts for allocationMode All
QUOTA_SUFFIX = ".deviceclass.resource.k8s.io/devices"
ADMIN_ACCESS_LABEL = "resource.kubernetes.io/admin-access"  # on a namespace: its claims may ask for adminAccess
POD_CLAIM_ANNOTATION = "resource.kubernetes.io/pod-claim-name"  # on a claim made from a template for a pod
EXTENDED_CLAIM_ANNOTATION = "resource.kubernetes.io/extended-resource-claim"  # the scheduler's, for extended res.
CLASS_RESOURCE_PREFIX = "deviceclass.resource.kubernetes.io/"  # a DeviceClass's implicit extended resource
FULL = 7  # sevenths of a full GPU


@dataclass(frozen=True, slots=True, kw_only=True)
class Choice:
    """One way a request can be met: its `exactly`, or one `firstAvailable` subrequest."""

    path: Path  # the `exactly` object, or the subrequest
    name: str  # `<request>` or `<request>/<subrequest>`, as allocation results name it
    device_class: str
    mode: str  # allocationMode as written ("" reads as ExactCount)
    count: int  # devices, as ResourceQuota counts them
    admin_access: bool
    selectors: tuple[tuple[Path, str], ...]  # (path of the CEL expression, expression)

    @property
    def facts(self) -> cel.Facts:
        return cel.read_all(expression for _, expression in self.selectors)


@dataclass(frozen=True, slots=True, kw_only=True)
class Request:
    name: str
    path: Path
    choices: tuple[Choice, ...]  # one for `exactly`; the alternatives of `firstAvailable` in order
    first_available: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimSpec:
    """The device requests of a claim or a template, with where they are."""

    kind: str
    path: Path  # spec.devices (a claim) or spec.spec.devices (a template)
    requests: tuple[Request, ...]

    def choices(self) -> Iterator[Choice]:
        for request in self.requests:
            yield from request.choices


def _count(raw: Mapping[str, Any]) -> tuple[str, int]:
    mode = raw.get("allocationMode")
    mode = mode if isinstance(mode, str) else ""
    if mode == ALL:
        return mode, ALL_COUNT
    count = raw.get("count")
    n = count if isinstance(count, int) and not isinstance(count, bool) and count > 0 else 1
    return mode, n


def _choice(raw: Any, path: Path, name: str) -> Choice:
    body = mapping(raw)
    mode, count = _count(body)
    selectors = tuple(
        ((*path, "selectors", i, "cel", "expression"), expression)
        for i, s in enumerate(sequence(body.get("selectors")))
        if isinstance(expression := mapping(mapping(s).get("cel")).get("expression"), str)
    )
    device_class = body.get("deviceClassName")
    return Choice(
        path=path,
        name=name,
        device_class=device_class if isinstance(device_class, str) else "",
        mode=mode,
        count=count,
        admin_access=body.get("adminAccess") is True,
        selectors=selectors,
    )


def claim_spec(obj: Mapping[str, Any]) -> ClaimSpec | None:
    """The requests of a ResourceClaim or ResourceClaimTemplate; None for any other kind."""
    kind = obj.get("kind")
    if kind == CLAIM:
        base: Path = ("spec",)
        spec = mapping(obj.get("spec"))
    elif kind == TEMPLATE:
        base = ("spec", "spec")
        spec = mapping(mapping(obj.get("spec")).get("spec"))
    else:
        return None
    path: Path = (*base, "devices")
    requests = []
    for i, raw in enumerate(sequence(mapping(spec.get("devices")).get("requests"))):
        body = mapping(raw)
        name = body.get("name") if isinstance(body.get("name"), str) else str(i)
        at: Path = (*path, "requests", i)
        alternatives = sequence(body.get("firstAvailable"))
        if alternatives:
            choices = tuple(
                _choice(sub, (*at, "firstAvailable", j), f"{name}/{mapping(sub).get('name', j)}")
                for j, sub in enumerate(alternatives)
            )
            requests.append(Request(name=str(name), path=at, choices=choices, first_available=True))
        else:
            exact = _choice(body.get("exactly"), (*at, "exactly"), str(name))
            requests.append(Request(name=str(name), path=at, choices=(exact,), first_available=False))
    return ClaimSpec(kind=str(kind), path=path, requests=tuple(requests))


def class_facts(obj: Mapping[str, Any]) -> cel.Facts:
    """What a DeviceClass's own selectors pin: every device claimed through the class satisfies them."""
    selectors = sequence(mapping(obj.get("spec")).get("selectors"))
    expressions = (mapping(mapping(s).get("cel")).get("expression") for s in selectors)
    return cel.read_all(e for e in expressions if isinstance(e, str))


Classes = Mapping[str, cel.Facts]  # DeviceClass name -> what its selectors pin (the classes known here)


def facts_of(choice: Choice, classes: Classes) -> cel.Facts:
    """What the choice's selectors and its class's selectors pin together."""
    return choice.facts & classes.get(choice.device_class, cel.NOTHING)


def sevenths(facts: cel.Facts) -> int:
    """The weight of one device in sevenths of a GPU: the largest g of the MIG profiles pinned, else a full GPU."""
    if facts.type == frozenset({"gpu"}) or not facts.profile:
        return FULL
    return max(_size(p) for p in facts.profile)


def _size(profile: str) -> int:
    """g of a MIG profile `<g>g.<mem>gb`; a full GPU for anything that is not one."""
    return min(int(profile.split("g.", 1)[0]), FULL) if is_mig_profile_name(profile) else FULL


@dataclass(frozen=True, slots=True)
class ClaimDevices:
    """The devices a claim gives every pod that uses it, at its worst case: per DeviceClass (as ResourceQuota
    counts them) and their weight in sevenths of a GPU."""

    classes: tuple[tuple[str, int], ...] = ()
    sevenths: int = 0

    def __bool__(self) -> bool:
        return bool(self.classes)

    @property
    def equivalents(self) -> Fraction:
        return Fraction(self.sevenths, 7)

    def count(self, device_class: str) -> int:
        return dict(self.classes).get(device_class, 0)

    def __add__(self, other: ClaimDevices) -> ClaimDevices:
        merged = dict(self.classes)
        for name, n in other.classes:
            merged[name] = merged.get(name, 0) + n
        return ClaimDevices(tuple(sorted(merged.items())), self.sevenths + other.sevenths)

    def __mul__(self, times: int) -> ClaimDevices:
        return ClaimDevices(tuple((name, n * times) for name, n in self.classes if n * times), self.sevenths * times)

    def detail(self) -> str:
        """`2 gpu.nvidia.com + 1 mig.nvidia.com`"""
        return " + ".join(f"{n} {name}" for name, n in self.classes)


NO_DEVICES = ClaimDevices()


def devices(spec: ClaimSpec | None, classes: Classes) -> ClaimDevices:
    """The claim's devices at its worst case (see the module docstring)."""
    if spec is None:
        return NO_DEVICES
    total = NO_DEVICES
    for request in spec.requests:
        counts: dict[str, int] = {}
        heaviest = 0
        for choice in request.choices:
            counts[choice.device_class] = max(counts.get(choice.device_class, 0), choice.count)
            heaviest = max(heaviest, choice.count * sevenths(facts_of(choice, classes)))
        total += ClaimDevices(tuple(sorted(counts.items())), heaviest)
    return total


def sum_devices(found: Iterable[ClaimDevices]) -> ClaimDevices:
    total = NO_DEVICES
    for d in found:
        total += d
    return total


@dataclass(frozen=True, slots=True, kw_only=True)
class PodClaim:
    """One `spec.resourceClaims[]` entry of a pod: a claim of its own made from a template, or a named claim."""

    name: str  # the entry's name (what containers' resources.claims refer to)
    path: Path
    template: str = ""
    claim: str = ""


def pod_claims(spec: Mapping[str, Any], base: Path) -> tuple[PodClaim, ...]:
    """The resource claims of a pod spec (at `base`)."""
    out = []
    for i, raw in enumerate(sequence(spec.get("resourceClaims"))):
        entry = mapping(raw)
        template, claim = entry.get("resourceClaimTemplateName"), entry.get("resourceClaimName")
        out.append(
            PodClaim(
                name=str(entry.get("name") or ""),
                path=(*base, "resourceClaims", i),
                template=template if isinstance(template, str) else "",
                claim=claim if isinstance(claim, str) else "",
            )
        )
    return tuple(out)


def unchanged(obj: Mapping[str, Any], old: Mapping[str, Any] | None) -> bool:
    """An UPDATE (`old` is the stored object) that leaves the claim's requests as they were: the spec is
    immutable, so this is the scheduler adding its finalizer or a label change. The rules on claims judge what a
    claim asks for, so such an update is never refused, even when the tenant's allowance has shrunk since — nor
    is the finalizer's removal, without which the claim could not be deleted."""
    return old is not None and claim_spec(old) == claim_spec(obj)


def is_class_resource(name: Any) -> bool:
    """`deviceclass.resource.kubernetes.io/<class>`: a container resource the scheduler meets with a claim of
    that DeviceClass (DRAExtendedResource, on by default since Kubernetes 1.35) — DRA devices without a claim
    object in the pod spec."""
    return isinstance(name, str) and name.startswith(CLASS_RESOURCE_PREFIX) and len(name) > len(CLASS_RESOURCE_PREFIX)


_CLASS_MEMO = ("dra-class-requests",)


def pod_class_requests(pod: PodTemplate) -> dict[str, int]:
    """Devices per DeviceClass the pod asks for through class resources, as the scheduler counts requests."""
    memo = pod.memo.get(_CLASS_MEMO)
    if memo is None:
        found = pod_requests(pod, is_class_resource) if any(True for _ in class_keys(pod)) else {}
        memo = pod.memo[_CLASS_MEMO] = tuple((k[len(CLASS_RESOURCE_PREFIX) :], n) for k, n in sorted(found.items()))
    return dict(memo)


def class_keys(pod: PodTemplate) -> Iterator[tuple[ContainerRef, str, str]]:
    """(container, resource, "limits" | "requests") for every class resource of every container of the pod."""
    for ref in containers(pod):
        resources = ref.container.get("resources")
        if not isinstance(resources, dict):  # most containers: no resources, or none of these
            continue
        limits, requests = mapping(resources.get("limits")), mapping(resources.get("requests"))
        for name in limits:
            if is_class_resource(name):
                yield ref, name, "limits"
        for name in requests:
            if is_class_resource(name) and name not in limits:
                yield ref, name, "requests"


def class_request_devices(requests: Mapping[str, int], classes: Classes) -> ClaimDevices:
    """Class resources as devices: each weighs what its class's selectors pin."""
    return sum_devices(
        ClaimDevices(((name, n),), n * sevenths(classes.get(name, cel.NOTHING))) for name, n in sorted(requests.items())
    )


def quota_key(device_class: str) -> str:
    """The ResourceQuota resource that counts a DeviceClass's devices in a namespace."""
    return device_class + QUOTA_SUFFIX
