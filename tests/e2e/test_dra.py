"""GPUs through Dynamic Resource Allocation, end to end, as the tenant developer alice.

The dev cluster publishes its GPU nodes' devices as NVIDIA's DRA driver would (`tenantguard.devcluster.dra`: the
DeviceClasses `gpu.nvidia.com` and `mig.nvidia.com`, a ResourceSlice of 8 H100s per H100 node and of MIG partitions
on the A100 node), so the real kube-scheduler allocates devices to claims and KWOK runs the pods. Tenant initech
(alice is a member) may use both classes: at most 2 gpu.nvidia.com devices, MIG 1g.10gb slices only, 2
GPU-equivalents per pod and 3 in all. Each way around the caps is refused with its rule named; a legitimate DRA GPU
pod is admitted, scheduled and counted in the audit from its claim's allocation; lint and the audit agree on the
same manifests; and with the webhook's configurations removed, the reconciler's ResourceQuota (`policies.dra_quota`)
refuses claims over the cap.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from tenantguard.devcluster import dra as simulated
from tenantguard.policies.dra_quota import device_class_quota
from tenantguard.policies.generated.labels import DENIED_QUOTA_NAME, QUOTA_NAME
from tenantguard.policies.tenancy import parse_tenant
from tests.support.devcluster import DevCluster, wait_for
from tests.support.webhook_runner import WebhookProcess

pytestmark = pytest.mark.e2e

NS = "initech-a"
LABELS = {"tenantguard.io/tenant": "initech"}
TOLERATE = [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
SLICE = 'device.attributes["gpu.nvidia.com"].profile == "1g.10gb"'
TENANTGUARD = Path(sys.executable).with_name("tenantguard")
TENANT: dict[str, Any] = {
    "apiVersion": "tenantguard.io/v1alpha1",
    "kind": "Tenant",
    "metadata": {"name": "initech"},
    "spec": {
        "namespaces": [NS],
        "members": [{"kind": "User", "name": "alice"}],
        "podSecurity": "baseline",
        "mtls": {"mode": "none"},
        "gpu": {
            "maxPerPod": 2,
            "maxTotal": 3,
            "allowedResources": ["nvidia.com/gpu"],
            "deviceClasses": [
                {"name": "gpu.nvidia.com", "maxDevices": 2},
                {"name": "mig.nvidia.com", "maxDevices": 4, "migProfiles": ["1g.10gb"]},
            ],
        },
    },
}


def request(device_class: str, count: int | None = 1, *selectors: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"deviceClassName": device_class, **extra}
    if count is not None:
        body["count"] = count
    if selectors:
        body["selectors"] = [{"cel": {"expression": e}} for e in selectors]
    return body


def claim(name: str, body: dict[str, Any], ns: str = NS) -> dict[str, Any]:
    return {
        "apiVersion": "resource.k8s.io/v1",
        "kind": "ResourceClaim",
        "metadata": {"name": name, "namespace": ns, "labels": dict(LABELS) if ns == NS else {}},
        "spec": {"devices": {"requests": [{"name": "gpu", "exactly": body}]}},
    }


def template(name: str, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "resource.k8s.io/v1",
        "kind": "ResourceClaimTemplate",
        "metadata": {"name": name, "namespace": NS, "labels": dict(LABELS)},
        "spec": {"spec": claim(name, body)["spec"]},
    }


def pod_spec(*, claims: list[dict[str, Any]] | None = None, gpus: int = 0) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "app", "image": "registry.initech.example/app:1"}
    if gpus:
        container["resources"] = {"limits": {"nvidia.com/gpu": gpus}, "requests": {"nvidia.com/gpu": gpus}}
    if claims:
        container.setdefault("resources", {})["claims"] = [{"name": c["name"]} for c in claims]
    spec: dict[str, Any] = {"containers": [container], "tolerations": TOLERATE}
    if claims:
        spec["resourceClaims"] = claims
    return spec


def pod(name: str, ns: str = NS, **spec: Any) -> dict[str, Any]:
    labels = dict(LABELS) if ns == NS else {}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": labels},
        "spec": pod_spec(**spec),
    }


def named(claim_name: str) -> dict[str, Any]:
    return {"name": "gpu", "resourceClaimName": claim_name}


def from_template(template_name: str) -> dict[str, Any]:
    return {"name": "gpu", "resourceClaimTemplateName": template_name}


def apply(cluster: DevCluster, obj: dict[str, Any], *extra: str, user: bool = True) -> tuple[int, str]:
    proc = cluster.kubectl("apply", *extra, "-f", "-", input=json.dumps(obj), user=user, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def running(cluster: DevCluster, name: str, ns: str = NS) -> dict[str, Any] | None:
    found = cluster.get("pod", name, "-n", ns)
    return found if found["status"].get("phase") == "Running" else None


def claim_of(cluster: DevCluster, pod_name: str) -> dict[str, Any]:
    """The claim made from a template for a pod (its name is in the pod's status)."""
    statuses = wait_for(
        lambda: cluster.get("pod", pod_name, "-n", NS)["status"].get("resourceClaimStatuses"),
        what=f"pod {pod_name}'s generated claim",
    )
    found: dict[str, Any] = cluster.get("resourceclaim", statuses[0]["resourceClaimName"], "-n", NS)
    return found


# Manifests the tests create, for comparing lint with the audit at the end.
LEGIT = [
    template("slice", request("mig.nvidia.com", 1, SLICE)),
    claim("shared", request("gpu.nvidia.com", 1)),
    pod("share-a", claims=[named("shared")]),
    pod("share-b", claims=[named("shared")]),
    {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "slices", "namespace": NS, "labels": dict(LABELS)},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "slices"}},
            "template": {
                "metadata": {"labels": {"app": "slices", **LABELS}},
                "spec": pod_spec(claims=[from_template("slice")]),
            },
        },
    },
]


