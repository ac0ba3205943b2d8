"""GPU accounting helpers: resource names, MIG profiles, per-pod devices as the scheduler counts them."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest

from tenantguard.policies.engine import context
from tenantguard.policies.gpu import (
    container_gpu_requests,
    device_weight,
    format_gpus,
    gpu_equivalents,
    is_gpu_resource,
    mig_profile_of,
    mig_resource_of,
    object_gpu_demand,
    pod_gpu_devices,
    pod_gpu_equivalents,
    pod_gpu_total,
    quantity,
    selected_products,
)
from tenantguard.policies.rules.gpu import RULES
from tenantguard.policies.subjects import PodTemplate, Subject
from tests.support.fixtures import cluster_for, request


def c(limits: Any = None, requests: Any = None, name: str = "c", **extra: Any) -> dict[str, Any]:
    resources: dict[str, Any] = {}
    if limits is not None:
        resources["limits"] = limits
    if requests is not None:
        resources["requests"] = requests
    return {"name": name, "image": "x", "resources": resources, **extra}


def sidecar(limits: Any) -> dict[str, Any]:
    return c(limits, restartPolicy="Always")


def pod(spec: dict[str, Any]) -> PodTemplate:
    (template,) = Subject.of({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec}).pods
    return template


GPU = "nvidia.com/gpu"
MIG = "nvidia.com/mig-1g.10gb"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("nvidia.com/gpu", True, id="full"),
        pytest.param("nvidia.com/mig-3g.40gb", True, id="mig"),
        pytest.param("nvidia.com/mig-1g.10gb.me", True, id="mig-me"),
        pytest.param("nvidia.com/gpu.shared", True, id="time-sliced"),
        pytest.param("nvidia.com/mig-", False, id="empty-profile"),
        pytest.param("nvidia.com/gpu.product", False, id="a-label-not-a-resource"),
        pytest.param("cpu", False, id="cpu"),
        pytest.param(None, False, id="none"),
        pytest.param(3, False, id="int"),
    ],
)
def test_is_gpu_resource(name: Any, expected: bool) -> None:
    assert is_gpu_resource(name) is expected


@pytest.mark.parametrize(
    ("resource", "profile"),
    [
        pytest.param("nvidia.com/mig-3g.40gb", "3g.40gb", id="plain"),
        pytest.param("nvidia.com/mig-1g.10gb.me", "1g.10gb+me", id="me"),
        pytest.param("nvidia.com/mig-1g.5gb.shared", "1g.5gb", id="shared"),
        pytest.param("nvidia.com/mig-1g.24gb.me.all", "1g.24gb+me.all", id="me-all"),
        pytest.param("nvidia.com/mig-2g.48gb.gfx", "2g.48gb+gfx", id="gfx"),
        pytest.param("nvidia.com/mig-1g.24gb-me", "1g.24gb-me", id="minus-me"),
        pytest.param("nvidia.com/gpu", None, id="full-gpu"),
        pytest.param("cpu", None, id="cpu"),
        pytest.param(None, None, id="none"),
    ],
)
def test_mig_profile_of(resource: Any, profile: str | None) -> None:
    assert mig_profile_of(resource) == profile
    if profile is not None and not resource.endswith(".shared"):
        assert mig_resource_of(profile) == resource


@pytest.mark.parametrize(
    ("resource", "weight"),
    [
        pytest.param("nvidia.com/gpu", Fraction(1), id="full"),
        pytest.param("nvidia.com/mig-3g.40gb", Fraction(3, 7), id="3g"),
        pytest.param("nvidia.com/mig-1g.10gb.me", Fraction(1, 7), id="1g-me"),
        pytest.param("nvidia.com/mig-7g.80gb", Fraction(1), id="7g"),
        pytest.param("nvidia.com/gpu.shared", Fraction(1), id="time-sliced-counts-whole"),
        pytest.param("nvidia.com/mig-bogus", Fraction(1), id="malformed-counts-whole-not-zero"),
        pytest.param("memory", Fraction(0), id="not-gpu"),
    ],
)
def test_device_weight(resource: str, weight: Fraction) -> None:
    assert device_weight(resource) == weight


def test_gpu_equivalents_are_exact() -> None:
    seven = {"nvidia.com/mig-1g.10gb": 7}
    assert gpu_equivalents(seven) == 1, "seven 1g slices are exactly one GPU, not 0.9999999"
    assert gpu_equivalents({"nvidia.com/gpu": 1, "nvidia.com/mig-1g.10gb": 2}) == Fraction(9, 7)
    assert format_gpus(Fraction(9, 7)) == "1.29" and format_gpus(Fraction(14, 7)) == "2"
    assert pod_gpu_equivalents(pod({"containers": [c({MIG: 3}), c({"nvidia.com/mig-3g.40gb": 1})]})) == Fraction(6, 7)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(2, 2, id="int"),
        pytest.param("2", 2, id="string"),
        pytest.param(" 3 ", 3, id="padded"),
        pytest.param("2000m", 2, id="milli-whole"),
        pytest.param(2.0, 2, id="float-whole"),
        pytest.param("1e1", 10, id="decimal-exponent-is-ten"),
        pytest.param("0.01k", 10, id="si-suffix-is-ten"),
        pytest.param("1Ki", 1024, id="binary-suffix"),
        pytest.param("+2", 2, id="plus-sign"),
        pytest.param("500m", None, id="milli-fraction"),
        pytest.param("1e-1", None, id="negative-exponent-fraction"),
        pytest.param(1.5, None, id="float-fraction"),
        pytest.param("two", None, id="word"),
        pytest.param(-1, None, id="negative"),
        pytest.param(True, None, id="bool"),
        pytest.param(None, None, id="none"),
        pytest.param({"n": 1}, None, id="dict"),
    ],
)
def test_quantity(value: Any, expected: int | None) -> None:
    assert quantity(value) == expected


def test_requests_default_to_limits_per_resource() -> None:
    assert container_gpu_requests(c({GPU: 2, MIG: 1}, {MIG: "1", "cpu": "4"})) == {GPU: 2, MIG: 1}


def test_unparseable_request_falls_back_to_limit() -> None:
    assert container_gpu_requests(c({GPU: 2}, {GPU: "lots"})) == {GPU: 2}


@pytest.mark.parametrize(
    ("limits", "devices"),
    [
        pytest.param({GPU: "1e1"}, {GPU: 10}, id="1e1-is-ten-not-nothing"),
        pytest.param({GPU: "0.01k"}, {GPU: 10}, id="0.01k-is-ten"),
        pytest.param({GPU: "1.5"}, {GPU: 2}, id="fraction-counts-rounded-up"),
        pytest.param({MIG: "0.5"}, {MIG: 1}, id="half-a-slice-is-a-slice"),
    ],
)
def test_quantities_count_as_apimachinery_reads_them(limits: dict[str, Any], devices: dict[str, int]) -> None:
    """Today's main counts "1e1" and "0.5" as nothing: a custom resource slipped past every cap that way."""
    assert container_gpu_requests(c(limits)) == devices


