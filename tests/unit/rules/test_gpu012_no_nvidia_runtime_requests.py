"""GPU012 no-nvidia-runtime-requests: no NVIDIA runtime device variables in tenant containers or their envFrom."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from tenantguard.policies.model import Obj, Violation
from tenantguard.policies.rule import Example
from tenantguard.policies.rules.gpu.samples import ACME, container, deployment, pod
from tests.support.fixtures import judge


def fired(obj: Obj) -> list[Violation]:
    return [v for v in judge(Example(object=obj)).violations if v.rule == "GPU012"]


def with_env(*env: dict[str, Any], **extra: Any) -> Obj:
    return {**container({"cpu": "1"}, name="app"), "env": list(env), **extra}


@pytest.mark.parametrize(
    "name",
    [
        "NVIDIA_VISIBLE_DEVICES",
        "NVIDIA_MIG_CONFIG_DEVICES",
        "NVIDIA_MIG_MONITOR_DEVICES",
        "NVIDIA_IMEX_CHANNELS",
        "NVIDIA_GDS",
        "NVIDIA_NVSWITCH",
    ],
)
def test_device_variables_are_refused(name: str) -> None:
    (v,) = fired(pod(with_env({"name": name, "value": "all"})))
    assert v.path == "spec.containers[0].env[0]"
    assert f"container 'app' sets {name} to 'all'" in v.message


@pytest.mark.parametrize("value", ["void", "none", "", " void "], ids=repr)
def test_values_that_expose_nothing_are_allowed(value: str) -> None:
    assert fired(pod(with_env({"name": "NVIDIA_VISIBLE_DEVICES", "value": value}))) == []


@pytest.mark.parametrize("name", ["CUDA_VISIBLE_DEVICES", "NVIDIA_DRIVER_CAPABILITIES", "NVIDIA_VISIBLE"])
def test_variables_that_grant_no_device_are_allowed(name: str) -> None:
    assert fired(pod(with_env({"name": name, "value": "all"}))) == []


def test_value_from_elsewhere_cannot_be_judged() -> None:
    ref = {"configMapKeyRef": {"name": "gpus", "key": "devices"}}
    (v,) = fired(pod(with_env({"name": "NVIDIA_VISIBLE_DEVICES", "valueFrom": ref})))
    assert "a value from valueFrom" in v.message


def test_every_container_kind_and_template() -> None:
    bad = with_env({"name": "NVIDIA_VISIBLE_DEVICES", "value": "0,1"})
    obj = deployment(1, container({"nvidia.com/gpu": 1}), initContainers=[bad])
    (v,) = fired(obj)
    assert v.path == "spec.template.spec.initContainers[0].env[0]"
    debug = pod(container({"cpu": "1"}), ephemeralContainers=[{**bad, "name": "debug"}])
    assert [v.path for v in fired(debug)] == ["spec.ephemeralContainers[0].env[0]"]


@pytest.mark.parametrize(
    ("prefix", "refused"), [("NVIDIA_", True), ("NVIDIA_VISIBLE_", True), ("N", True), ("APP_", False), ("", False)]
)
def test_env_from_prefixes_that_compose_a_device_variable(prefix: str, refused: bool) -> None:
    c = {**container({"cpu": "1"}), "envFrom": [{"prefix": prefix, "configMapRef": {"name": "cfg"}}]}
    found = fired(pod(c))
    assert bool(found) is refused
    if refused:
        assert found[0].path == "spec.containers[0].envFrom[0].prefix"


def configmap(kind: str = "ConfigMap", **data: Any) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": kind,
        "metadata": {"name": "cfg", "namespace": "acme-prod", "labels": dict(ACME)},
        **data,
    }


def test_configmap_and_secret_keys_envfrom_would_import() -> None:
    (v,) = fired(configmap(data={"NVIDIA_VISIBLE_DEVICES": "all", "MODEL": "llama"}))
    assert v.path == "data.NVIDIA_VISIBLE_DEVICES"
    assert fired(configmap(data={"NVIDIA_VISIBLE_DEVICES": "void"})) == []
    secret = configmap("Secret", data={"NVIDIA_VISIBLE_DEVICES": base64.b64encode(b"all").decode()})
    assert [v.path for v in fired(secret)] == ["data.NVIDIA_VISIBLE_DEVICES"]
    assert fired(configmap("Secret", data={"NVIDIA_VISIBLE_DEVICES": base64.b64encode(b"void").decode()})) == []
    assert [v.path for v in fired(configmap("Secret", stringData={"NVIDIA_GDS": "enabled"}))] == [
        "stringData.NVIDIA_GDS"
    ]


def test_cdi_annotations_on_the_pod() -> None:
    obj = pod(container({"cpu": "1"}))
    obj["metadata"]["annotations"] = {"cdi.k8s.io/gpu": "nvidia.com/gpu=all", "team": "a"}
    (v,) = fired(obj)
    assert v.path == 'metadata.annotations["cdi.k8s.io/gpu"]'