@pytest.fixture(scope="module")
def initech(dev_cluster: DevCluster, webhook: WebhookProcess) -> Iterator[DevCluster]:
    c = dev_cluster
    c.apply(TENANT)
    c.create_namespace(NS)
    c.apply(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "alice", "namespace": NS},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "tenant-developer"},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "alice"}],
        }
    )
    try:
        yield c
    finally:
        c.kubectl("delete", "namespace", NS, "--ignore-not-found", "--timeout=120s", check=False, timeout=150)
        c.kubectl("delete", "tenant", "initech", "--ignore-not-found", check=False)


def test_the_dev_cluster_publishes_devices_as_the_nvidia_driver_would(initech: DevCluster) -> None:
    classes = {c["metadata"]["name"] for c in initech.get("deviceclasses")["items"]}
    assert classes >= {"gpu.nvidia.com", "mig.nvidia.com"}
    slices = {s["spec"]["nodeName"]: s["spec"]["devices"] for s in initech.get("resourceslices")["items"]}
    assert len(slices["kwok-gpu-h100-0"]) == 8
    profiles = [d["attributes"]["profile"]["string"] for d in slices["kwok-mig-a100-0"]]
    assert profiles.count("1g.10gb") == 28 and profiles.count("3g.40gb") == 4


@pytest.mark.parametrize(
    ("obj", "rule", "path"),
    [
        pytest.param(
            template("eight", request("gpu.nvidia.com", 3)),
            "GPU005",
            "spec.spec.devices",
            id="template-over-per-pod-cap",
        ),
        pytest.param(
            claim("passthrough", request("vfio.nvidia.com", 1)),
            "GPU015",
            "spec.devices.requests[0].exactly.deviceClassName",
            id="class-not-in-the-tenants-list",
        ),
        pytest.param(
            template("whole-node", request("gpu.nvidia.com", None, allocationMode="All")),
            "GPU016",
            "spec.spec.devices.requests[0].exactly.allocationMode",
            id="allocation-mode-all",
        ),
        pytest.param(
            claim("big-slice", request("mig.nvidia.com", 1, SLICE.replace("1g.10gb", "3g.40gb"))),
            "GPU018",
            "spec.devices.requests[0].exactly.selectors",
            id="mig-profile-outside-the-allowance",
        ),
    ],
)
def test_each_way_around_the_caps_is_denied_with_its_rule(
    initech: DevCluster, obj: dict[str, Any], rule: str, path: str
) -> None:
    code, out = apply(initech, obj)
    assert code != 0 and "denied the request" in out, out
    assert f"[{rule}] {path}:" in out, out
    assert initech.kubectl("get", obj["kind"].lower(), obj["metadata"]["name"], "-n", NS, check=False).returncode != 0


