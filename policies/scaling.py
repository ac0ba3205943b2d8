"""Replica counts set from outside the workload's own spec: `scale` subresources and autoscalers.

- A `scale` subresource request (`kubectl scale`, an autoscaler) carries an `autoscaling/v1` Scale, not the
  workload. The kinds below have one (ReplicationController in the core group; of the serving CRDs, those
  whose CRD declares `subresources.scale`: LeaderWorkerSet); the webhook reads the workload and judges
  `with_replicas(workload, scale.spec.replicas)` as an UPDATE of it.
- A HorizontalPodAutoscaler (`autoscaling/v2`) may scale its target up to `spec.maxReplicas`: its GPU demand is
  the target at that count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tenantguard.policies.model import Obj
from tenantguard.policies.paths import Path

HPA_KIND = "HorizontalPodAutoscaler"
HPA_MAX: Path = ("spec", "maxReplicas")
SCALE_SUBRESOURCE = "scale"


@dataclass(frozen=True, slots=True, kw_only=True)
class ScaleKind:
    kind: str
    group: str
    plural: str
    replicas: Path  # the field a Scale's spec.replicas sets (the CRD's specReplicasPath)


SCALE_KINDS = (
    ScaleKind(kind="Deployment", group="apps", plural="deployments", replicas=("spec", "replicas")),
    ScaleKind(kind="StatefulSet", group="apps", plural="statefulsets", replicas=("spec", "replicas")),
    ScaleKind(kind="ReplicaSet", group="apps", plural="replicasets", replicas=("spec", "replicas")),
    ScaleKind(kind="ReplicationController", group="", plural="replicationcontrollers", replicas=("spec", "replicas")),
    ScaleKind(
        kind="LeaderWorkerSet",
        group="leaderworkerset.x-k8s.io",
        plural="leaderworkersets",
        replicas=("spec", "replicas"),
    ),
)
BY_RESOURCE = {(k.group, k.plural): k for k in SCALE_KINDS}
BY_KIND = {k.kind: k for k in SCALE_KINDS}


def _group(api_version: str) -> str:
    return api_version.rpartition("/")[0] if "/" in api_version else ""


def with_replicas(obj: Obj, replicas: int) -> Obj:
    """The workload as it would be with `replicas` (copying only the dicts on the way to the field)."""
    path = BY_KIND[str(obj.get("kind"))].replicas if obj.get("kind") in BY_KIND else ("spec", "replicas")
    out = dict(obj)
    node = out
    for key in (str(k) for k in path[:-1]):
        child = node.get(key)
        child = dict(child) if isinstance(child, dict) else {}
        node[key] = child
        node = child
    node[str(path[-1])] = replicas
    return out


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def scale_replicas(scale: Obj) -> int | None:
    """`spec.replicas` of an autoscaling/v1 Scale (omitted when 0); None when it is not a whole number."""
    spec = scale.get("spec", {})
    return _int(spec.get("replicas", 0)) if isinstance(spec, dict) else None


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetRef:
    api_version: str
    kind: str
    name: str

    @property
    def scale_kind(self) -> ScaleKind | None:
        """The known scalable kind this names (the group must match, not just the kind)."""
        found = BY_KIND.get(self.kind)
        return found if found is not None and found.group == _group(self.api_version) else None


def hpa_target(hpa: Obj) -> TargetRef | None:
    spec = hpa.get("spec")
    ref = spec.get("scaleTargetRef") if isinstance(spec, dict) else None
    if not isinstance(ref, dict):
        return None
    kind, name, api = ref.get("kind"), ref.get("name"), ref.get("apiVersion")
    if not (isinstance(kind, str) and kind and isinstance(name, str) and name):
        return None
    return TargetRef(api_version=api if isinstance(api, str) else "", kind=kind, name=name)


def hpa_max(hpa: Obj) -> int | None:
    spec = hpa.get("spec")
    return _int(spec.get("maxReplicas")) if isinstance(spec, dict) else None
