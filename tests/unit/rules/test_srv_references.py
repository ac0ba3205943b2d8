"""Image and model-source normalisation shared by SRV002 and SRV003."""

from __future__ import annotations

import pytest

from tenantguard.policies.rules.serving.references import (
    has_prefix,
    normalise_image,
    normalise_model,
    normalise_registry,
)


@pytest.mark.parametrize(
    ("image", "normal"),
    [
        ("nginx", "docker.io/library/nginx"),
        ("nginx:1.27", "docker.io/library/nginx:1.27"),
        ("vllm/vllm-openai:v0.6", "docker.io/vllm/vllm-openai:v0.6"),
        ("docker.io/nginx", "docker.io/library/nginx"),
        ("index.docker.io/vllm/vllm-openai", "docker.io/vllm/vllm-openai"),
        ("localhost/app", "localhost/app"),
        ("localhost:5000/app", "localhost:5000/app"),
        ("registry.acme.example/app:1", "registry.acme.example/app:1"),
        ("Registry/app", "Registry/app"),
        ("nvcr.io/nvidia/tritonserver@sha256:abc", "nvcr.io/nvidia/tritonserver@sha256:abc"),
    ],
)
def test_normalise_image_follows_docker(image: str, normal: str) -> None:
    assert normalise_image(image) == normal


def test_normalise_registry_maps_legacy_hub() -> None:
    assert normalise_registry("index.docker.io/vllm/") == "docker.io/vllm/"
    assert normalise_registry("nvcr.io/nvidia/") == "nvcr.io/nvidia/"


@pytest.mark.parametrize(
    ("value", "bare", "normal"),
    [
        ("s3://bucket/x", True, "s3://bucket/x"),
        (" hf://org/m ", True, "hf://org/m"),
        ("meta-llama/Llama-3-8B", True, "hf://meta-llama/Llama-3-8B"),
        ("gpt2", True, "hf://gpt2"),
        ("gpt2", False, None),
        ("/models/llama", True, None),
        ("./llama", True, None),
        ("", True, None),
    ],
)
def test_normalise_model(value: str, bare: bool, normal: str | None) -> None:
    assert normalise_model(value, bare_names=bare) == normal


@pytest.mark.parametrize(
    ("value", "prefix", "matches"),
    [
        ("nvcr.io/nvidia/x", "nvcr.io/nvidia/", True),
        ("nvcr.io/nvidia/x", "nvcr.io/nvidia", True),
        ("nvcr.io/nvidia:1", "nvcr.io/nvidia", True),
        ("nvcr.io/nvidia", "nvcr.io/nvidia", True),
        ("nvcr.io/nvidia-evil/x", "nvcr.io/nvidia", False),
        ("s3://acme-models-old/x", "s3://acme-models", False),
        ("pvc://anything", "pvc://", True),
    ],
)
def test_has_prefix_matches_whole_segments(value: str, prefix: str, matches: bool) -> None:
    assert has_prefix(value, [prefix]) is matches