def test_admin_access_is_refused_and_its_namespace_label_cannot_be_set(initech: DevCluster, tmp_path: Path) -> None:
    """kube-apiserver's own validation answers first (adminAccess needs the namespace label), before any
    validating webhook; the label itself is what GPU017 refuses — even to an admin — and lint names the claim."""
    monitor = claim("monitor", request("gpu.nvidia.com", 1, adminAccess=True))
    code, out = apply(initech, monitor)
    assert code != 0 and "resource.kubernetes.io/admin-access" in out, out
    proc = initech.kubectl("label", "namespace", NS, "resource.kubernetes.io/admin-access=true", check=False)
    assert proc.returncode != 0 and "[GPU017] metadata.labels" in proc.stderr, proc.stderr
    assert "resource.kubernetes.io/admin-access" not in initech.get("namespace", NS)["metadata"]["labels"]
    assert "GPU017" in lint(tmp_path, [monitor])[("ResourceClaim", "monitor")]


def test_a_legitimate_dra_gpu_pod_is_admitted_scheduled_and_run(initech: DevCluster) -> None:
    for obj in LEGIT:
        code, out = apply(initech, obj)
        assert code == 0, out
    share_a = wait_for(lambda: running(initech, "share-a"), what="pod share-a Running")
    wait_for(lambda: running(initech, "share-b"), what="pod share-b Running")
    shared = initech.get("resourceclaim", "shared", "-n", NS)["status"]
    (device,) = shared["allocation"]["devices"]["results"]
    assert device["driver"] == "gpu.nvidia.com" and device["pool"] == share_a["spec"]["nodeName"]
    assert sorted(r["name"] for r in shared["reservedFor"]) == ["share-a", "share-b"], "one claim, two pods"
    for p in wait_for(lambda: slice_pods(initech), what="the slices Deployment's two pods Running"):
        assert p["spec"]["nodeName"] == "kwok-mig-a100-0"
        made = claim_of(initech, p["metadata"]["name"])
        (result,) = made["status"]["allocation"]["devices"]["results"]
        assert result["device"].startswith("gpu-") and "-mig-19-" in result["device"], "a 1g.10gb partition"
        assert made["metadata"]["labels"] == {**LABELS}, "the webhook labelled the claim the controller made"


def slice_pods(cluster: DevCluster) -> list[dict[str, Any]] | None:
    pods = cluster.get("pods", "-n", NS, "-l", "app=slices")["items"]
    return pods if len(pods) == 2 and all(p["status"].get("phase") == "Running" for p in pods) else None


def _held(initech: DevCluster, equivalents: str) -> bool:
    """The webhook's cache sees what the tenant holds: a dry-run probe is refused with that figure."""
    probe = pod("probe", gpus=2)
    code, out = apply(initech, probe, "--dry-run=server")
    return code != 0 and f"already holds {equivalents} elsewhere" in out


