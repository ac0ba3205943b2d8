"""SRV002 allowed-registries: images only from the tenant's registries, after Docker normalisation."""

from __future__ import annotations

from typing import Any

import pytest

from tenantguard.policies.engine import evaluate, review
from tenantguard.policies.model import Obj, Violation
from tests.support.fixtures import cluster_for, deployment, pod, request, restricted_container


def fired(obj: Obj, tenant: dict[str, Any] | None = None) -> list[Violation]:
    return [v for v in evaluate(obj, cluster_for(tenant), request()).violations if v.rule == "SRV002"]


def image_pod(*images: str) -> Obj:
    return pod(containers=[restricted_container(f"c{i}", image) for i, image in enumerate(images)])


@pytest.mark.parametrize(
    ("image", "tenant"),
    [
        pytest.param("registry.acme.example/vllm:0.6", None, id="own-registry"),
        pytest.param("nvcr.io/nvidia/tritonserver:24.08-py3", None, id="nvcr"),
        pytest.param("vllm/vllm-openai:v0.6.3", None, id="docker-hub-short-form"),
        pytest.param("docker.io/vllm/vllm-openai@sha256:" + "a" * 64, None, id="digest"),
        pytest.param("index.docker.io/vllm/vllm-openai:v0.6.3", None, id="legacy-hub-domain"),
        pytest.param("nginx", {"registries": ["docker.io/library/"]}, id="official-image"),
        pytest.param("quay.io/anyone/anything:1", {"registries": None}, id="no-restriction"),
        pytest.param(
            "registry.acme.example:5000/x:1",
            {"registries": ["registry.acme.example:5000"]},
            id="prefix-without-slash-on-boundary",
        ),
        pytest.param("docker.io/ghostunnel/ghostunnel:v1.11.1-distroless", None, id="mtls-sidecar-image"),
    ],
)
def test_allowed(image: str, tenant: dict[str, Any] | None) -> None:
    assert fired(image_pod(image), tenant) == []


@pytest.mark.parametrize(
    ("image", "shown", "tenant"),
    [
        pytest.param("quay.io/evil/miner:1", "'quay.io/evil/miner:1'", None, id="other-registry"),
        pytest.param("nginx:1.27", "'nginx:1.27' (docker.io/library/nginx:1.27)", None, id="official-image"),
        pytest.param("evil/vllm:1", "'evil/vllm:1' (docker.io/evil/vllm:1)", None, id="hub-other-org"),
        pytest.param("localhost/vllm:1", "'localhost/vllm:1'", None, id="localhost-is-a-registry"),
        pytest.param(
            "nvcr.io/nvidia-evil/x:1",
            "'nvcr.io/nvidia-evil/x:1'",
            {"registries": ["nvcr.io/nvidia"]},
            id="prefix-without-slash-stops-at-segment",
        ),
        pytest.param(
            "registry.acme.example.evil.io/x:1",
            "'registry.acme.example.evil.io/x:1'",
            {"registries": ["registry.acme.example"]},
            id="look-alike-host",
        ),
    ],
)
def test_denied(image: str, shown: str, tenant: dict[str, Any] | None) -> None:
    (v,) = fired(image_pod(image), tenant)
    assert v.path == "spec.containers[0].image"
    assert f"image {shown} of container 'c0' is not from a registry of tenant 'acme'" in v.message
    assert "allowed:" in v.message


def test_every_container_list_is_checked() -> None:
    bad = "quay.io/evil/x:1"
    obj = deployment(
        containers=[restricted_container("app", bad)],
        initContainers=[restricted_container("fetch", bad)],
        ephemeralContainers=[restricted_container("debug", bad)],
    )
    assert [v.path for v in fired(obj)] == [
        "spec.template.spec.initContainers[0].image",
        "spec.template.spec.containers[0].image",
        "spec.template.spec.ephemeralContainers[0].image",
    ]


def test_kserve_model_container_image_is_checked() -> None:
    obj = {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": "llm", "namespace": "acme-prod"},
        "spec": {"predictor": {"model": {"modelFormat": {"name": "huggingface"}, "image": "quay.io/x/y:1"}}},
    }
    (v,) = fired(obj)
    assert v.path == "spec.predictor.model.image"


def test_only_the_settings_sidecar_image_is_exempt() -> None:
    assert len(fired(image_pod("ghcr.io/ghostunnel/ghostunnel:latest"))) == 1


def test_injected_sidecar_passes_admission() -> None:
    obj = deployment(containers=[restricted_container("vllm", ports=[{"containerPort": 8000}])])
    result = review(obj, cluster_for(), request())
    assert [v for v in result.evaluation.violations if v.rule == "SRV002"] == []


def test_image_volume_reference_is_checked() -> None:
    obj = deployment(
        volumes=[{"name": "weights", "image": {"reference": "quay.io/globex/ft-7b:1", "pullPolicy": "Always"}}]
    )
    (v,) = fired(obj)
    assert v.path == "spec.template.spec.volumes[0].image.reference"
    assert v.message.startswith(
        "image volume 'weights' mounts 'quay.io/globex/ft-7b:1', which is not from a registry of tenant 'acme'"
    )


def test_image_volume_from_an_allowed_registry_passes() -> None:
    obj = deployment(volumes=[{"name": "weights", "image": {"reference": "registry.acme.example/models/llama:1"}}])
    assert fired(obj) == []
