"""Objects Kubernetes itself makes in every namespace, whose missing tenant label is not a tenant's mistake.

kube-controller-manager creates the ConfigMap `kube-root-ca.crt` (root-ca-cert-publisher) and the
ServiceAccount `default` (serviceaccounts controller) in each namespace moments after the namespace exists. In a
namespace that became a tenant's afterwards — the label added later, or the webhook installed later — they lack
the tenant label, and TEN004 reports them in every such namespace. Nobody can fix that by changing a manifest,
and it hides the objects a tenant really left unlabelled.

How the object is told apart, without trusting anything a tenant can write:
- its kind and name: the names are Kubernetes' own, one per namespace, and the controller recreates either
  object as soon as it is deleted, so a tenant cannot create one under that name;
- who wrote it: `metadata.managedFields` names the field managers. A client can pick any manager name
  (`--field-manager`) or overwrite the list, so a manager name proves nothing on its own — but a manager other
  than kube-controller-manager means someone else has changed the object since, and then it is judged as any
  other. The `default` ServiceAccount records no managed fields at all (it sets none), and snapshots written by
  `kubectl get -o yaml` leave them out: no entry is no evidence against it;
- only the missing label is excused: a tenant label naming another tenant is never Kubernetes' doing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

KUBERNETES_MADE = {
    ("ConfigMap", "kube-root-ca.crt"): "kube-controller-manager publishes the cluster's root CA in every namespace",
    ("ServiceAccount", "default"): "kube-controller-manager creates the default ServiceAccount in every namespace",
}
CONTROLLER_MANAGERS = frozenset({"kube-controller-manager"})
MISSING_LABEL_RULE = "TEN004"


def made_by_kubernetes(obj: Mapping[str, Any]) -> str | None:
    """Why the object is one Kubernetes makes in every namespace (and no one else has written to); else None."""
    meta = obj.get("metadata")
    if not isinstance(meta, Mapping):
        return None
    reason = KUBERNETES_MADE.get((str(obj.get("kind") or ""), str(meta.get("name") or "")))
    if reason is None:
        return None
    entries = meta.get("managedFields")
    managers = {e.get("manager") for e in entries if isinstance(e, Mapping)} if isinstance(entries, list) else set()
    return reason if managers <= CONTROLLER_MANAGERS else None


def excused(obj: Mapping[str, Any], rule: str, label: str) -> str | None:
    """Why a violation of `rule` on `obj` is Kubernetes' doing, not the tenant's: only a missing tenant label
    (TEN004) on an object Kubernetes makes in every namespace. None: the violation counts."""
    if rule != MISSING_LABEL_RULE:
        return None
    meta = obj.get("metadata")
    labels = meta.get("labels") if isinstance(meta, Mapping) else None
    if isinstance(labels, Mapping) and label in labels:
        return None
    return made_by_kubernetes(obj)
