"""GPU017 no-device-admin-access: no adminAccess in tenant claims, no admin-access label on tenant namespaces."""

from __future__ import annotations

from typing import Any

from tenantguard.policies.rules.gpu.samples import claim, exact
from tests.unit.rules.dra_world import fired

LABEL = "resource.kubernetes.io/admin-access"


def namespace(name: str, **labels: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def test_admin_access_in_any_request() -> None:
    obj = claim("c", exact("gpu.nvidia.com", 1), exact("mig.nvidia.com", 1, adminAccess=True))
    (v,) = fired("GPU017", obj)
    assert v.path == "spec.devices.requests[1].exactly.adminAccess"
    assert v.message == (
        "request 'gpu-1' asks for administrative access to 'mig.nvidia.com' devices: devices in use by other "
        "tenants' pods, counted against no cap"
    )


def test_the_api_servers_own_gate_on_a_tenant_namespace() -> None:
    (v,) = fired("GPU017", namespace("acme-dev", **{"tenantguard.io/tenant": "acme", LABEL: "true"}))
    assert v.path == f'metadata.labels["{LABEL}"]'
    assert fired("GPU017", namespace("acme-dev", **{LABEL: "false"})) == [], "only true opens the gate"
    assert fired("GPU017", namespace("monitoring", **{LABEL: "true"})) == [], "a platform namespace may"
