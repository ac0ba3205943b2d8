"""The ResourceQuota `hard` entries that hold a Tenant's DRA allowance without the webhook — for the reconciler.

kube-apiserver's quota admission counts a namespace's DRA devices per DeviceClass under two names, kept in step
(Kubernetes 1.36, DRAExtendedResource on):

- `<class>.deviceclass.resource.k8s.io/devices`: the devices of every ResourceClaim — an exact count, `All` as 32,
  a `firstAvailable` request as its largest alternative per class (the count of GPU020, `policies.dra`) —
  including the claims made from templates and the ones the scheduler makes for DeviceClass resources; a claim
  over it is refused when it is created (a pod's generated claim: the pod stays Pending);
- `requests.deviceclass.resource.kubernetes.io/<class>`: the same devices, and a pod requesting the class as a
  resource is refused when it is created.

`device_class_quota` returns both for every class the Tenant caps (`spec.gpu.deviceClasses[].maxDevices`) and
`"0"` for every DeviceClass the cluster has that the Tenant may not use, so GPU015 and GPU020 hold with the
webhook removed. A quota is per namespace; a tenant-wide cap is split the way Capsule splits it: each namespace
may hold the cap less what the tenant's other namespaces hold (`used_elsewhere`, e.g. the sum of their quotas'
`status.used` for the class, or `ClusterState.gpu.usage` of those namespaces). Between two namespaces filling up
at the same moment that split is racy (each sees the other's old usage) until the reconciler's next pass.
GPU-equivalents (`maxTotal`) are a weighted sum no quota can express: they stay the webhook's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from tenantguard.policies.dra import CLASS_RESOURCE_PREFIX, quota_key
from tenantguard.policies.tenancy import Tenant


def class_quota_keys(device_class: str) -> tuple[str, str]:
    """The two ResourceQuota resources that count a DeviceClass's devices in a namespace."""
    return quota_key(device_class), f"requests.{CLASS_RESOURCE_PREFIX}{device_class}"


def device_class_quota(
    tenant: Tenant,
    *,
    device_classes: Iterable[str] = (),
    used_elsewhere: Mapping[str, int] | None = None,
) -> dict[str, str]:
    """ResourceQuota `spec.hard` entries for one of `tenant`'s namespaces: for each DeviceClass the Tenant caps, its
    `maxDevices` less `used_elsewhere[class]` (never below 0); `"0"` for each of the cluster's `device_classes`
    the Tenant does not list. Classes listed without a cap get no entry (GPU006's GPU-equivalents still bound
    them, at admission)."""
    used = used_elsewhere or {}
    allowed = tenant.gpu.device_classes if tenant.gpu is not None else {}
    hard: dict[str, int] = {}
    for name, entry in allowed.items():
        if entry.max_devices is not None:
            hard[name] = max(0, entry.max_devices - used.get(name, 0))
    for name in device_classes:
        if name not in allowed:
            hard[name] = 0
    return {key: str(n) for name, n in sorted(hard.items()) for key in class_quota_keys(name)}
