"""policies.provenance: a missing tenant label on what Kubernetes makes in every namespace is not a violation."""

from __future__ import annotations

from typing import Any

import pytest

from tenantguard.policies.provenance import excused, made_by_kubernetes

LABEL = "tenantguard.io/tenant"


def obj(kind: str, name: str, *managers: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": "acme-dev"}
    if managers:
        meta["managedFields"] = [{"manager": m, "operation": "Update", "apiVersion": "v1"} for m in managers]
    if labels is not None:
        meta["labels"] = labels
    return {"apiVersion": "v1", "kind": kind, "metadata": meta}


@pytest.mark.parametrize(
    "made",
    [
        pytest.param(obj("ConfigMap", "kube-root-ca.crt", "kube-controller-manager"), id="root-ca-by-the-controller"),
        pytest.param(obj("ServiceAccount", "default"), id="default-sa-records-no-fields"),
        pytest.param(obj("ConfigMap", "kube-root-ca.crt"), id="snapshot-without-managed-fields"),
    ],
)
def test_kubernetes_made_objects_are_excused_a_missing_label(made: dict[str, Any]) -> None:
    assert made_by_kubernetes(made)
    assert excused(made, "TEN004", LABEL)


@pytest.mark.parametrize(
    "other",
    [
        pytest.param(obj("ConfigMap", "prompts", "kube-controller-manager"), id="any-name-with-a-forged-manager"),
        pytest.param(obj("Secret", "kube-root-ca.crt"), id="the-name-on-another-kind"),
        pytest.param(obj("ServiceAccount", "default", "kubectl-edit"), id="changed-by-someone-else"),
        pytest.param(
            obj("ConfigMap", "kube-root-ca.crt", "kube-controller-manager", "kubectl-client-side-apply"),
            id="also-written-by-kubectl",
        ),
        pytest.param({"kind": "ServiceAccount", "metadata": None}, id="no-metadata"),
    ],
)
def test_anything_else_counts(other: dict[str, Any]) -> None:
    assert made_by_kubernetes(other) is None
    assert excused(other, "TEN004", LABEL) is None


def test_only_the_missing_label_is_excused() -> None:
    wrong = obj("ConfigMap", "kube-root-ca.crt", "kube-controller-manager", labels={LABEL: "globex"})
    assert excused(wrong, "TEN004", LABEL) is None  # a label naming another tenant is never Kubernetes' doing
    assert excused(obj("ServiceAccount", "default"), "RBAC001", LABEL) is None
