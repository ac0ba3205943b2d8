"""PSS005 hostPathVolumes: no hostPath volumes (baseline tenants; restricted gets PSS013 instead)."""

from __future__ import annotations

from typing import Any

from tenantguard.policies.model import Violation
from tenantguard.policies.rule import Example
from tenantguard.policies.rules.podsecurity.examples import BASELINE_TENANT, example_pod
from tests.support.fixtures import judge

RULE = "PSS005"


def fired(obj: dict[str, Any], tenant: dict[str, Any] | None = BASELINE_TENANT) -> list[Violation]:
    return [v for v in judge(Example(object=obj, tenant=tenant)).violations if v.rule == RULE]


def test_other_volumes_are_allowed() -> None:
    volumes = [{"name": "a", "emptyDir": {}}, {"name": "b", "nfs": {"server": "x", "path": "/"}}]
    assert fired(example_pod(volumes=volumes)) == []


def test_host_path_is_denied_with_its_path() -> None:
    volumes = [{"name": "cache", "emptyDir": {}}, {"name": "models", "hostPath": {"path": "/models"}}]
    (v,) = fired(example_pod(volumes=volumes))
    assert v.path == "spec.volumes[1].hostPath"
    assert v.message == 'hostPath volumes (volume "models")'


def test_every_host_path_volume_is_reported() -> None:
    volumes = [{"name": n, "hostPath": {"path": "/" + n}} for n in ("a", "b")]
    assert len(fired(example_pod(volumes=volumes))) == 2


def test_restricted_tenants_get_restricted_volumes_instead() -> None:
    obj = example_pod(volumes=[{"name": "models", "hostPath": {"path": "/models"}}])
    assert fired(obj, tenant=None) == []
    assert "PSS013" in {v.rule for v in judge(Example(object=obj)).violations}