def test_gpus_split_between_extended_resources_and_a_claim_pass_no_cap(initech: DevCluster) -> None:
    """Per pod: 2 nvidia.com/gpu + the shared claim's GPU is 3 > 2. Tenant-wide: 1 (shared) + 2/7 (slices) + 1
    (an extended GPU) leaves no room for one more DRA GPU under 3."""
    code, out = apply(initech, pod("split", gpus=2, claims=[named("shared")]))
    assert code != 0 and "[GPU005] spec:" in out, out
    assert "pod holds 3 GPU-equivalents (2 nvidia.com/gpu + 1 gpu.nvidia.com)" in out, out
    code, out = apply(initech, pod("extended", gpus=1))
    assert code == 0, out
    wait_for(lambda: _held(initech, "2.29"), what="the webhook's cache to hold the claims and the extended GPU")
    code, out = apply(initech, claim("pair", request("gpu.nvidia.com", 1)))
    assert code != 0 and "[GPU006] spec.devices:" in out, out
    assert "ResourceClaim needs 1 GPU-equivalents (1 gpu.nvidia.com)" in out and "3.29 exceeds the cap of 3" in out
    assert "[GPU020]" not in out, "2 of the 2 gpu.nvidia.com devices: the class cap holds"
    initech.kubectl("delete", "pod", "extended", "-n", NS, "--wait=true")


def test_a_claim_made_for_another_pod_cannot_be_named(initech: DevCluster) -> None:
    (first, *_) = initech.get("pods", "-n", NS, "-l", "app=slices")["items"]
    made = claim_of(initech, first["metadata"]["name"])["metadata"]["name"]
    code, out = apply(initech, pod("thief", claims=[named(made)]))
    assert code != 0 and "[GPU021] spec.resourceClaims[0].resourceClaimName:" in out, out


def test_a_claim_in_another_tenants_namespace_is_out_of_reach(initech: DevCluster) -> None:
    """A pod names claims of its own namespace only (PodResourceClaim has no namespace): naming acme's claim
    finds nothing in initech-a (GPU022 says so), and the claim of that name created later in initech-a — judged
    with the pod that already names it — is the one the scheduler allocates."""
    acme = claim("borrowed", request("gpu.nvidia.com", 1), ns="acme-dev")
    code, out = apply(initech, acme)
    assert code == 0, out
    try:
        code, out = apply(initech, pod("borrower", claims=[named("borrowed")]))
        assert code == 0 and "Warning: [GPU022] spec.resourceClaims[0].resourceClaimName:" in out, out
        code, out = apply(initech, claim("borrowed", request("mig.nvidia.com", 1, SLICE)))
        assert code == 0, out
        borrower = wait_for(lambda: running(initech, "borrower"), what="pod borrower Running")
        assert borrower["spec"]["nodeName"] == "kwok-mig-a100-0", "its own namespace's claim, a 1g slice"
        untouched = initech.get("resourceclaim", "borrowed", "-n", "acme-dev")["status"]
        assert "reservedFor" not in untouched and "allocation" not in untouched
    finally:
        initech.kubectl("delete", "resourceclaim", "borrowed", "-n", "acme-dev", "--ignore-not-found", check=False)


def audit(cluster: DevCluster) -> dict[str, Any]:
    argv = [str(TENANTGUARD), "audit", "--kubeconfig", str(cluster.kubeconfig), "--format", "json"]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False, env={**os.environ, "CI": "1"})
    assert proc.returncode == 0, proc.stderr
    doc: dict[str, Any] = json.loads(proc.stdout)
    return doc


