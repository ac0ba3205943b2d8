"""PSS002 hostNamespaces: hostNetwork, hostPID and hostIPC must be undefined or false."""

from __future__ import annotations

from typing import Any

import pytest

from tenantguard.policies.model import Violation
from tenantguard.policies.rule import Example
from tenantguard.policies.rules.podsecurity.examples import BASELINE_TENANT, example_pod
from tests.support.fixtures import judge

RULE = "PSS002"
FIELDS = ["hostNetwork", "hostPID", "hostIPC"]


def fired(obj: dict[str, Any], tenant: dict[str, Any] | None = None) -> list[Violation]:
    return [v for v in judge(Example(object=obj, tenant=tenant)).violations if v.rule == RULE]


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("value", [None, False], ids=["undefined", "false"])
def test_allowed_values(field: str, value: bool | None) -> None:
    spec = {} if value is None else {field: value}
    assert fired(example_pod(**spec)) == []
    assert fired(example_pod(**spec), BASELINE_TENANT) == []


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("tenant", [None, BASELINE_TENANT], ids=["restricted", "baseline"])
def test_true_is_denied(field: str, tenant: dict[str, Any] | None) -> None:
    (v,) = fired(example_pod(**{field: True}), tenant)
    assert v.path == f"spec.{field}"
    assert v.message == f"host namespaces ({field}=true)"


def test_every_namespace_is_reported() -> None:
    obj = example_pod(hostNetwork=True, hostPID=True, hostIPC=True)
    assert [v.message for v in fired(obj)] == [f"host namespaces ({f}=true)" for f in FIELDS]


def test_globex_baseline_tenant_is_judged_too() -> None:
    obj = example_pod(hostIPC=True)
    obj["metadata"] = {
        "name": "vllm",
        "namespace": "globex-prod",
        "labels": {"tenantguard.io/tenant": "globex"},
    }
    assert [v.path for v in fired(obj)] == ["spec.hostIPC"]


def test_namespaces_of_no_tenant_are_not_judged() -> None:
    obj = example_pod(hostNetwork=True)
    obj["metadata"] = {"name": "cni", "namespace": "kube-system"}
    assert fired(obj) == []
