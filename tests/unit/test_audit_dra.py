"""The audit and DRA: claims judged like every object, and the usage report's devices-now and GPU-hours read from
what the scheduler allocated (claim status.allocation), weighed by each device's own profile (its ResourceSlice)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, timedelta
from typing import Any

import pytest

from tenantguard.audit.dra_usage import claim_usage, pod_claim_use, slice_devices
from tenantguard.audit.report import build
from tenantguard.audit.scan import ScanResult, scan
from tenantguard.audit.usage import Window
from tenantguard.devcluster import dra as simulated
from tenantguard.devcluster.nodes import DEFAULT_NODES
from tenantguard.policies.rules.gpu.samples import claim, claim_template, exact
from tests.support.fixtures import ACME_SPEC, GLOBEX_SPEC, NOW, tenant_object

GENERATED = NOW.replace(tzinfo=UTC)
WINDOW = Window.ending(GENERATED, timedelta(hours=24))
PROFILE = 'device.attributes["gpu.nvidia.com"].profile == "1g.10gb"'
ORDER = ("Tenant", "Namespace", "DeviceClass", "ResourceSlice", "ResourceClaimTemplate", "ResourceClaim", "Pod")


class DraSource:
    """A live source: context in audit.cluster's order (the DRA objects before the pods), then the rest."""

    judges_context = True

    def __init__(self, objects: list[dict[str, Any]]) -> None:
        self._objects = objects

    def context(self) -> Iterator[dict[str, Any]]:
        for kind in ORDER:
            yield from (o for o in self._objects if o["kind"] == kind)

    def objects(self) -> Iterator[dict[str, Any]]:
        yield from (o for o in self._objects if o["kind"] not in ORDER)


def _ts(hours_ago: float) -> str:
    return (GENERATED - timedelta(hours=hours_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def allocated(
    obj: dict[str, Any], *devices: tuple[str, str], pods: tuple[str, ...] = (), **extra: Any
) -> dict[str, Any]:
    """The claim as the scheduler leaves it: each (pool, device) allocated to the claim's first request."""
    request = obj["spec"]["devices"]["requests"][0]["name"]
    results = [{"request": request, "driver": "gpu.nvidia.com", "pool": p, "device": d, **extra} for p, d in devices]
    status = {
        "allocation": {"devices": {"results": results}},
        "reservedFor": [{"resource": "pods", "name": n, "uid": n} for n in pods],
    }
    return {**obj, "status": status}


def pod(
    name: str, hours: float, phase: str = "Running", finished: float | None = None, limits: Any = None, **spec: Any
) -> dict[str, Any]:
    resources = {"resources": {"limits": limits}} if limits else {}
    status: dict[str, Any] = {"phase": phase, "startTime": _ts(hours)}
    if finished is not None:
        status["containerStatuses"] = [{"name": "c", "state": {"terminated": {"finishedAt": _ts(finished)}}}]
    status.update(spec.pop("status", {}))
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "acme-prod", "uid": name, "labels": {"tenantguard.io/tenant": "acme"}},
        "spec": {"containers": [{"name": "c", "image": "registry.acme.example/app:1", **resources}], **spec},
        "status": status,
    }


def made_for(pod_name: str, obj: dict[str, Any], **annotations: str) -> dict[str, Any]:
    owner = [{"apiVersion": "v1", "kind": "Pod", "name": pod_name, "uid": pod_name, "controller": True}]
    meta = {**obj["metadata"], "ownerReferences": owner, "annotations": annotations}
    return {**obj, "metadata": meta}


def world() -> list[dict[str, Any]]:
    tenants = [tenant_object("acme", ACME_SPEC), tenant_object("globex", GLOBEX_SPEC)]
    namespace = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "acme-prod", "labels": {"tenantguard.io/tenant": "acme"}},
    }
    shared = allocated(claim("shared", exact("gpu.nvidia.com", 1)), ("kwok-gpu-h100-0", "gpu-3"), pods=("a", "b"))
    slice_claim = made_for(
        "slice-0",
        allocated(claim("slice-0-gpu-x", exact("mig.nvidia.com", 1, PROFILE)), ("kwok-mig-a100-0", "gpu-0-mig-19-0-1")),
        **{"resource.kubernetes.io/pod-claim-name": "gpu"},
    )
    # made by the scheduler for pod ext: one request mapped to nvidia.com/gpu (the pod counts it), one to a class
    ext = made_for(
        "ext",
        allocated(
            claim("ext-extended-resources-y", exact("gpu.nvidia.com", 1), exact("gpu.nvidia.com", 1)),
            ("kwok-gpu-h100-1", "gpu-0"),
        ),
        **{"resource.kubernetes.io/extended-resource-claim": "true"},
    )
    ext["status"]["allocation"]["devices"]["results"].append(
        {"request": "gpu-1", "driver": "gpu.nvidia.com", "pool": "kwok-gpu-h100-1", "device": "gpu-1"}
    )
    mapping = [
        {"containerName": "c", "requestName": "gpu", "resourceName": "nvidia.com/gpu"},
        {
            "containerName": "c",
            "requestName": "gpu-1",
            "resourceName": "deviceclass.resource.kubernetes.io/gpu.nvidia.com",
        },
    ]
    return [
        *tenants,
        namespace,
        *simulated.device_classes(),
        *simulated.resource_slices(DEFAULT_NODES),
        claim_template("slice", exact("mig.nvidia.com", 1, PROFILE)),
        shared,
        slice_claim,
        ext,
        claim("unallocated", exact("gpu.nvidia.com", 1)),
        claim_template("whole-node", exact("gpu.nvidia.com", None, allocationMode="All")),
        pod("a", 2, resourceClaims=[{"name": "gpu", "resourceClaimName": "shared"}]),
        pod("b", 1, "Succeeded", finished=0.5, resourceClaims=[{"name": "gpu", "resourceClaimName": "shared"}]),
        pod(
            "slice-0",
            3,
            resourceClaims=[{"name": "gpu", "resourceClaimTemplateName": "slice"}],
            status={"resourceClaimStatuses": [{"name": "gpu", "resourceClaimName": "slice-0-gpu-x"}]},
        ),
        pod(
            "ext",
            1,
            limits={"nvidia.com/gpu": 1, "deviceclass.resource.kubernetes.io/gpu.nvidia.com": 1},
            status={
                "extendedResourceClaimStatus": {
                    "resourceClaimName": "ext-extended-resources-y",
                    "requestMappings": mapping,
                }
            },
        ),
    ]


