"""Every covered kind → the pod specs it carries, at their real paths, with how many pods each makes.

A rule written for a pod applies to every template that will create such a pod, so the Deployment is
denied at apply time rather than its ReplicaSet's pods minutes later.

Pod counts are the most the object asks for, autoscaling included: KServe components count
`max(minReplicas, maxReplicas)`, Ray worker groups under the in-tree autoscaler count `maxReplicas` (which the
CRD defaults to 2^31-1). `PodTemplate.count_path` names the field that sets the count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tenantguard.policies.fields import mapping
from tenantguard.policies.model import Obj
from tenantguard.policies.paths import Path

# ReplicationController: core/v1, in Kubernetes' `edit` role, and its controller still runs.
WORKLOADS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job"})
SERVING_KINDS = frozenset(
    {
        "InferenceService",
        "ServingRuntime",
        "ClusterServingRuntime",
        "LLMInferenceService",
        "LeaderWorkerSet",
        "RayService",
        "RayCluster",
        "RayJob",
    }
)
POD_TEMPLATE_KINDS = frozenset({"Pod", "CronJob"}) | WORKLOADS | SERVING_KINDS

RAY_MAX_REPLICAS = 2**31 - 1  # ray.io CRDs default workerGroupSpecs[].maxReplicas to this

# KServe's legacy predictor shorthands: each is a Container plus storageUri.
KSERVE_FRAMEWORKS = (
    "model", "sklearn", "xgboost", "tensorflow", "pytorch", "triton", "onnx", "huggingface",
    "pmml", "lightgbm", "paddle",
)  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class PodTemplate:
    """One pod spec inside an object: where it is, its metadata, and how many pods it makes."""

    path: Path
    spec: Obj
    meta_path: Path | None  # None: the object's own metadata carries the pod labels
    meta: Obj | None
    replicas: int
    role: str
    count_path: Path = ()  # the field that sets `replicas`; () when none does (a Pod, a DaemonSet)
    extra_containers: tuple[tuple[Path, Obj], ...] = ()
    # Memo for policies.visit.containers: every rule walks the same containers, so build the refs once.
    memo: dict[tuple[str, ...], tuple[Any, ...]] = field(default_factory=dict, compare=False, repr=False)


@dataclass(slots=True)
class Subject:
    """The object under judgement with what every rule needs from it, computed once."""

    obj: Obj
    kind: str
    group: str
    namespace: str
    name: str
    pods: tuple[PodTemplate, ...] = field(default=())

    @classmethod
    def of(cls, obj: Obj, namespace: str | None = None) -> Subject:
        meta = obj.get("metadata") or {}
        api = obj.get("apiVersion") or ""
        return cls(
            obj=obj,
            kind=obj.get("kind") or "",
            group=api.rpartition("/")[0] if "/" in api else "",
            namespace=meta.get("namespace") or namespace or "",
            name=meta.get("name") or meta.get("generateName") or "",
            pods=tuple(pod_templates(obj)),
        )

    @property
    def metadata(self) -> Obj:
        meta = self.obj.get("metadata")
        return meta if isinstance(meta, dict) else {}

    @property
    def labels(self) -> dict[str, str]:
        labels = self.metadata.get("labels")
        return labels if isinstance(labels, dict) else {}

    @property
    def display(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"


def _n(value: Any, default: int = 1) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else default


# The builders below append to one list rather than nest generators: every Subject.of runs them.


def _template(out: list[PodTemplate], obj: Obj, base: Path, replicas: int, role: str, count: Path = ()) -> None:
    """A PodTemplateSpec at `base`: {metadata, spec}; `count` is the field that sets `replicas`."""
    node: Any = obj
    for seg in base:
        if isinstance(seg, int):  # list index, e.g. Ray's workerGroupSpecs[i]
            node = node[seg] if isinstance(node, list) and 0 <= seg < len(node) else None
        else:
            node = node.get(seg) if isinstance(node, dict) else None
    tpl = mapping(node)
    spec = tpl.get("spec")
    if isinstance(spec, dict):
        meta = tpl.get("metadata")
        out.append(
            PodTemplate(
                path=(*base, "spec"),
                spec=spec,
                meta_path=(*base, "metadata"),
                meta=meta if isinstance(meta, dict) else None,
                replicas=replicas,
                role=role,
                count_path=count,
            )
        )


def _inline(
    out: list[PodTemplate],
    spec: Any,
    path: Path,
    replicas: int,
    role: str,
    frameworks: bool = False,
    count: Path = (),
) -> None:
    """A PodSpec inlined in a CRD (KServe components, ServingRuntime): metadata lives on the object."""
    if not isinstance(spec, dict):
        return
    extra: tuple[tuple[Path, Obj], ...] = ()
    if frameworks:
        extra = tuple(((*path, f), spec[f]) for f in KSERVE_FRAMEWORKS if isinstance(spec.get(f), dict))
    out.append(
        PodTemplate(
            path=path,
            spec=spec,
            meta_path=None,
            meta=None,
            replicas=replicas,
            role=role,
            count_path=count,
            extra_containers=extra,
        )
    )


def pod_templates(obj: Obj) -> list[PodTemplate]:
    kind = obj.get("kind")
    out: list[PodTemplate] = []
    if not isinstance(kind, str) or kind not in POD_TEMPLATE_KINDS:  # most objects: config, services, RBAC…
        return out
    spec = mapping(obj.get("spec"))
    if kind == "Pod":
        if obj.get("spec") is not None:
            meta = obj.get("metadata")
            out.append(
                PodTemplate(
                    path=("spec",),
                    spec=spec,
                    meta_path=("metadata",),
                    meta=meta if isinstance(meta, dict) else None,
                    replicas=1,
                    role="pod",
                )
            )
    elif kind in ("Deployment", "StatefulSet", "ReplicaSet", "ReplicationController"):
        _template(out, obj, ("spec", "template"), _n(spec.get("replicas")), "template", ("spec", "replicas"))
    elif kind == "DaemonSet":
        _template(out, obj, ("spec", "template"), 1, "template")
    elif kind == "Job":
        _template(out, obj, ("spec", "template"), _n(spec.get("parallelism")), "template", ("spec", "parallelism"))
    elif kind == "CronJob":
        job = mapping(mapping(spec.get("jobTemplate")).get("spec"))
        path: Path = ("spec", "jobTemplate", "spec")
        _template(out, obj, (*path, "template"), _n(job.get("parallelism")), "template", (*path, "parallelism"))
    elif kind == "InferenceService":
        _inference_service(out, spec)
    elif kind in ("ServingRuntime", "ClusterServingRuntime"):
        _inline(out, spec, ("spec",), 1, "runtime")
        _inline(out, spec.get("workerSpec"), ("spec", "workerSpec"), 1, "worker")
    elif kind == "LLMInferenceService":
        n, count = _n(spec.get("replicas")), ("spec", "replicas")
        _inline(out, spec.get("template"), ("spec", "template"), n, "decode", count=count)
        _inline(out, spec.get("worker"), ("spec", "worker"), n, "worker", count=count)
        prefill = mapping(spec.get("prefill"))
        pn, pcount = _n(prefill.get("replicas")), ("spec", "prefill", "replicas")
        _inline(out, prefill.get("template"), ("spec", "prefill", "template"), pn, "prefill", count=pcount)
        _inline(out, prefill.get("worker"), ("spec", "prefill", "worker"), pn, "prefill-worker", count=pcount)
    elif kind == "LeaderWorkerSet":
        groups = _n(spec.get("replicas"))
        lwt = mapping(spec.get("leaderWorkerTemplate"))
        size = max(_n(lwt.get("size")), 1)
        base: Path = ("spec", "leaderWorkerTemplate")
        count = ("spec", "replicas")
        if isinstance(lwt.get("leaderTemplate"), dict):
            _template(out, obj, (*base, "leaderTemplate"), groups, "leader", count)
            _template(out, obj, (*base, "workerTemplate"), groups * (size - 1), "worker", count)
        else:
            _template(out, obj, (*base, "workerTemplate"), groups * size, "worker", count)
    elif kind == "RayCluster":
        _ray_cluster(out, obj, ("spec",))
    elif kind == "RayService":
        _ray_cluster(out, obj, ("spec", "rayClusterConfig"))
    elif kind == "RayJob":
        _ray_cluster(out, obj, ("spec", "rayClusterSpec"))
        _template(out, obj, ("spec", "submitterPodTemplate"), 1, "submitter")
    return out


def _inference_service(out: list[PodTemplate], spec: Obj) -> None:
    for component in ("predictor", "transformer", "explainer"):
        comp = spec.get(component)
        if not isinstance(comp, dict):
            continue
        # The autoscaler may run up to maxReplicas (unset: KServe's raw mode keeps minReplicas, default 1).
        low, high = _n(comp.get("minReplicas")), _n(comp.get("maxReplicas"), 0)
        n, count = (high, "maxReplicas") if high > low else (low, "minReplicas")
        where: Path = ("spec", component, count)
        _inline(out, comp, ("spec", component), n, component, frameworks=component == "predictor", count=where)
        worker = comp.get("workerSpec")
        if isinstance(worker, dict):
            _inline(
                out,
                worker,
                ("spec", component, "workerSpec"),
                n * _n(worker.get("pipelineParallelSize")),
                f"{component}-worker",
                count=where,
            )


def _ray_cluster(out: list[PodTemplate], obj: Obj, base: Path) -> None:
    node: Any = obj
    for seg in base:
        node = node.get(seg) if isinstance(node, dict) else None
    cluster = mapping(node)
    autoscaling = cluster.get("enableInTreeAutoscaling") is True
    _template(out, obj, (*base, "headGroupSpec", "template"), 1, "head")
    groups = cluster.get("workerGroupSpecs")
    for i, group in enumerate(groups if isinstance(groups, list) else ()):
        g = mapping(group)
        at: Path = (*base, "workerGroupSpecs", i)
        n, field_name = _n(g.get("replicas"), _n(g.get("minReplicas"))), "replicas"
        if autoscaling:  # the autoscaler may grow the group to maxReplicas (the CRD's default: 2^31-1)
            n, field_name = max(n, _n(g.get("maxReplicas"), RAY_MAX_REPLICAS)), "maxReplicas"
        hosts = max(_n(g.get("numOfHosts")), 1)
        _template(out, obj, (*at, "template"), n * hosts, "worker", (*at, field_name))
