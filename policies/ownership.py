"""Which workloads own a pod: the one answer the GPU ledger, the audit and the reports all use.

A pod's owners are the pod itself, its controller (`ownerReferences` with `controller: true`), and the
objects that own that controller by the naming conventions of their controllers — never a label alone,
because a tenant can put any label on any pod:

- ReplicaSet `<deployment>-<pod-template-hash>` → Deployment, when the pod's `pod-template-hash` label is that
  suffix (the Deployment controller's naming);
- Job `<cronjob>-<scheduled time>` → CronJob (the CronJob controller's naming: a number);
- StatefulSet `<lws>` or `<lws>-<group>` → LeaderWorkerSet, when the pod carries
  `leaderworkerset.sigs.k8s.io/name: <lws>`;
- ReplicaSet `<isvc>-predictor-…` (and transformer, explainer) → InferenceService, when the pod carries
  `serving.kserve.io/inferenceservice: <isvc>`;
- RayCluster `<name>-…` → RayService or RayJob `<name>`, when the pod carries `ray.io/originated-from-crd` and
  `ray.io/originated-from-cr-name: <name>`.

A label that contradicts the controller adds nothing. What a tenant can still do is set ownerReferences on
her own pods in her own namespace; that only makes her own workloads look bigger or smaller to the early
check on the owner object, while every pod is still counted when it is created (and by the ResourceQuota).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

OwnerKey = tuple[str, str, str]  # kind, namespace, name

_DIGITS = re.compile(r"^\d+$")
_KSERVE_COMPONENTS = ("predictor", "transformer", "explainer")


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def controller_of(meta: Mapping[str, Any]) -> tuple[str, str] | None:
    """(kind, name) of the object's controller reference, if any."""
    refs = meta.get("ownerReferences")
    for ref in refs if isinstance(refs, list) else ():
        if isinstance(ref, dict) and ref.get("controller") is True:
            kind, name = _str(ref.get("kind")), _str(ref.get("name"))
            if kind and name:
                return kind, name
    return None


def owners(obj: Mapping[str, Any], namespace: str | None = None) -> frozenset[OwnerKey]:
    """The object itself and every workload that owns it (see the module docstring)."""
    meta = obj.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    ns = _str(meta.get("namespace")) or (namespace or "")
    found: set[OwnerKey] = {(_str(obj.get("kind")), ns, _str(meta.get("name")))}
    controller = controller_of(meta)
    if controller is None:
        return frozenset(found)
    kind, name = controller
    found.add((kind, ns, name))
    labels = meta.get("labels")
    labels = labels if isinstance(labels, dict) else {}
    for owner_kind, owner_name in _implied(kind, name, labels):
        found.add((owner_kind, ns, owner_name))
    return frozenset(found)


def _implied(kind: str, name: str, labels: Mapping[str, Any]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if kind == "ReplicaSet":
        pod_hash = _str(labels.get("pod-template-hash"))
        if pod_hash and name.endswith("-" + pod_hash):
            deployment = name[: -len(pod_hash) - 1]
            out.append(("Deployment", deployment))
            isvc = _str(labels.get("serving.kserve.io/inferenceservice"))
            if isvc and any(deployment.startswith(f"{isvc}-{c}") for c in _KSERVE_COMPONENTS):
                out.append(("InferenceService", isvc))
    elif kind == "Job":
        cronjob, _, suffix = name.rpartition("-")
        if cronjob and _DIGITS.match(suffix):
            out.append(("CronJob", cronjob))
    elif kind == "StatefulSet":
        lws = _str(labels.get("leaderworkerset.sigs.k8s.io/name"))
        if lws and (name == lws or (name.startswith(lws + "-") and _DIGITS.match(name[len(lws) + 1 :]))):
            out.append(("LeaderWorkerSet", lws))
    elif kind == "RayCluster":
        crd = _str(labels.get("ray.io/originated-from-crd"))
        cr_name = _str(labels.get("ray.io/originated-from-cr-name"))
        if crd in ("RayService", "RayJob") and cr_name and name.startswith(cr_name + "-"):
            out.append((crd, cr_name))
    return out


def workload_of(obj: Mapping[str, Any], namespace: str | None = None) -> OwnerKey:
    """The outermost owner this module can name (the object itself when it has no controller)."""
    return outermost(owners(obj, namespace), obj, namespace)


def outermost(found: frozenset[OwnerKey], obj: Mapping[str, Any], namespace: str | None = None) -> OwnerKey:
    """`workload_of` from the object's `owners` already known."""
    for kind in _OUTERMOST:
        for key in found:
            if key[0] == kind:
                return key
    meta = obj.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    controller = controller_of(meta)
    ns = _str(meta.get("namespace")) or (namespace or "")
    if controller is not None:
        return (controller[0], ns, controller[1])
    return (_str(obj.get("kind")), ns, _str(meta.get("name")))


# From the outside in: the first kind present among a pod's owners names its workload.
_OUTERMOST = ("InferenceService", "RayService", "RayJob", "LeaderWorkerSet", "CronJob", "Deployment")


def display(key: OwnerKey) -> str:
    """A workload as reports name it: `namespace/name[Kind]` (`name[Kind]` without a namespace)."""
    kind, namespace, name = key
    return f"{namespace}/{name}[{kind}]" if namespace else f"{name}[{kind}]"


def workload_name(obj: Mapping[str, Any], namespace: str | None = None) -> str:
    """`display(workload_of(obj))`: the workload a report groups the object's results under."""
    return display(workload_of(obj, namespace))