@pytest.mark.parametrize(
    "container",
    [
        pytest.param({"name": "x", "resources": None}, id="resources-none"),
        pytest.param({"name": "x", "resources": "4 gpus"}, id="resources-string"),
        pytest.param({"name": "x", "resources": {"limits": ["nvidia.com/gpu"]}}, id="limits-list"),
        pytest.param(c({GPU: "lots"}), id="not-a-quantity"),
        pytest.param(c({GPU: "-1"}), id="negative"),
        pytest.param(c({GPU: 0}), id="zero"),
    ],
)
def test_malformed_containers_count_nothing(container: dict[str, Any]) -> None:
    assert container_gpu_requests(container) == {}


@pytest.mark.parametrize(
    ("spec", "devices"),
    [
        pytest.param({"containers": [c({GPU: 1}), c({GPU: "2"})]}, {GPU: 3}, id="app-containers-add"),
        pytest.param(
            {"containers": [c({GPU: 1})], "initContainers": [c({GPU: 2}), c({GPU: 1})]},
            {GPU: 2},
            id="init-is-max-not-sum",
        ),
        pytest.param({"containers": [c({GPU: 1})], "initContainers": [sidecar({GPU: 1})]}, {GPU: 2}, id="sidecar-adds"),
        pytest.param(
            {"containers": [c({GPU: 1})], "initContainers": [sidecar({GPU: 1}), c({GPU: 3})]},
            {GPU: 4},
            id="init-after-sidecar-runs-beside-it",
        ),
        pytest.param(
            {"containers": [c({GPU: 1})], "initContainers": [c({GPU: 3}), sidecar({GPU: 1})]},
            {GPU: 3},
            id="init-before-sidecar-runs-alone",
        ),
        pytest.param(
            {"containers": [c({MIG: 1})], "initContainers": [c({GPU: 1})]},
            {GPU: 1, MIG: 1},
            id="per-resource",
        ),
        pytest.param({"containers": [c({"cpu": 1})]}, {}, id="no-gpu"),
        pytest.param({"containers": "oops", "initContainers": [None, 3]}, {}, id="malformed-lists"),
        pytest.param({"ephemeralContainers": [c({GPU: 1})]}, {}, id="ephemeral-not-counted"),
    ],
)
def test_pod_gpu_devices(spec: dict[str, Any], devices: dict[str, int]) -> None:
    assert pod_gpu_devices(pod(spec)) == devices
    assert pod_gpu_total(pod(spec)) == sum(devices.values())


