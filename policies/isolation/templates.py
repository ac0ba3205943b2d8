"""Representative pods of the workloads in manifests: what each pod template will run as, before it runs.

CI sees Deployments, StatefulSets, DaemonSets, Jobs, CronJobs and the model-serving kinds (InferenceService,
LLMInferenceService, LeaderWorkerSet, RayCluster/RayService/RayJob), not pods. Each pod template
(`policies.subjects`, at its real path) becomes one representative pod — the pods of one template differ only
in labels no policy should select (pod-template-hash, pod names) — with:

- the labels its pods will carry: the template's, those the controller adds that are known in advance
  (`job-name`; LeaderWorkerSet's `leaderworkerset.sigs.k8s.io/name`; KServe's
  `serving.kserve.io/inferenceservice` and `component`, with the InferenceService's own labels, which KServe
  propagates; Ray's `ray.io/node-type`, and `ray.io/cluster` for a RayCluster), and the tenant label
  admission adds to every pod of a tenant namespace;
- its declared container ports (KServe's framework containers included) and hostNetwork;
- no address yet: it will get one from the pod ranges (its node's, for hostNetwork) of settings `network`, and
  it may land on any node (`ANY_NODE`);
- its workload: the object itself (`namespace/name[Kind]`), and a name saying which template: `vllm (template)`,
  `llama (predictor)`, `ray (head)`. A template that makes several pods (replicas above one, a DaemonSet)
  gets a second representative, `vllm (template) #2`, so that its pods reaching each other count as they
  would once they run.

Objects a controller owns (a Deployment's ReplicaSets, a CronJob's Jobs) are represented by their owner, a
finished Job by nothing, and ServingRuntimes not at all: their pods exist only through InferenceServices.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from tenantguard.policies.fields import mapping, sequence
from tenantguard.policies.netpol import ANY_NODE, PodInfo, container_ports, pod_info
from tenantguard.policies.ownership import controller_of, display
from tenantguard.policies.settings import NetworkSettings
from tenantguard.policies.subjects import POD_TEMPLATE_KINDS, PodTemplate, pod_templates

NOT_REPRESENTED = frozenset({"Pod", "ServingRuntime", "ClusterServingRuntime"})


def _finished(obj: dict[str, Any]) -> bool:
    status = mapping(obj.get("status"))
    if status.get("completionTime"):
        return True
    return any(
        mapping(c).get("type") in ("Complete", "Failed") and mapping(c).get("status") == "True"
        for c in sequence(status.get("conditions"))
    )


def _strings(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in mapping(value).items()}


def _controller_labels(kind: str, name: str, obj: dict[str, Any], template: PodTemplate) -> dict[str, str]:
    """The labels the controller of `kind` puts on the pods of this template, beyond the template's own."""
    if kind == "Job":
        return {"job-name": name, "batch.kubernetes.io/job-name": name}
    if kind == "LeaderWorkerSet":
        return {"leaderworkerset.sigs.k8s.io/name": name}
    if kind == "InferenceService":
        component = template.role.removesuffix("-worker")
        own = _strings(mapping(mapping(obj.get("spec")).get(component)).get("labels"))
        labels = _strings(mapping(obj.get("metadata")).get("labels"))
        return {**labels, **own, "serving.kserve.io/inferenceservice": name, "component": component}
    if kind in ("RayCluster", "RayService", "RayJob") and template.role in ("head", "worker"):
        labels = {"ray.io/node-type": template.role}
        return {**labels, "ray.io/cluster": name} if kind == "RayCluster" else labels
    if template.meta is None:  # a pod spec inlined in the object (LLMInferenceService): the object's labels
        return _strings(mapping(obj.get("metadata")).get("labels"))
    return {}


def template_pods(
    obj: dict[str, Any], *, namespace: str, network: NetworkSettings, tenant_labels: dict[str, str]
) -> list[PodInfo]:
    """The representative pods of one object (none for kinds without pods of their own, owned or finished
    objects). `tenant_labels`: what admission adds to every pod there ({tenant label: tenant}, or nothing)."""
    kind = obj.get("kind")
    if not isinstance(kind, str) or kind not in POD_TEMPLATE_KINDS or kind in NOT_REPRESENTED:
        return []
    meta = mapping(obj.get("metadata"))
    if controller_of(meta) is not None or (kind == "Job" and _finished(obj)):
        return []
    name = str(meta.get("name") or meta.get("generateName") or "")
    workload = display((kind, namespace, name))
    pods: list[PodInfo] = []
    for template in pod_templates(obj):
        spec = template.spec
        extra = [container for _, container in template.extra_containers]
        ports, host_ports = container_ports({**spec, "containers": [*sequence(spec.get("containers")), *extra]})
        own = _strings(template.meta.get("labels")) if template.meta is not None else {}
        host = spec.get("hostNetwork") is True
        pod = PodInfo(
            namespace=namespace,
            name=f"{name} ({template.role})",
            labels={**_controller_labels(kind, name, obj, template), **own, **tenant_labels},
            ports=ports,
            host_network=host,
            node=ANY_NODE,
            addresses=network.node_ranges if host else network.pod_ranges,
            workload=workload,
            host_ports=host_ports,
        )
        pods.append(pod)
        if template.replicas > 1 or kind == "DaemonSet":
            pods.append(replace(pod, name=f"{pod.name} #2"))
    return pods


def manifest_pod(
    obj: dict[str, Any],
    *,
    namespace: str,
    network: NetworkSettings,
    tenant_labels: dict[str, str],
    workload: str | None = None,
) -> PodInfo:
    """A Pod from a manifest, or one that is not scheduled yet: it may land on any node, with an address from
    the pod (node) ranges, and the tenant label admission adds."""
    pod = pod_info({**obj, "metadata": {**mapping(obj.get("metadata")), "namespace": namespace}}, workload=workload)
    labels = {**pod.labels, **tenant_labels} if tenant_labels else pod.labels
    node = pod.node or ANY_NODE
    addresses = () if pod.ip else (network.node_ranges if pod.host_network else network.pod_ranges)
    return replace(pod, labels=labels, node=node, addresses=addresses)
