"""The GPU ResourceQuotas: kube-apiserver's own quota admission as the backstop of the tenant's GPU caps.

A ResourceQuota counts devices per resource and per namespace (`requests.<resource>`; extended resources are
counted only under `requests.` and cannot be overcommitted). So the caps it can hold are devices per resource,
in two quotas per namespace:

- `tenantguard-gpu`, for each resource of `gpu.allowedResources`: `gpu.maxDevices[r]` where given, and never
  more than what `gpu.maxTotal` (GPU-equivalents) implies for that resource alone, `floor(maxTotal / weight(r))`
  devices (8 GPU-equivalents are at most 8 full GPUs or 18 `3g.40gb` slices, 3/7 each). Absent when the Tenant
  may use no GPU;
- `tenantguard-gpu-denied`: 0 for every known GPU resource the Tenant may not use (`nvidia.com/gpu` and every
  MIG profile of the settings' table; a Tenant without `gpu` may use none) — kept apart so that
  `kubectl get quota` and the reports show the caps, not eighty zeros.

The weighted sum across resources (4 GPUs and 8 `3g` slices together) stays the webhook's (GPU006).

DRA: the same two quotas carry the DeviceClass lines `policies.dra_quota.device_class_quota` computes — a capped
class's `maxDevices` less what the other namespaces hold, `0` for every class of the cluster the Tenant is not
given (docs/gpu.md#quota-backstop).

Tenant-wide, as Capsule does: each namespace's hard limit is the cap minus what the tenant's other namespaces
use, recomputed by the reconciler whenever a namespace's use changes. The sum of what the namespaces hold can
pass the cap only when pods in two namespaces are admitted before the reconciler has lowered the other
namespace's limit (docs/controller.md: the race window, measured).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from tenantguard.policies.generated.labels import DENIED_QUOTA_NAME, QUOTA_NAME, managed_labels
from tenantguard.policies.gpu import FULL_GPU, device_weight, mig_resource_of, quantity
from tenantguard.policies.model import Obj
from tenantguard.policies.settings import Settings
from tenantguard.policies.tenancy import Tenant

REQUESTS = "requests."


def known_resources(settings: Settings) -> frozenset[str]:
    """The GPU resources a quota line is written for: full GPUs and every MIG profile the settings know."""
    return frozenset({FULL_GPU, *(mig_resource_of(p) for p in settings.all_mig_profiles)})


def gpu_caps(tenant: Tenant) -> dict[str, int]:
    """Tenant-wide devices per allowed resource, sorted by resource."""
    gpu = tenant.gpu
    if gpu is None:
        return {}
    caps: dict[str, int] = {}
    for resource in sorted(gpu.allowed_resources):
        weight = device_weight(resource)
        implied = int(gpu.max_total / weight) if weight else gpu.max_total
        caps[resource] = min(implied, gpu.max_devices.get(resource, implied))
    return caps


def denied_resources(tenant: Tenant, settings: Settings) -> list[str]:
    """The known GPU resources the Tenant may not use, sorted."""
    allowed = tenant.gpu.allowed_resources if tenant.gpu is not None else frozenset()
    return sorted(known_resources(settings) - allowed)


def namespace_hard(caps: Mapping[str, int], used_elsewhere: Mapping[str, int]) -> dict[str, int]:
    """What one namespace may hold: the cap minus what the tenant's other namespaces use (never below 0)."""
    return {r: max(0, cap - used_elsewhere.get(r, 0)) for r, cap in caps.items()}


def used_elsewhere(namespace: str, used: Mapping[str, Mapping[str, int]]) -> dict[str, int]:
    """Devices per resource that the tenant's namespaces other than `namespace` use (`used`: ns -> devices)."""
    total: dict[str, int] = {}
    for ns, devices in used.items():
        if ns != namespace:
            for r, n in devices.items():
                total[r] = total.get(r, 0) + n
    return total


def _quota(name: str, tenant: Tenant, namespace: str, settings: Settings, hard: Mapping[str, int]) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": name, "namespace": namespace, "labels": managed_labels(tenant.name, settings)},
        "spec": {"hard": {f"{REQUESTS}{r}": str(n) for r, n in sorted(hard.items())}},
    }


def resource_quotas(
    tenant: Tenant,
    namespace: str,
    settings: Settings,
    hard: Mapping[str, int],
    dra_hard: Mapping[str, str] | None = None,
) -> list[Obj]:
    """The namespace's quotas: `hard` (from `namespace_hard`) for the allowed resources, 0 for the others; and
    `dra_hard` (from `policies.dra_quota.device_class_quota`: full ResourceQuota keys) — a DeviceClass's cap in the
    first quota, `"0"` for the classes the Tenant is not given in the second."""
    capped = {k: v for k, v in (dra_hard or {}).items() if v != "0"}
    zeros = {k: v for k, v in (dra_hard or {}).items() if v == "0"}
    quotas = []
    if hard or capped:
        quota = _quota(QUOTA_NAME, tenant, namespace, settings, hard)
        quota["spec"]["hard"].update(capped)
        quotas.append(quota)
    denied = _quota(
        DENIED_QUOTA_NAME, tenant, namespace, settings, dict.fromkeys(denied_resources(tenant, settings), 0)
    )
    denied["spec"]["hard"].update(zeros)
    return [*quotas, denied]


def quota_devices(values: Mapping[str, object] | None, resources: Iterable[str]) -> dict[str, int]:
    """Devices per GPU resource from a quota's `hard` or `used` (`requests.<r>` keys, integer quantities)."""
    found: dict[str, int] = {}
    values = values or {}
    for r in resources:
        n = quantity(values.get(f"{REQUESTS}{r}"))
        if n is not None:
            found[r] = n
    return found
