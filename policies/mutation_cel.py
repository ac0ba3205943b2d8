"""When no mutator would change a Pod, said in CEL, so kube-apiserver can skip the /mutate call.

Most pods are created by controllers from templates the webhook has already mutated (a Deployment's, a
LeaderWorkerSet's): mutating them again yields no patches, yet costs kube-apiserver a webhook call (about
half of what tenantguard adds to a pod create). The mutating webhook's matchConditions skip a Pod when the
expression below proves that every Pod mutator would leave it alone; anything it cannot prove is sent.

Each clause mirrors one mutator's "already there" test, and only its sufficient side:
- TEN004-M adds the tenant label only when the key is missing (a wrong value is TEN004's to deny);
- PSS-M adds only what is unset: pod seccompProfile and runAsNonRoot, and on every container, init and
  ephemeral container allowPrivilegeEscalation and `ALL` in capabilities.drop (a pod that sets them all
  gets nothing, whatever the Tenant's `podSecurityDefaults`);
- MTLS-M depends on the Tenant's mode, which CEL cannot read: the reconciler projects it onto each tenant
  namespace as the label `tenantguard.io/mtls-mode`, and each mode gets its own webhook entry
  (`webhook.configuration`). native: the sidecar container is there; istio: the mesh label is there
  (any value, as MTLS-M leaves any value alone); none: nothing to add. An UPDATE of a Pod is never injected.
A namespace without the mode label (before its first reconcile, or without the reconciler) is always sent.

Validation is never skipped: /validate still judges every pod, so a skip can only leave out patches that
would not have been made.
"""

from __future__ import annotations

from tenantguard.policies.rules.mtls.injection import ISTIO_LABEL
from tenantguard.policies.settings import Settings

MODE_LABEL = "tenantguard.io/mtls-mode"
MODES = ("native", "istio", "none")

_POD = (
    "request.kind.group == '' && request.kind.kind == 'Pod' && (!has(request.subResource) || request.subResource == '')"
)
_CONTAINER_HARDENED = (
    "has(c.securityContext) && has(c.securityContext.allowPrivilegeEscalation) && "
    "has(c.securityContext.capabilities) && has(c.securityContext.capabilities.drop) && "
    "'ALL' in c.securityContext.capabilities.drop"
)
_POD_SECURITY_DEFAULTS = " && ".join(
    [
        "has(object.spec.securityContext)",
        "has(object.spec.securityContext.seccompProfile)",
        "has(object.spec.securityContext.runAsNonRoot)",
        *(
            f"(!has(object.spec.{field}) || object.spec.{field}.all(c, {_CONTAINER_HARDENED}))"
            for field in ("containers", "initContainers", "ephemeralContainers")
        ),
    ]
)


def _has_label(key: str) -> str:
    return f"(has(object.metadata.labels) && '{key}' in object.metadata.labels)"


def _mtls_settled(mode: str, settings: Settings) -> str:
    if mode == "none":
        return "true"
    if mode == "istio":
        present = _has_label(ISTIO_LABEL)
    else:
        name = settings.mtls.container_name
        present = f"(has(object.spec.initContainers) && object.spec.initContainers.exists(c, c.name == '{name}'))"
    return f"(request.operation == 'UPDATE' || {present})"


def pod_unchanged(mode: str, settings: Settings) -> str:
    """CEL, true only for a Pod request that no mutator would patch in a namespace of this mTLS mode."""
    if mode not in MODES:
        raise ValueError(f"mTLS mode must be one of {', '.join(MODES)}, got {mode!r}")
    clauses = [_POD, _has_label(settings.tenant_label), _POD_SECURITY_DEFAULTS, _mtls_settled(mode, settings)]
    return " && ".join(f"({c})" for c in clauses)
