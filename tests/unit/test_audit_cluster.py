"""audit.cluster: discovery, paged lists, restart on 410 Gone, metadata-only Secrets — over a scripted ApiClient.

The end-to-end test reads a real kube-apiserver; these pin the paging edge cases it cannot provoke on demand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest

from tenantguard.audit.cluster import CONTEXT, COVERED, ClusterError, ClusterReader, LiveSource, Resource


@dataclass
class Response:
    status: int
    data: bytes

    def release_conn(self) -> None:
        pass


@dataclass
class Answer:
    response: Response


@dataclass
class Configuration:
    host: str = "https://fake:6443"


@dataclass
class FakeApi:
    """Answers GETs from a table of (path, continue token) -> (status, document)."""

    routes: dict[tuple[str, str], list[tuple[int, dict[str, Any]]]]
    configuration: Configuration = field(default_factory=Configuration)
    calls: list[tuple[str, dict[str, Any], dict[str, str]]] = field(default_factory=list)

    def param_serialize(
        self,
        method: str,
        path: str,
        *,
        query_params: list[tuple[str, Any]],
        header_params: dict[str, str],
        auth_settings: list[str],
    ) -> tuple[str, str, dict[str, str], None, None]:
        query = dict(query_params)
        self.calls.append((path, query, header_params))
        return method, f"{path}?{query.get('continue', '')}", header_params, None, None

    def call_api(self, method: str, url: str, **options: Any) -> Answer:
        path, _, token = url.partition("?")
        answers = self.routes.get((path, token)) or [(404, {"kind": "Status", "code": 404})]
        status, doc = answers.pop(0) if len(answers) > 1 else answers[0]
        return Answer(Response(status, orjson.dumps(doc)))


def page(names: list[str], token: str = "") -> dict[str, Any]:
    items = [{"metadata": {"name": n, "uid": f"uid-{n}"}} for n in names]
    return {"kind": "ConfigMapList", "metadata": {"continue": token}, "items": items}


CONFIGMAPS = Resource("", ("v1",), "configmaps", "ConfigMap")


def test_pages_are_followed_and_items_get_kind_and_api_version() -> None:
    api = FakeApi(
        {
            ("/api/v1/configmaps", ""): [(200, page(["a", "b"], "t1"))],
            ("/api/v1/configmaps", "t1"): [(200, page(["c"]))],
        }
    )
    reader = ClusterReader(api, page_size=2)
    items = list(reader.list(CONFIGMAPS, "/api/v1/configmaps"))
    assert [(o["kind"], o["apiVersion"], o["metadata"]["name"]) for o in items] == [
        ("ConfigMap", "v1", "a"),
        ("ConfigMap", "v1", "b"),
        ("ConfigMap", "v1", "c"),
    ]
    assert [c[1] for c in api.calls] == [{"limit": 2}, {"limit": 2, "continue": "t1"}]


def test_expired_continue_token_restarts_the_list_without_repeating_objects() -> None:
    api = FakeApi(
        {
            ("/api/v1/configmaps", ""): [(200, page(["a", "b"], "t1")), (200, page(["a", "b"], "t2"))],
            ("/api/v1/configmaps", "t1"): [(410, {"kind": "Status", "code": 410, "reason": "Expired"})],
            ("/api/v1/configmaps", "t2"): [(200, page(["c"]))],
        }
    )
    reader = ClusterReader(api, page_size=2)
    names = [o["metadata"]["name"] for o in reader.list(CONFIGMAPS, "/api/v1/configmaps")]
    assert names == ["a", "b", "c"]
    assert reader.restarts == 1


def test_a_list_that_keeps_expiring_is_an_error() -> None:
    gone = (410, {"kind": "Status", "code": 410})
    api = FakeApi({("/api/v1/configmaps", ""): [(200, page(["a"], "t1"))], ("/api/v1/configmaps", "t1"): [gone]})
    with pytest.raises(ClusterError, match="continue token expired"):
        list(ClusterReader(api).list(CONFIGMAPS, "/api/v1/configmaps"))


def test_secrets_are_read_as_metadata_only() -> None:
    secrets = Resource("", ("v1",), "secrets", "Secret", metadata_only=True)
    doc = {
        "kind": "PartialObjectMetadataList",
        "metadata": {},
        "items": [{"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": {"name": "s"}}],
    }
    api = FakeApi({("/api/v1/secrets", ""): [(200, doc)]})
    (item,) = ClusterReader(api).list(secrets, "/api/v1/secrets")
    assert (item["kind"], item["apiVersion"]) == ("Secret", "v1")
    assert "as=PartialObjectMetadataList" in api.calls[0][2]["Accept"]


def test_discovery_keeps_what_the_server_serves() -> None:
    groups = {
        "groups": [
            {"name": "apps", "versions": [{"version": "v1"}]},
            {"name": "ray.io", "versions": [{"version": "v1alpha1"}]},
            {"name": "tenantguard.io", "versions": [{"version": "v1alpha1"}]},
        ]
    }
    api = FakeApi(
        {
            ("/apis", ""): [(200, groups)],
            ("/api/v1", ""): [(200, {"resources": [{"name": "pods"}, {"name": "namespaces"}, {"name": "services"}]})],
            ("/apis/apps/v1", ""): [(200, {"resources": [{"name": "deployments"}]})],
            ("/apis/ray.io/v1alpha1", ""): [(200, {"resources": [{"name": "rayclusters"}]})],
            ("/apis/tenantguard.io/v1alpha1", ""): [(200, {"resources": [{"name": "tenants"}]})],
        }
    )
    reader = ClusterReader(api)
    assert [path for _, path in reader.discover(CONTEXT)] == [
        "/apis/tenantguard.io/v1alpha1/tenants",
        "/api/v1/namespaces",
        "/api/v1/pods",
    ]
    found = {res.kind: path for res, path in reader.discover(COVERED)}
    assert found == {
        "Deployment": "/apis/apps/v1/deployments",
        "Service": "/api/v1/services",
        "RayCluster": "/apis/ray.io/v1alpha1/rayclusters",
    }


def test_http_errors_name_the_path_and_status() -> None:
    api = FakeApi({("/api/v1/configmaps", ""): [(403, {"kind": "Status", "message": "forbidden"})]})
    with pytest.raises(ClusterError, match="GET /api/v1/configmaps: HTTP 403") as err:
        list(ClusterReader(api).list(CONFIGMAPS, "/api/v1/configmaps"))
    assert err.value.status == 403


def test_a_forbidden_resource_is_left_out_and_named() -> None:
    groups = {"groups": [{"name": "apps", "versions": [{"version": "v1"}]}]}
    api = FakeApi(
        {
            ("/apis", ""): [(200, groups)],
            ("/api/v1", ""): [(200, {"resources": [{"name": "secrets"}, {"name": "configmaps"}]})],
            ("/apis/apps/v1", ""): [(200, {"resources": [{"name": "deployments"}]})],
            ("/api/v1/secrets", ""): [(403, {"kind": "Status", "code": 403})],
            ("/apis/apps/v1/deployments", ""): [(403, {"kind": "Status", "code": 403})],
            ("/api/v1/configmaps", ""): [(200, page(["a"]))],
        }
    )
    source = LiveSource(ClusterReader(api))
    assert [o["metadata"]["name"] for o in source.objects()] == ["a"]
    assert source.forbidden == ["deployments.apps", "secrets"]


def test_forbidden_dra_context_is_left_out_and_named_but_pods_are_not() -> None:
    """An audit role without resource.k8s.io still audits; without Pods it cannot (exit 2, as before)."""
    groups = {"groups": [{"name": "resource.k8s.io", "versions": [{"version": "v1"}]}]}
    api = FakeApi(
        {
            ("/apis", ""): [(200, groups)],
            ("/api/v1", ""): [(200, {"resources": [{"name": "pods"}]})],
            ("/apis/resource.k8s.io/v1", ""): [(200, {"resources": [{"name": "resourceclaims"}]})],
            ("/apis/resource.k8s.io/v1/resourceclaims", ""): [(403, {"kind": "Status", "code": 403})],
            ("/api/v1/pods", ""): [(200, page(["p"]))],
        }
    )
    source = LiveSource(ClusterReader(api))
    assert [(o["kind"], o["metadata"]["name"]) for o in source.context()] == [("Pod", "p")]
    assert source.forbidden == ["resourceclaims.resource.k8s.io"]
