"""NET005: pods start only in namespaces that have their baseline NetworkPolicies (where the cluster's are known)."""

from __future__ import annotations

from typing import Any

import pytest

from tenantguard.policies.engine import evaluate
from tenantguard.policies.generated.netpols import DEFAULT_DENY, network_policies
from tenantguard.policies.model import Violation
from tenantguard.policies.request import Operation, Origin, Request, Requester
from tenantguard.policies.settings import DEFAULT_SETTINGS
from tests.support.fixtures import NOW, cluster_for, deployment, pod

ADMISSION = Request(origin=Origin.ADMISSION, requester=Requester(username="alice", groups=("acme-devs",)), now=NOW)


def fired(obj: dict[str, Any], policies: list[dict[str, Any]] | None, request: Request = ADMISSION) -> list[Violation]:
    cluster = cluster_for()
    if policies is not None:
        cluster.policies_known = True
        cluster.replace_network_policies(policies)
    return [v for v in evaluate(obj, cluster, request).violations if v.rule == "NET005"]


def baseline(ns: str = "acme-prod") -> list[dict[str, Any]]:
    return network_policies(cluster_for().tenants.by_name["acme"], ns, DEFAULT_SETTINGS)


def test_the_message_names_every_missing_policy_and_who_writes_them() -> None:
    only_deny = [p for p in baseline() if p["metadata"]["name"] == DEFAULT_DENY]
    (v,) = fired(pod(), only_deny)
    assert v.path == "metadata.namespace"
    assert v.message == (
        "namespace 'acme-prod' lacks its baseline NetworkPolicies tenantguard-allow-same-tenant, "
        "tenantguard-allow-dns, tenantguard-allow-ingress, tenantguard-allow-egress: pods there would run "
        "without network isolation; the platform's reconciler writes them"
    )
    assert "tenantguard controller" in v.fix


@pytest.mark.parametrize(
    "obj",
    [pytest.param(pod(), id="pod"), pytest.param(deployment(), id="deployment")],
)
def test_complete_baseline_admits(obj: dict[str, Any]) -> None:
    assert fired(obj, baseline()) == []


def test_another_namespaces_baseline_does_not_count() -> None:
    assert fired(pod("acme-prod"), baseline("acme-dev"))


def test_a_policy_without_the_managed_label_is_not_the_baseline() -> None:
    unlabelled = [{**p, "metadata": {**p["metadata"], "labels": {"tenantguard.io/tenant": "acme"}}} for p in baseline()]
    assert fired(pod(), unlabelled)


def test_lint_and_static_mode_cannot_know_and_do_not_fire() -> None:
    assert fired(pod(), None) == []


def test_the_audit_reports_the_namespace_not_every_object_in_it() -> None:
    assert fired(pod(), [], Request.existing(NOW)) == []


def test_updates_fire_only_when_a_pod_template_changes() -> None:
    old = deployment(replicas=1)
    scaled = deployment(replicas=3)
    new_image = deployment(replicas=1)
    new_image["spec"]["template"]["spec"]["containers"][0]["image"] = "registry.acme.example/app:2.0"

    def update(obj: dict[str, Any], before: dict[str, Any]) -> Request:
        return Request(
            operation=Operation.UPDATE,
            origin=Origin.ADMISSION,
            old=before,
            now=NOW,
            requester=Requester(username="alice"),
        )

    assert fired(scaled, [], update(scaled, old)) == []
    assert fired(new_image, [], update(new_image, old))
    labelled = pod(labels={"team": "a"})
    assert fired(labelled, [], update(labelled, pod())) == [], "a pod's update never: finalizers must go"


def test_platform_identities_are_judged_too() -> None:
    """The platform has no business starting tenant pods around a missing baseline either."""
    admin = Request(origin=Origin.ADMISSION, requester=Requester(username="admin", groups=("system:masters",)), now=NOW)
    assert fired(pod(), [], admin)