@pytest.fixture(scope="module")
def scanned() -> ScanResult:
    return scan(DraSource(world()), now=NOW)


def test_claims_are_judged_with_every_pod_known(scanned: ScanResult) -> None:
    found = {(r.kind, r.name, r.rule) for r in scanned.results if r.kind.startswith("ResourceClaim")}
    assert found == {
        ("ResourceClaimTemplate", "whole-node", "GPU016"),
        ("ResourceClaimTemplate", "whole-node", "GPU005"),
    }
    held = scanned.cluster.gpu_usage("acme")
    assert held.classes == {"gpu.nvidia.com": 3, "mig.nvidia.com": 1}, "shared, unallocated and ext's class resource"


def test_devices_now_and_gpu_hours_come_from_the_allocation(scanned: ScanResult) -> None:
    usage = build(scanned, source={"type": "snapshot"}, window=WINDOW, generated=GENERATED)["usage"]["tenants"]["acme"]
    dra = usage["gpu"]["dra"]
    assert dra["allocated"] == {"gpu.nvidia.com": 2, "mig.nvidia.com": 1}, (
        "not the unallocated claim, nor ext's nvidia.com/gpu"
    )
    assert dra["running"] == dra["allocated"] and dra["pending"] == {}
    assert dra["allocatedGpuEquivalents"] == round(2 + 1 / 7, 3), "the partition's own profile: 1/7"
    assert usage["gpu"]["allocated"] == {"nvidia.com/gpu": 1}, "ext's extended GPU, counted from the pod"
    assert usage["gpu"]["allocatedGpuEquivalents"] == round(1 + 2 + 1 / 7, 3), "both paths in the unit of maxTotal"
    # shared: a from 2 h ago, b from 1 h to 0.5 h ago — held 2 h once; the slice 3 h x 1/7; ext's class device 1 h.
    assert dra["gpuHoursByDeviceClass"] == {"gpu.nvidia.com": 3.0, "mig.nvidia.com": round(3 / 7, 3)}
    assert usage["gpu"]["gpuHours"] == round(1 + 3 + 3 / 7, 4), "ext's extended GPU for 1 h besides"
    shared = next(c for c in dra["claims"] if c["name"] == "shared")
    assert shared == {
        "namespace": "acme-prod",
        "name": "shared",
        "pods": ["a", "b"],
        "devices": [
            {
                "deviceClass": "gpu.nvidia.com",
                "device": "gpu.nvidia.com/kwok-gpu-h100-0/gpu-3",
                "profile": None,
                "gpuEquivalents": 1.0,
            }
        ],
    }
    assert usage["gpu"]["cap"]["deviceClasses"][0] == {
        "name": "gpu.nvidia.com",
        "maxDevices": 4,
        "migProfiles": None,
        "productNames": None,
    }


def test_a_device_without_its_slice_weighs_its_requests_worst_case() -> None:
    unpinned = allocated(claim("c", exact("mig.nvidia.com", 1)), ("gone", "gpu-0-mig-9-0-4"))
    (device,) = claim_usage(unpinned, {}, {}).devices  # type: ignore[union-attr]
    assert device.sevenths == 7 and device.profile == ""
    pinned = allocated(claim("c", exact("mig.nvidia.com", 1, PROFILE)), ("gone", "gpu-0-mig-19-0-1"))
    assert claim_usage(pinned, {}, {}).devices[0].sevenths == 1  # type: ignore[union-attr]
    admin = allocated(claim("c", exact("gpu.nvidia.com", 1)), ("p", "gpu-0"), adminAccess=True)
    assert claim_usage(admin, {}, {}).devices == (), "admin access holds no device"  # type: ignore[union-attr]
    assert claim_usage(claim("c", exact("gpu.nvidia.com", 1)), {}, {}) is None


def test_slice_attributes_qualified_or_not() -> None:
    qualified = {
        "spec": {
            "driver": "gpu.nvidia.com",
            "pool": {"name": "n"},
            "devices": [
                {
                    "name": "d",
                    "attributes": {"gpu.nvidia.com/type": {"string": "mig"}, "profile": {"string": "2g.20gb"}},
                }
            ],
        }
    }
    assert slice_devices(qualified) == {("gpu.nvidia.com", "n", "d"): ("mig", "2g.20gb")}
    assert pod_claim_use(pod("cpu", 1)) is None