def lint(tmp_path: Path, manifests: list[dict[str, Any]]) -> dict[tuple[str, str], set[str]]:
    """lint's rules per (kind, name), with the Tenant and the cluster's DeviceClasses as --tenants."""
    platform = tmp_path / "platform.yaml"
    platform.write_text(yaml.safe_dump_all([TENANT, *simulated.device_classes()], sort_keys=False))
    inputs = tmp_path / "inputs.yaml"
    inputs.write_text(yaml.safe_dump_all(manifests, sort_keys=False))
    argv = [str(TENANTGUARD), "lint", str(inputs), "--tenants", str(platform), "--format", "json", "--fail-on", "info"]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode in (0, 1), proc.stderr
    found: dict[tuple[str, str], set[str]] = {(o["kind"], o["metadata"]["name"]): set() for o in manifests}
    for r in json.loads(proc.stdout)["results"]:
        found[(r["kind"], r["name"])].add(r["rule"])
    return found


def test_the_audit_counts_dra_devices_from_the_claims_allocation(initech: DevCluster) -> None:
    report = audit(initech)
    usage = report["usage"]["tenants"]["initech"]["gpu"]
    dra = usage["dra"]
    assert dra["allocated"] == {"gpu.nvidia.com": 1, "mig.nvidia.com": 3}, "shared once; two slices and borrowed"
    assert dra["allocated"] == dra["running"] and dra["pending"] == {}
    assert dra["allocatedGpuEquivalents"] == round(1 + 3 / 7, 3), "a 1g.10gb partition weighs 1/7"
    assert usage["allocated"] == {} and usage["allocatedGpuEquivalents"] == round(1 + 3 / 7, 3)
    claims = {c["name"]: c for c in dra["claims"]}
    shared = initech.get("resourceclaim", "shared", "-n", NS)["status"]["allocation"]["devices"]["results"][0]
    assert claims["shared"]["pods"] == ["share-a", "share-b"]
    assert claims["shared"]["devices"] == [
        {
            "deviceClass": "gpu.nvidia.com",
            "device": f"gpu.nvidia.com/{shared['pool']}/{shared['device']}",
            "profile": None,
            "gpuEquivalents": 1.0,
        }
    ]
    assert {d["profile"] for c in dra["claims"] for d in c["devices"]} == {None, "1g.10gb"}
    end = datetime.fromisoformat(report["window"]["end"].replace("Z", "+00:00"))

    def hours_since(name: str) -> float:
        start = initech.get("pod", name, "-n", NS)["status"]["startTime"]
        return (end - datetime.fromisoformat(start.replace("Z", "+00:00"))).total_seconds() / 3600

    slices = [p["metadata"]["name"] for p in slice_pods(initech) or ()]
    expected = max(hours_since("share-a"), hours_since("share-b")) + sum(
        hours_since(p) / 7 for p in [*slices, "borrower"]
    )
    assert dra["gpuHours"] == pytest.approx(expected, abs=3e-3), "the shared claim's hours once, from its first pod"
    assert usage["gpuHours"] == pytest.approx(dra["gpuHours"], abs=1e-3)