def isvc(predictor: dict[str, Any]) -> Subject:
    return Subject.of(
        {
            "apiVersion": "serving.kserve.io/v1beta1",
            "kind": "InferenceService",
            "metadata": {"name": "llm", "namespace": "acme-prod"},
            "spec": {"predictor": predictor},
        }
    )


def test_kserve_model_container_counts() -> None:
    subject = isvc(
        {
            "minReplicas": 3,
            "model": {"modelFormat": {"name": "huggingface"}, **c({GPU: 2})},
            "containers": [c({MIG: 1}, name="side")],
        }
    )
    (predictor,) = subject.pods
    assert pod_gpu_devices(predictor) == {GPU: 2, MIG: 1}
    assert object_gpu_demand(subject) == 9


def obj(kind: str, spec: dict[str, Any], api: str = "apps/v1") -> Subject:
    return Subject.of(
        {"apiVersion": api, "kind": kind, "metadata": {"name": "x", "namespace": "acme-prod"}, "spec": spec}
    )


def tpl(*containers: dict[str, Any]) -> dict[str, Any]:
    return {"spec": {"containers": list(containers)}}


@pytest.mark.parametrize(
    ("subject", "demand"),
    [
        pytest.param(obj("Deployment", {"replicas": 3, "template": tpl(c({GPU: 2}))}), 6, id="deployment"),
        pytest.param(obj("Deployment", {"template": tpl(c({GPU: 2}))}), 2, id="deployment-default-replicas"),
        pytest.param(
            obj(
                "CronJob",
                {"jobTemplate": {"spec": {"parallelism": 2, "template": tpl(c({GPU: 1}))}}},
                "batch/v1",
            ),
            2,
            id="cronjob",
        ),
        pytest.param(
            obj(
                "LeaderWorkerSet",
                {
                    "replicas": 2,
                    "leaderWorkerTemplate": {
                        "size": 4,
                        "leaderTemplate": tpl(c({GPU: 1})),
                        "workerTemplate": tpl(c({GPU: 2})),
                    },
                },
                "leaderworkerset.x-k8s.io/v1",
            ),
            2 * 1 + 2 * 3 * 2,
            id="lws-leader-and-workers",
        ),
        pytest.param(
            obj(
                "RayCluster",
                {
                    "headGroupSpec": {"template": tpl(c({"cpu": 1}))},
                    "workerGroupSpecs": [
                        {"replicas": 2, "template": tpl(c({GPU: 1}))},
                        {"replicas": 1, "numOfHosts": 2, "template": tpl(c({MIG: 2}))},
                    ],
                },
                "ray.io/v1",
            ),
            2 + 4,
            id="ray-worker-groups",
        ),
        pytest.param(
            obj("ServingRuntime", {"containers": [c({GPU: 1})]}, "serving.kserve.io/v1alpha1"),
            0,
            id="serving-runtime-creates-no-pods",
        ),
        pytest.param(obj("ConfigMap", {}, "v1"), 0, id="no-pods"),
    ],
)
def test_object_gpu_demand(subject: Subject, demand: int) -> None:
    assert object_gpu_demand(subject) == demand


PRODUCT = "nvidia.com/gpu.product"


def affinity(*terms: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "affinity": {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [{"matchExpressions": t} for t in terms]
                }
            }
        }
    }


