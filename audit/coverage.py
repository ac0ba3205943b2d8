"""What lint could not judge, and why: every object the engine skipped gets a reason a CI log can act on.

Admission judges an object only in a namespace a Tenant owns (and Namespaces, Tenants, ClusterRoles and
ClusterRoleBindings everywhere). Lint does the same, so an object it skips would be skipped at
`kubectl apply` too — but in CI a skip is usually a mistake: a typo in `namespace:`, a missing `--tenants`,
a chart rendered without `-n`. Each skipped object is listed with its reason; the ones outside every Tenant
fail the run unless `--allow-unowned` says the repository holds platform objects on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from tenantguard.policies.cluster import ClusterState

# Built-in and common add-on kinds without a namespace. An object of any other kind without one is taken
# to be namespaced, so its missing namespace is reported rather than silently treated as cluster-wide.
CLUSTER_SCOPED_KINDS = frozenset(
    {
        "APIService", "CertificateSigningRequest", "ClusterIssuer", "ClusterPolicy", "ClusterPolicyReport",
        "ClusterRole", "ClusterRoleBinding", "ClusterServingRuntime", "ClusterTrustBundle", "ComponentStatus",
        "CSIDriver", "CSINode", "CustomResourceDefinition", "DeviceClass", "FlowSchema", "GatewayClass",
        "IngressClass", "IPAddress", "MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding",
        "MutatingWebhookConfiguration", "Namespace", "Node", "PersistentVolume", "PriorityClass",
        "PriorityLevelConfiguration", "ResourceSlice", "RuntimeClass", "ServiceCIDR", "StorageClass",
        "Tenant", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding",
        "ValidatingWebhookConfiguration", "VolumeAttachment", "VolumeAttributesClass",
    }
)  # fmt: skip


class Reason(StrEnum):
    NO_TENANTS = "no-tenants"
    NO_NAMESPACE = "no-namespace"
    UNOWNED_NAMESPACE = "unowned-namespace"
    EXEMPT_NAMESPACE = "exempt-namespace"
    CLUSTER_SCOPED = "cluster-scoped"


# Outside every Tenant: fails the run unless --allow-unowned. Exempt namespaces are the platform's own by
# configuration, and no tenant rule applies to the other cluster-scoped kinds anywhere; both are listed only.
OUTSIDE_TENANTS = frozenset({Reason.NO_NAMESPACE, Reason.UNOWNED_NAMESPACE})


@dataclass(frozen=True, slots=True, kw_only=True)
class NotJudged:
    reason: Reason
    detail: str
    kind: str
    namespace: str
    name: str
    file: str = ""
    line: int = 0
    blocking: bool = False  # counts toward the exit code (outside every Tenant, no --allow-unowned)

    @property
    def object(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "reason": self.reason.value,
            "detail": self.detail,
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
            "file": self.file,
            "line": self.line,
            "blocking": self.blocking,
        }


def why_not_judged(kind: str, namespace: str, cluster: ClusterState) -> tuple[Reason, str]:
    """The reason for an object the engine skipped, in the order a reader should fix them."""
    if not cluster.tenants.by_name:
        return Reason.NO_TENANTS, "no Tenants were given, so no namespace belongs to a tenant"
    if cluster.settings.is_exempt(namespace):
        return Reason.EXEMPT_NAMESPACE, f"namespace {namespace!r} is exempt (settings: exemptNamespaces)"
    if not namespace:
        if kind in CLUSTER_SCOPED_KINDS:
            return Reason.CLUSTER_SCOPED, f"{kind} is cluster-scoped and no tenant rule applies to it"
        return Reason.NO_NAMESPACE, "no metadata.namespace and no -n: the namespace it lands in is unknown"
    return Reason.UNOWNED_NAMESPACE, f"no Tenant owns namespace {namespace!r}"
