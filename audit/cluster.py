"""The live cluster reader: connect, discover the covered resources, and stream them page by page.

Raw HTTP through the Kubernetes client's ApiClient (`_preload_content=False`), each page parsed with
orjson into plain dicts — no model classes. Lists are paged (`limit`/`continue`, 500 a page) so memory
holds one page at a time; a list whose continue token expired (`410 Gone`) restarts from the top and
skips the objects it already handed over (by UID). Secrets are read as metadata only.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson

PAGE_SIZE = 500
DRA_GROUP = "resource.k8s.io"
MAX_RESTARTS = 3
_METADATA_ONLY = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1, application/json"


class ClusterError(Exception):
    """The cluster cannot be read: no configuration, unreachable, unauthorised. The message says which."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


class _Gone(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Resource:
    group: str
    versions: tuple[str, ...]  # preferred first; the first one the server serves is used
    plural: str
    kind: str
    metadata_only: bool = False


# Context first (Tenants, Namespaces, the DRA objects, Pods: the scan needs them before judging anything else), then
# the rest. ResourceSlices weigh allocated devices in the usage report; pods come last (the first one starts judging).
CONTEXT: tuple[Resource, ...] = (
    Resource("tenantguard.io", ("v1alpha1",), "tenants", "Tenant"),
    Resource("", ("v1",), "namespaces", "Namespace"),
    Resource(DRA_GROUP, ("v1",), "deviceclasses", "DeviceClass"),
    Resource(DRA_GROUP, ("v1",), "resourceslices", "ResourceSlice"),
    Resource(DRA_GROUP, ("v1",), "resourceclaimtemplates", "ResourceClaimTemplate"),
    Resource(DRA_GROUP, ("v1",), "resourceclaims", "ResourceClaim"),
    Resource("", ("v1",), "pods", "Pod"),
)
COVERED: tuple[Resource, ...] = (
    Resource("apps", ("v1",), "deployments", "Deployment"),
    Resource("apps", ("v1",), "statefulsets", "StatefulSet"),
    Resource("apps", ("v1",), "daemonsets", "DaemonSet"),
    Resource("apps", ("v1",), "replicasets", "ReplicaSet"),
    Resource("", ("v1",), "replicationcontrollers", "ReplicationController"),
    Resource("batch", ("v1",), "jobs", "Job"),
    Resource("batch", ("v1",), "cronjobs", "CronJob"),
    Resource("autoscaling", ("v2",), "horizontalpodautoscalers", "HorizontalPodAutoscaler"),
    Resource("", ("v1",), "services", "Service"),
    Resource("", ("v1",), "resourcequotas", "ResourceQuota"),
    Resource("", ("v1",), "configmaps", "ConfigMap"),
    Resource("", ("v1",), "secrets", "Secret", metadata_only=True),
    Resource("", ("v1",), "serviceaccounts", "ServiceAccount"),
    Resource("", ("v1",), "persistentvolumeclaims", "PersistentVolumeClaim"),
    Resource("networking.k8s.io", ("v1",), "networkpolicies", "NetworkPolicy"),
    Resource("networking.k8s.io", ("v1",), "ingresses", "Ingress"),
    Resource("rbac.authorization.k8s.io", ("v1",), "roles", "Role"),
    Resource("rbac.authorization.k8s.io", ("v1",), "rolebindings", "RoleBinding"),
    Resource("rbac.authorization.k8s.io", ("v1",), "clusterroles", "ClusterRole"),
    Resource("rbac.authorization.k8s.io", ("v1",), "clusterrolebindings", "ClusterRoleBinding"),
    Resource("serving.kserve.io", ("v1beta1",), "inferenceservices", "InferenceService"),
    Resource("serving.kserve.io", ("v1alpha1",), "servingruntimes", "ServingRuntime"),
    Resource("serving.kserve.io", ("v1alpha1",), "clusterservingruntimes", "ClusterServingRuntime"),
    Resource("serving.kserve.io", ("v1alpha1",), "llminferenceservices", "LLMInferenceService"),
    Resource("leaderworkerset.x-k8s.io", ("v1",), "leaderworkersets", "LeaderWorkerSet"),
    Resource("ray.io", ("v1", "v1alpha1"), "rayservices", "RayService"),
    Resource("ray.io", ("v1", "v1alpha1"), "rayclusters", "RayCluster"),
    Resource("ray.io", ("v1", "v1alpha1"), "rayjobs", "RayJob"),
    Resource("gateway.networking.k8s.io", ("v1", "v1beta1"), "httproutes", "HTTPRoute"),
    Resource("gateway.networking.k8s.io", ("v1",), "grpcroutes", "GRPCRoute"),
    Resource("gateway.networking.k8s.io", ("v1", "v1alpha2"), "tlsroutes", "TLSRoute"),
    Resource("gateway.networking.k8s.io", ("v1", "v1alpha2"), "tcproutes", "TCPRoute"),
    Resource("gateway.networking.k8s.io", ("v1", "v1alpha2"), "udproutes", "UDPRoute"),
    Resource("gateway.networking.k8s.io", ("v1", "v1beta1"), "referencegrants", "ReferenceGrant"),
    Resource("gateway.networking.k8s.io", ("v1",), "listenersets", "ListenerSet"),
    Resource("discovery.k8s.io", ("v1",), "endpointslices", "EndpointSlice"),
    Resource("", ("v1",), "endpoints", "Endpoints"),
    Resource("", ("v1",), "nodes", "Node", metadata_only=True),  # not judged: their GPU product prices GPU-hours
)


def connect(kubeconfig: str | None, context: str | None) -> Any:
    """An ApiClient from the kubeconfig (or $KUBECONFIG, ~/.kube/config), or in-cluster when none is named
    and the pod's service account is there."""
    from kubernetes import client, config

    cfg = client.Configuration()
    cfg.retries = 1  # an unreachable server should fail in seconds, not after urllib3's default retries
    try:
        if kubeconfig is None and context is None and os.environ.get("KUBERNETES_SERVICE_HOST"):
            config.load_incluster_config(client_configuration=cfg)  # type: ignore[no-untyped-call]
        else:
            config.load_kube_config(  # type: ignore[no-untyped-call]
                config_file=kubeconfig, context=context, client_configuration=cfg
            )
    except (config.ConfigException, OSError, TypeError, ValueError) as err:
        raise ClusterError(f"cannot load Kubernetes configuration: {err}") from err
    return client.ApiClient(cfg)


class ClusterReader:
    def __init__(self, api: Any, *, page_size: int = PAGE_SIZE) -> None:
        self.api = api
        self.page_size = page_size
        self.server: str = str(api.configuration.host)
        self.restarts = 0
        self._served: dict[str, set[str]] = {}

    def request(
        self,
        method: str,
        path: str,
        query: list[tuple[str, Any]] | None = None,
        *,
        accept: str = "application/json",
        body: bytes | dict[str, Any] | None = None,
        content_type: str = "application/json",
    ) -> Any:
        """One API call, its JSON answer as plain dicts; 410 raises _Gone, other errors ClusterError.

        A JSON `content_type` takes the body as a dict (the client serialises it); others as bytes.
        """
        from urllib3.exceptions import HTTPError

        headers = {"Accept": accept} if body is None else {"Accept": accept, "Content-Type": content_type}
        try:
            method, url, headers, _, _ = self.api.param_serialize(
                method, path, query_params=query or [], header_params=headers, auth_settings=["BearerToken"]
            )
            resp = self.api.call_api(method, url, header_params=headers, body=body, _request_timeout=60).response
        except (HTTPError, OSError) as err:
            raise ClusterError(f"cannot reach the API server at {self.server}: {type(err).__name__}: {err}") from err
        if resp.status == 410:
            resp.release_conn()
            raise _Gone
        if resp.status >= 400:
            detail = resp.data[:300].decode(errors="replace")
            raise ClusterError(f"{method} {path}: HTTP {resp.status}: {detail}", resp.status)
        return orjson.loads(resp.data)

    def _get(self, path: str, query: list[tuple[str, Any]], accept: str = "application/json") -> Any:
        return self.request("GET", path, query, accept=accept)

    def _resources(self, group_version: str) -> set[str]:
        """Plural names served at one group-version (empty when the version is not served)."""
        if group_version not in self._served:
            path = "/api/v1" if group_version == "v1" else f"/apis/{group_version}"
            try:
                doc = self._get(path, [])
                names = {r.get("name", "") for r in doc.get("resources") or ()}
            except ClusterError as err:
                if err.status != 404:
                    raise
                names = set()
            self._served[group_version] = names
        return self._served[group_version]

    def discover(self, resources: tuple[Resource, ...]) -> list[tuple[Resource, str]]:
        """(resource, list path) for each resource the server serves; CRDs that are not installed are left out."""
        groups = {g.get("name", ""): g for g in (self._get("/apis", []).get("groups") or ())}
        found: list[tuple[Resource, str]] = []
        for res in resources:
            versions: list[str] = list(res.versions)
            if res.group:
                served = [v.get("version", "") for v in (groups.get(res.group) or {}).get("versions") or ()]
                versions = [v for v in versions if v in served] + [v for v in served if v not in versions]
            for version in versions:
                gv = f"{res.group}/{version}" if res.group else version
                if res.plural in self._resources(gv):
                    base = "/api/v1" if not res.group else f"/apis/{gv}"
                    found.append((res, f"{base}/{res.plural}"))
                    break
        return found

    def list(self, res: Resource, path: str) -> Iterator[dict[str, Any]]:
        """Every object of one resource, page by page, with kind and apiVersion set on each."""
        seen: set[str] = set()
        for attempt in range(MAX_RESTARTS + 1):
            try:
                yield from self._pages(res, path, seen)
                return
            except _Gone:
                self.restarts += 1
                if attempt == MAX_RESTARTS:
                    raise ClusterError(f"list {path}: continue token expired {attempt + 1} times") from None

    def _pages(self, res: Resource, path: str, seen: set[str]) -> Iterator[dict[str, Any]]:
        api_version = f"{path.split('/')[2]}/{path.split('/')[3]}" if res.group else "v1"
        accept = _METADATA_ONLY if res.metadata_only else "application/json"
        token = ""
        while True:
            query: list[tuple[str, Any]] = [("limit", self.page_size)]
            if token:
                query.append(("continue", token))
            doc = self._get(path, query, accept)
            for item in doc.get("items") or ():
                uid = (item.get("metadata") or {}).get("uid") or ""
                if uid:
                    if uid in seen:
                        continue
                    seen.add(uid)
                item["kind"], item["apiVersion"] = res.kind, api_version
                yield item
            token = (doc.get("metadata") or {}).get("continue") or ""
            if not token:
                return


class LiveSource:
    """audit.scan.Source over a cluster: the context resources, then every other covered one it serves."""

    judges_context = True

    def __init__(self, reader: ClusterReader) -> None:
        self.reader = reader
        self.context_resources = reader.discover(CONTEXT)
        self.resources = reader.discover(COVERED)
        self.forbidden: list[str] = []

    @property
    def kinds(self) -> list[str]:
        return [res.kind for res, _ in (*self.context_resources, *self.resources)]

    def context(self) -> Iterator[dict[str, Any]]:
        """Tenants, Namespaces and Pods must be readable; the DRA objects may be forbidden like any other kind (the
        verdicts and usage then know no claims, and `forbidden` says so)."""
        for res, path in self.context_resources:
            try:
                yield from self.reader.list(res, path)
            except ClusterError as err:
                if err.status != 403 or res.group != DRA_GROUP:
                    raise
                self.forbidden.append(f"{res.plural}.{res.group}")

    def objects(self) -> Iterator[dict[str, Any]]:
        """Every other covered resource; one the audit may not list (403) is skipped and named in `forbidden`,
        so a least-privilege audit role without, say, Secrets still gets its report."""
        for res, path in self.resources:
            try:
                yield from self.reader.list(res, path)
            except ClusterError as err:
                if err.status != 403:
                    raise
                self.forbidden.append(path.rsplit("/", 1)[-1] if not res.group else f"{res.plural}.{res.group}")