def product_in(*values: str) -> dict[str, Any]:
    return {"key": PRODUCT, "operator": "In", "values": list(values)}


@pytest.mark.parametrize(
    ("spec", "products"),
    [
        pytest.param({}, None, id="unconstrained"),
        pytest.param({"nodeSelector": {PRODUCT: "A"}}, {"A"}, id="node-selector"),
        pytest.param(affinity([product_in("A", "B")]), {"A", "B"}, id="affinity-in"),
        pytest.param(affinity([product_in("A")], [product_in("B")]), {"A", "B"}, id="terms-or"),
        pytest.param(
            affinity([product_in("A")], [{"key": "zone", "operator": "In", "values": ["z"]}]),
            None,
            id="open-term",
        ),
        pytest.param(
            {"nodeSelector": {PRODUCT: "A"}, **affinity([product_in("A", "B")])},
            {"A"},
            id="selector-and-affinity",
        ),
        pytest.param(affinity([product_in("A", "B"), product_in("B", "C")]), {"B"}, id="expressions-and"),
        pytest.param({"nodeSelector": "A", "affinity": []}, None, id="malformed"),
    ],
)
def test_selected_products(spec: dict[str, Any], products: set[str] | None) -> None:
    assert selected_products(spec) == (None if products is None else frozenset(products))


BAD_SPECS: list[Any] = [
    {"containers": None},
    {"containers": ["vllm", 3, None]},
    {"containers": [{"name": "x", "resources": {"limits": "nvidia.com/gpu=1", "requests": [1]}}]},
    {"containers": [{"name": None, "resources": {"limits": {"nvidia.com/gpu": {"n": 1}}}}]},
    {"containers": [{"resources": {"requests": {"nvidia.com/mig-": 1, "nvidia.com/gpu": None}}}]},
    {"containers": [c({GPU: 1})], "initContainers": "warmup", "tolerations": {"key": "nvidia.com/gpu"}},
    {"containers": [c({"cpu": 1})], "tolerations": [{"key": 7, "operator": None}], "nodeSelector": ["x"]},
    {"containers": [c({MIG: 1})], "nodeSelector": {PRODUCT: 3}, "affinity": "gpu"},
    {
        "containers": [c({MIG: 1})],
        "affinity": {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        "x",
                        {"matchExpressions": "y"},
                        {"matchExpressions": [None, {"key": PRODUCT, "operator": "In", "values": "A100"}]},
                    ]
                }
            }
        },
    },
]


def wrap(kind: str, spec: Any) -> dict[str, Any]:
    shapes: dict[str, tuple[str, Any]] = {
        "Pod": ("v1", spec),
        "Deployment": ("apps/v1", {"replicas": "3", "template": {"spec": spec}}),
        "DaemonSet": ("apps/v1", {"template": {"spec": spec}}),
        "CronJob": ("batch/v1", {"jobTemplate": {"spec": {"parallelism": None, "template": {"spec": spec}}}}),
        "InferenceService": (
            "serving.kserve.io/v1beta1",
            {"predictor": {**spec, "model": "vllm", "minReplicas": -1}},
        ),
        "LeaderWorkerSet": (
            "leaderworkerset.x-k8s.io/v1",
            {"leaderWorkerTemplate": {"size": "4", "workerTemplate": {"spec": spec}}},
        ),
        "RayCluster": (
            "ray.io/v1",
            {"headGroupSpec": None, "workerGroupSpecs": [None, {"template": {"spec": spec}}]},
        ),
    }
    api, body = shapes[kind]
    return {
        "apiVersion": api,
        "kind": kind,
        "metadata": {"name": "x", "namespace": "acme-prod"},
        "spec": body,
    }


@pytest.mark.parametrize("spec", BAD_SPECS, ids=[f"bad{i}" for i in range(len(BAD_SPECS))])
@pytest.mark.parametrize(
    "kind", ["Pod", "Deployment", "DaemonSet", "CronJob", "InferenceService", "LeaderWorkerSet", "RayCluster"]
)
def test_gpu_rules_never_raise_on_malformed_objects(kind: str, spec: Any) -> None:
    subject = Subject.of(wrap(kind, spec))
    ctx = context(subject, cluster_for(), request())
    assert ctx.tenant is not None
    for rule in RULES:
        for finding in rule.check(subject, ctx):
            assert finding.path and finding.message