def test_without_the_webhook_the_quota_refuses_claims_over_the_cap(
    initech: DevCluster, webhook: WebhookProcess
) -> None:
    """The session's reconciler writes the tenant's quotas with the DRA lines `device_class_quota` computes: the
    capped class's devices less what other namespaces hold, 0 for every class the tenant is not given. With the
    webhook's configurations deleted, kube-apiserver alone refuses a third gpu.nvidia.com device, any device of a
    class the tenant is not given, and a pod asking for the class as a resource; objects that no quota counts
    (claim templates) get in — the audit and lint judge them next."""
    hard = device_class_quota(
        parse_tenant(TENANT), device_classes=["gpu.nvidia.com", "mig.nvidia.com", "vfio.nvidia.com"]
    )
    assert hard["gpu.nvidia.com.deviceclass.resource.k8s.io/devices"] == "2"
    assert hard["vfio.nvidia.com.deviceclass.resource.k8s.io/devices"] == "0"

    def counted() -> bool:
        quota = initech.get("resourcequota", QUOTA_NAME, "-n", NS)
        used = quota.get("status", {}).get("used", {})
        return bool(
            quota["spec"]["hard"].get("gpu.nvidia.com.deviceclass.resource.k8s.io/devices") == "2"
            and used.get("gpu.nvidia.com.deviceclass.resource.k8s.io/devices") == "1"
        )

    wait_for(counted, what="the reconciler's quota carrying the DRA cap and counting the shared claim")
    # A class of the cluster the tenant is not given (a passthrough driver's): the reconciler writes 0 for it.
    vfio = {"apiVersion": "resource.k8s.io/v1", "kind": "DeviceClass", "metadata": {"name": "vfio.nvidia.com"},
            "spec": {"selectors": [{"cel": {"expression": "device.driver == 'vfio.gpu.nvidia.com'"}}]}}  # fmt: skip
    initech.kubectl("apply", "-f", "-", input=json.dumps(vfio))

    def zero_for_vfio() -> bool:
        denied = initech.get("resourcequota", DENIED_QUOTA_NAME, "-n", NS)["spec"]["hard"]
        return bool(denied.get("vfio.nvidia.com.deviceclass.resource.k8s.io/devices") == "0")

    wait_for(zero_for_vfio, what="the reconciler's 0 for a DeviceClass the tenant is not given")
    initech.kubectl("delete", "mutatingwebhookconfiguration,validatingwebhookconfiguration", "tenantguard")
    try:
        code, out = apply(initech, claim("two-more", request("gpu.nvidia.com", 2)))
        assert code != 0 and "exceeded quota" in out and "gpu.nvidia.com.deviceclass.resource.k8s.io/devices" in out
        code, out = apply(initech, claim("passthrough", request("vfio.nvidia.com", 1)))
        assert code != 0 and "exceeded quota" in out, out
        extended = pod("by-resource")
        extended["spec"]["containers"][0]["resources"] = {
            "limits": {"deviceclass.resource.kubernetes.io/gpu.nvidia.com": 2}
        }
        code, out = apply(initech, extended)
        assert code != 0 and "exceeded quota" in out, out
        for obj in UNQUOTED:
            code, out = apply(initech, obj)
            assert code == 0, out
    finally:
        initech.kubectl("apply", "-f", "-", input=webhook.configurations_yaml())
        initech.kubectl("delete", "deviceclass", "vfio.nvidia.com", "--ignore-not-found", check=False)
    code, out = apply(initech, template("whole-node-2", request("gpu.nvidia.com", None, allocationMode="All")))
    assert code != 0 and "[GPU016]" in out, "the webhook is back"


# Admitted only while the webhook was away: no quota counts a claim template.
UNQUOTED = [
    template("whole-node", request("gpu.nvidia.com", None, allocationMode="All")),
    template("eight", request("gpu.nvidia.com", 8)),
    template("any-slice", request("mig.nvidia.com", 1, 'device.attributes["gpu.nvidia.com"].profile.startsWith("1g")')),
]


def test_lint_and_the_audit_give_the_same_verdicts_on_the_same_manifests(initech: DevCluster, tmp_path: Path) -> None:
    manifests = [*LEGIT, *UNQUOTED]
    by_lint = lint(tmp_path, manifests)
    report = audit(initech)
    by_audit: dict[tuple[str, str], set[str]] = {(o["kind"], o["metadata"]["name"]): set() for o in manifests}
    for v in report["isolation"]["violations"]:
        if v["namespace"] == NS and (v["kind"], v["name"]) in by_audit:
            by_audit[(v["kind"], v["name"])].add(v["rule"])
    assert by_audit == by_lint
    assert by_audit[("ResourceClaimTemplate", "whole-node")] == {"GPU016", "GPU005"}, "All counts 32 devices"
    assert by_audit[("ResourceClaimTemplate", "eight")] == {"GPU005"}
    assert by_audit[("ResourceClaimTemplate", "any-slice")] == {"GPU019"}, "unreadable: a warning, not GPU018"
    assert all(not by_audit[(o["kind"], o["metadata"]["name"])] for o in LEGIT)
