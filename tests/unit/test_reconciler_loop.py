"""The reconcile loop over a fake cluster: what it writes, repairs, prunes, deletes and reports, and when not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tenantguard.policies.generated import labels, netpols
from tenantguard.policies.generated.netpols import ALLOW_EGRESS, DEFAULT_DENY
from tenantguard.policies.settings import DEFAULT_SETTINGS
from tenantguard.webhook import tenant_ca
from tenantguard.webhook.reconciler.events import Recorder
from tenantguard.webhook.reconciler.reconcile import Reconciler
from tenantguard.webhook.reconciler.writes import NotLeader, Pass
from tests.support.fake_cluster import FakeCluster
from tests.support.fixtures import ACME_SPEC, GLOBEX_SPEC

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
LABEL = "tenantguard.io/tenant"
ENFORCE = "pod-security.kubernetes.io/enforce"
SECRET = DEFAULT_SETTINGS.mtls.secret_name
BASELINE = {
    "tenantguard-allow-same-tenant",
    "tenantguard-allow-dns",
    "tenantguard-allow-ingress",
    ALLOW_EGRESS,
    DEFAULT_DENY,
}


def world() -> FakeCluster:
    cluster = FakeCluster()
    cluster.add_tenant("acme", ACME_SPEC)
    cluster.add_tenant("globex", GLOBEX_SPEC)
    for ns in ("acme-prod", "acme-dev", "globex-prod", "tenantguard-system", "llm-gateway", "team-tools"):
        cluster.add_namespace(ns)
    return cluster


def reconciler(cluster: FakeCluster, *, leader: bool = True, at: datetime = NOW) -> Reconciler:
    recorder = Recorder(cluster, instance="test", quiet=0)
    return Reconciler(cluster, cluster, recorder=recorder, may_write=lambda: leader, now=lambda: at)


def converge(cluster: FakeCluster, *tenants: str, at: datetime = NOW) -> list[Pass]:
    r = reconciler(cluster, at=at)
    return [r.reconcile(t) for t in tenants or ("acme", "globex")]


def test_a_new_tenant_gets_every_generated_object_and_its_namespace_label_first() -> None:
    cluster = world()
    (run,) = converge(cluster, "acme")
    assert not run.failed and run.problems == {}
    first = cluster.writes[0]
    assert first[:2] == ("apply", "Namespace"), "the tenant label goes on before anything is created in it"
    for ns in ("acme-prod", "acme-dev"):
        assert cluster.labels[ns][LABEL] == "acme" and cluster.labels[ns][ENFORCE] == "restricted"
        assert cluster.names("NetworkPolicy", ns) == BASELINE
        assert cluster.names("ResourceQuota", ns) == {labels.QUOTA_NAME, labels.DENIED_QUOTA_NAME}
        assert cluster.names("Secret", ns) == {SECRET}
        secret = cluster.get("Secret", ns, SECRET)
        assert secret is not None and secret["type"] == "kubernetes.io/tls"
        assert secret["metadata"]["labels"] == {"tenantguard.io/managed": "true", LABEL: "acme"}
    assert cluster.names("Secret", "tenantguard-system") == {"tenantguard-ca-acme"}
    assert cluster.names("Secret", "llm-gateway") == {"tenantguard-gateway-acme"}
    order = [w[3] for w in cluster.writes if w[1] == "NetworkPolicy" and w[2] == "acme-prod"]
    assert order[-1] == DEFAULT_DENY, "allows first, the default deny last: running pods keep their connections"
    assert cluster.condition("acme", "Ready")["status"] == "True"
    assert cluster.condition("acme", "Degraded")["status"] == "False"
    assert "Created" in cluster.reasons() and "Issued" in cluster.reasons()


def test_a_second_pass_writes_nothing() -> None:
    cluster = world()
    converge(cluster)
    cluster.writes.clear()
    converge(cluster)
    assert cluster.writes == []


def test_a_deleted_or_loosened_policy_is_repaired_and_the_repair_is_recorded() -> None:
    cluster = world()
    converge(cluster, "acme")
    deny = cluster.get("NetworkPolicy", "acme-prod", DEFAULT_DENY)
    assert deny is not None
    cluster.stores["NetworkPolicy"].drop(deny)
    loosened = cluster.get("NetworkPolicy", "acme-dev", DEFAULT_DENY)
    assert loosened is not None
    loosened["spec"] = {"podSelector": {}, "policyTypes": ["Egress"]}  # an admin's edit: ingress open
    cluster.events.clear()
    converge(cluster, "acme")
    assert cluster.get("NetworkPolicy", "acme-prod", DEFAULT_DENY) is not None
    repaired = cluster.get("NetworkPolicy", "acme-dev", DEFAULT_DENY)
    assert repaired is not None and repaired["spec"]["policyTypes"] == ["Ingress", "Egress"]
    messages = [e["message"] for e in cluster.events]
    assert "created NetworkPolicy acme-prod/tenantguard-default-deny" in messages
    assert "repaired NetworkPolicy acme-dev/tenantguard-default-deny (spec differs)" in messages
    assert all(
        e["involvedObject"]["kind"] == "Tenant" and e["involvedObject"]["name"] == "acme" for e in cluster.events
    )


def test_managed_objects_the_tenant_no_longer_asks_for_are_pruned() -> None:
    cluster = world()
    converge(cluster, "acme")
    cluster.add_tenant("acme", {**ACME_SPEC, "network": {"allowIngressFrom": ["llm-gateway"]}})
    converge(cluster, "acme")
    assert ALLOW_EGRESS not in cluster.names("NetworkPolicy", "acme-prod")
    assert ("delete", "NetworkPolicy", "acme-prod", ALLOW_EGRESS) in cluster.writes


def test_a_dropped_namespace_loses_what_was_generated_and_the_tenant_label_but_keeps_pod_security() -> None:
    cluster = world()
    converge(cluster, "acme")
    cluster.add_tenant("acme", {**ACME_SPEC, "namespaces": ["acme-prod"]})
    converge(cluster, "acme")
    for kind in ("NetworkPolicy", "ResourceQuota", "Secret"):
        assert cluster.names(kind, "acme-dev") == set(), kind
    assert LABEL not in cluster.labels["acme-dev"]
    assert cluster.labels["acme-dev"][ENFORCE] == "restricted"
    assert cluster.names("NetworkPolicy", "acme-prod") == BASELINE


def test_a_label_someone_else_set_too_stays_and_is_not_released_again_and_again() -> None:
    cluster = world()
    cluster.add_namespace("acme-dev", **{LABEL: "acme"})  # e.g. kubectl apply of the namespace manifest
    r = reconciler(cluster)  # one reconciler for the process's lifetime, as in the controller
    r.reconcile("acme")
    cluster.add_tenant("acme", {**ACME_SPEC, "namespaces": ["acme-prod"]})
    r.reconcile("acme")
    assert cluster.labels["acme-dev"][LABEL] == "acme"
    cluster.writes.clear()
    r.reconcile("acme")
    assert not [w for w in cluster.writes if w[2:] == ("", "acme-dev") or w[3] == "acme-dev"]


def test_a_deleted_tenant_leaves_nothing_generated_behind() -> None:
    cluster = world()
    converge(cluster)
    del cluster.tenant_objs["acme"]
    converge(cluster, "acme")
    for kind in ("NetworkPolicy", "ResourceQuota", "Secret"):
        left = [o for o in cluster.stores[kind].objects() if labels.tenant_of(o, DEFAULT_SETTINGS) == "acme"]
        assert left == [], kind
    assert cluster.names("NetworkPolicy", "globex-prod"), "another tenant's objects stay"
    assert LABEL not in cluster.labels["acme-prod"]


def test_a_namespace_moved_to_another_tenant_is_left_to_its_new_owner() -> None:
    cluster = world()
    converge(cluster)
    cluster.add_tenant("acme", {**ACME_SPEC, "namespaces": ["acme-prod"]})
    cluster.add_tenant("globex", {**GLOBEX_SPEC, "namespaces": ["globex-prod", "acme-dev"]})
    converge(cluster, "acme")
    assert cluster.names("NetworkPolicy", "acme-dev") == BASELINE, "acme's pass leaves them to globex's"
    converge(cluster, "globex")
    assert cluster.labels["acme-dev"][LABEL] == "globex"
    assert cluster.names("NetworkPolicy", "acme-dev") == netpols_for("globex", cluster)
    assert cluster.names("Secret", "acme-dev") == set(), "globex speaks istio: no workload certificate"
    assert all(
        labels.tenant_of(o, DEFAULT_SETTINGS) == "globex" for o in cluster.stores["NetworkPolicy"].objects("acme-dev")
    )


def netpols_for(tenant: str, cluster: FakeCluster) -> set[str]:
    t = cluster.tenants.by_name[tenant]
    return set(netpols.baseline_names(t, DEFAULT_SETTINGS))


def test_a_replica_that_is_not_the_leader_writes_nothing() -> None:
    cluster = world()
    with pytest.raises(NotLeader):
        reconciler(cluster, leader=False).reconcile("acme")
    assert cluster.writes == [] and cluster.events == []


def test_gpu_quota_is_the_cap_minus_what_the_other_namespaces_use() -> None:
    cluster = world()
    spec = {
        **ACME_SPEC,
        "gpu": {
            "maxPerPod": 8,
            "maxTotal": 8,
            "maxDevices": {"nvidia.com/gpu": 6},
            "allowedResources": ["nvidia.com/gpu"],
        },
    }
    cluster.add_tenant("acme", spec)
    cluster.gpu["acme-prod"] = {"nvidia.com/gpu": 2}
    quota = cluster.get("ResourceQuota", "acme-dev", labels.QUOTA_NAME)
    assert quota is None
    converge(cluster, "acme")

    def hard(ns: str) -> Any:
        found = cluster.get("ResourceQuota", ns, labels.QUOTA_NAME)
        assert found is not None
        return found["spec"]["hard"]

    assert hard("acme-dev") == {"requests.nvidia.com/gpu": "4"}, "6 devices, 2 held in acme-prod"
    assert hard("acme-prod") == {"requests.nvidia.com/gpu": "6"}
    # kube-apiserver admits 3 more in acme-dev (its quota's status.used rises before any pod watch sees it)
    dev = cluster.get("ResourceQuota", "acme-dev", labels.QUOTA_NAME)
    assert dev is not None
    dev["status"] = {"used": {"requests.nvidia.com/gpu": "3"}}
    converge(cluster, "acme")
    assert hard("acme-prod") == {"requests.nvidia.com/gpu": "3"}
    cluster.gpu["acme-prod"] = {"nvidia.com/gpu": 5}  # over the cap already (the cap was lowered)
    converge(cluster, "acme")
    assert hard("acme-dev") == {"requests.nvidia.com/gpu": "1"}, "never below what is left; here 6 - 5"
    denied = cluster.get("ResourceQuota", "acme-dev", labels.DENIED_QUOTA_NAME)
    assert denied is not None and denied["spec"]["hard"]["requests.nvidia.com/mig-1g.10gb"] == "0"
    assert cluster.tenant_objs["acme"]["status"]["gpu"]["summary"] == "5/8"


def test_istio_mode_without_the_mesh_api_is_degraded_and_says_why_once() -> None:
    cluster = world()
    converge(cluster, "globex")
    degraded = cluster.condition("globex", "Degraded")
    assert (degraded["status"], degraded["reason"]) == ("True", "MeshPolicyUnavailable")
    assert cluster.condition("globex", "Ready")["status"] == "False"
    warnings = [e for e in cluster.events if e["type"] == "Warning"]
    assert [e["reason"] for e in warnings] == ["MeshPolicyUnavailable"]
    cluster.mesh = True
    converge(cluster, "globex")
    assert cluster.names("PeerAuthentication", "globex-prod") == {labels.PEER_AUTHENTICATION_NAME}
    pa = cluster.get("PeerAuthentication", "globex-prod", labels.PEER_AUTHENTICATION_NAME)
    assert pa is not None and pa["spec"] == {"mtls": {"mode": "STRICT"}}
    assert cluster.condition("globex", "Ready")["status"] == "True"
    assert cluster.condition("globex", "Degraded")["status"] == "False"


def test_certificates_are_renewed_when_due_and_not_before() -> None:
    cluster = world()
    (run,) = converge(cluster, "acme")
    assert run.due is not None and timedelta(hours=15) < run.due - NOW < timedelta(hours=17)
    before = cluster.get("Secret", "acme-prod", SECRET)
    assert before is not None
    cluster.writes.clear()
    converge(cluster, "acme", at=NOW + timedelta(hours=1))
    assert [w for w in cluster.writes if w[1] == "Secret"] == []
    converge(cluster, "acme", at=NOW + timedelta(hours=17))
    after = cluster.get("Secret", "acme-prod", SECRET)
    assert after is not None and after["data"]["tls.crt"] != before["data"]["tls.crt"]
    assert "Renewed" in cluster.reasons()
    status = cluster.tenant_objs["acme"]["status"]["mtls"]
    renewed_until = NOW + timedelta(hours=17) + tenant_ca.LEAF_LIFETIME  # every leaf was due: all renewed
    assert status["mode"] == "native" and status["certificateNotAfter"] < status["caNotAfter"]
    first = datetime.fromisoformat(status["certificateNotAfter"].replace("Z", "+00:00"))
    assert abs(first - renewed_until) <= timedelta(minutes=5), "the PKI may backdate a little for clock skew"


def test_a_listed_namespace_that_does_not_exist_keeps_the_tenant_not_ready() -> None:
    cluster = world()
    cluster.add_tenant("acme", {**ACME_SPEC, "namespaces": ["acme-prod", "acme-new"]})
    converge(cluster, "acme")
    ready = cluster.condition("acme", "Ready")
    assert (ready["status"], ready["reason"]) == ("False", "NamespaceMissing")
    assert cluster.tenant_objs["acme"]["status"]["namespaces"]["summary"] == "1/2"
    assert cluster.condition("acme", "Degraded")["status"] == "False"
    cluster.add_namespace("acme-new")
    converge(cluster, "acme")
    assert cluster.condition("acme", "Ready")["status"] == "True"


def test_an_invalid_tenant_keeps_what_exists() -> None:
    cluster = world()
    converge(cluster, "acme")
    cluster.tenant_objs["acme"]["spec"]["podSecurity"] = "privileged"
    (run,) = converge(cluster, "acme")
    assert [p.reason for p in run.degraded] == ["InvalidSpec"]
    assert cluster.names("NetworkPolicy", "acme-prod") == BASELINE


def test_a_failed_write_is_a_problem_of_its_namespace_and_the_pass_goes_on() -> None:
    cluster = world()
    cluster.fail.add(("NetworkPolicy", "tenantguard-allow-dns"))
    (run,) = converge(cluster, "acme")
    assert run.failed
    assert {p.reason for p in run.problems["acme-prod"]} == {"ApplyFailed"}
    assert cluster.names("NetworkPolicy", "acme-prod") == BASELINE - {"tenantguard-allow-dns"}
    degraded = cluster.condition("acme", "Degraded")
    assert degraded["status"] == "True" and "injected failure" in degraded["message"]
    assert "ApplyFailed" in cluster.reasons()


def test_a_namespace_claimed_by_two_tenants_is_reported_by_the_one_that_does_not_own_it() -> None:
    cluster = world()
    cluster.add_tenant("globex", {**GLOBEX_SPEC, "namespaces": ["globex-prod", "acme-dev"]})
    converge(cluster)
    assert cluster.labels["acme-dev"][LABEL] == "acme", "the first claimant by name owns it"
    degraded = cluster.condition("globex", "Degraded")
    assert degraded["reason"] == "NamespaceConflict" and "acme-dev" in degraded["message"]


def test_dra_device_classes_are_in_the_quota_backstop() -> None:
    """A capped DeviceClass: its `maxDevices` less what the other namespaces' claims hold; every other class of the
    cluster: 0 — so kube-apiserver refuses claims over the cap even with the webhook removed (issue 16)."""
    cluster = world()
    cluster.classes = {"gpu.nvidia.com", "mig.nvidia.com", "other.example.com"}
    spec = {
        **ACME_SPEC,
        "gpu": {
            **ACME_SPEC["gpu"],
            "deviceClasses": [{"name": "gpu.nvidia.com", "maxDevices": 4}, {"name": "mig.nvidia.com"}],
        },
    }
    cluster.add_tenant("acme", spec)
    converge(cluster, "acme")
    prod = cluster.get("ResourceQuota", "acme-prod", labels.QUOTA_NAME)
    assert prod is not None
    prod["status"] = {"used": {"gpu.nvidia.com.deviceclass.resource.k8s.io/devices": "3"}}
    converge(cluster, "acme")
    dev = cluster.get("ResourceQuota", "acme-dev", labels.QUOTA_NAME)
    assert dev is not None
    assert dev["spec"]["hard"]["gpu.nvidia.com.deviceclass.resource.k8s.io/devices"] == "1", "4 less 3 in acme-prod"
    assert dev["spec"]["hard"]["requests.deviceclass.resource.kubernetes.io/gpu.nvidia.com"] == "1"
    assert "mig.nvidia.com.deviceclass.resource.k8s.io/devices" not in dev["spec"]["hard"], "listed, not capped"
    denied = cluster.get("ResourceQuota", "acme-dev", labels.DENIED_QUOTA_NAME)
    assert denied is not None
    assert denied["spec"]["hard"]["other.example.com.deviceclass.resource.k8s.io/devices"] == "0"
    assert denied["spec"]["hard"]["requests.deviceclass.resource.kubernetes.io/other.example.com"] == "0"
