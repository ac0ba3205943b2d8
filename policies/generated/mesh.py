"""istio mode: a PeerAuthentication with mode STRICT for every tenant namespace.

Namespace-wide (no selector): every sidecar-injected workload of the namespace refuses plaintext, so a pod of
another tenant (or outside the mesh) cannot call a model server around the mesh's mTLS. Written only where the
`security.istio.io/v1` API is served; without it the reconciler records a warning Event on the Tenant and its
Degraded condition says so.
"""

from __future__ import annotations

from tenantguard.policies.generated.labels import PEER_AUTHENTICATION_NAME, managed_labels
from tenantguard.policies.model import Obj
from tenantguard.policies.settings import Settings
from tenantguard.policies.tenancy import Tenant

GROUP, VERSION, PLURAL = "security.istio.io", "v1", "peerauthentications"
API_VERSION = f"{GROUP}/{VERSION}"


def peer_authentication(tenant: Tenant, namespace: str, settings: Settings) -> Obj:
    return {
        "apiVersion": API_VERSION,
        "kind": "PeerAuthentication",
        "metadata": {
            "name": PEER_AUTHENTICATION_NAME,
            "namespace": namespace,
            "labels": managed_labels(tenant.name, settings),
        },
        "spec": {"mtls": {"mode": "STRICT"}},
    }
