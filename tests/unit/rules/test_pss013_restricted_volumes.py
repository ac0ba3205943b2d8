"""PSS013 restrictedVolumes: only the nine core volume types in restricted tenants."""

from __future__ import annotations

from typing import Any

import pytest

from tenantguard.policies.model import Violation
from tenantguard.policies.rule import Example
from tenantguard.policies.rules.podsecurity.examples import BASELINE_TENANT, example_pod
from tests.support.fixtures import judge

RULE = "PSS013"
ALLOWED = ["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image", "persistentVolumeClaim",
           "projected", "secret"]  # fmt: skip
FORBIDDEN = [
    "hostPath", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "nfs", "iscsi", "glusterfs", "rbd",
    "flexVolume", "cinder", "cephfs", "flocker", "fc", "azureFile", "vsphereVolume", "quobyte", "azureDisk",
    "photonPersistentDisk", "portworxVolume", "scaleIO", "storageos",
]  # fmt: skip


def fired(obj: dict[str, Any], tenant: dict[str, Any] | None = None) -> list[Violation]:
    return [v for v in judge(Example(object=obj, tenant=tenant)).violations if v.rule == RULE]


@pytest.mark.parametrize("kind", ALLOWED)
def test_core_volume_types_are_allowed(kind: str) -> None:
    assert fired(example_pod(volumes=[{"name": "v", kind: {}}])) == []


def test_a_volume_without_source_is_an_empty_dir() -> None:
    assert fired(example_pod(volumes=[{"name": "scratch"}])) == []


@pytest.mark.parametrize("kind", FORBIDDEN)
def test_other_volume_types_are_denied(kind: str) -> None:
    (v,) = fired(example_pod(volumes=[{"name": "ok", "emptyDir": {}}, {"name": "data", kind: {}}]))
    assert v.path == f"spec.volumes[1].{kind}"
    assert v.message == f'restricted volume types (volume "data" uses restricted volume type "{kind}")'


def test_unknown_volume_types_are_denied() -> None:
    (v,) = fired(example_pod(volumes=[{"name": "odd", "somethingNew": {}}]))
    assert v.path == "spec.volumes[0]"
    assert '"unknown"' in v.message


def test_baseline_tenants_may_use_them() -> None:
    assert fired(example_pod(volumes=[{"name": "data", "nfs": {}}]), BASELINE_TENANT) == []


def test_every_offending_volume_is_reported() -> None:
    volumes = [{"name": "a", "nfs": {}}, {"name": "b", "hostPath": {}}, {"name": "c", "secret": {}}]
    assert [v.path for v in fired(example_pod(volumes=volumes))] == [
        "spec.volumes[0].nfs",
        "spec.volumes[1].hostPath",
    ]
