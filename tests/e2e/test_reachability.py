"""Reachability end to end: a tenant's hostNetwork DaemonSet and LoadBalancer in the audit, and a pull request's
diff against the live cluster.

The tenants `hooli` (hooli-a) and `initrode` (initrode-a) are this module's own, admitted through the
session's webhook. hooli runs a node agent as a hostNetwork DaemonSet with a LoadBalancer in front of it —
what a platform admits only by a time-boxed exception: the admin adds exceptions to the webhook's settings
file (PSS002 host namespaces and PSS006 host ports for the DaemonSet, which cover its pods by ownership; SRV001
for the Service; PSS020 for the namespace, whose Pod Security label the admin then lowers to `privileged` so
that kube-apiserver's own Pod Security admission lets the pods in), as docs/settings.md describes. initrode
runs `api` on kwok-cpu-0 behind a default deny. No policy applies to the agent: its pod on kwok-cpu-0 reaches
`api` (traffic between a pod and its node is always allowed), its pod on kwok-cpu-1 does not.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.devcluster import DevCluster, wait_for
from tests.support.webhook_runner import WebhookProcess

pytestmark = pytest.mark.e2e

TENANTGUARD = Path(sys.executable).with_name("tenantguard")
LABEL = "tenantguard.io/tenant"
AGENT, VICTIM = "hooli-a", "initrode-a"
RESTRICTED = {
    "allowPrivilegeEscalation": False,
    "runAsNonRoot": True,
    "runAsUser": 1000,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}


def _tenant(name: str, namespace: str, level: str) -> dict[str, Any]:
    return {"apiVersion": "tenantguard.io/v1alpha1", "kind": "Tenant", "metadata": {"name": name},
            "spec": {"namespaces": [namespace], "podSecurity": level, "mtls": {"mode": "none"}}}  # fmt: skip


def _pod(ns: str, name: str, node: str, port: int) -> dict[str, Any]:
    image = f"registry.{ns.split('-')[0]}.example/{name}:1"
    container = {"name": "main", "image": image, "securityContext": RESTRICTED,
                 "ports": [{"containerPort": port, "name": "http"}]}  # fmt: skip
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns, "labels": {"app": name}},
            "spec": {"nodeSelector": {"kubernetes.io/hostname": node}, "containers": [container]}}  # fmt: skip


DAEMONSET = {
    "apiVersion": "apps/v1",
    "kind": "DaemonSet",
    "metadata": {"name": "node-agent", "namespace": AGENT},
    "spec": {
        "selector": {"matchLabels": {"app": "node-agent"}},
        "template": {
            "metadata": {"labels": {"app": "node-agent"}},
            "spec": {
                "hostNetwork": True,
                "nodeSelector": {"type": "kwok"},
                "containers": [{"name": "agent", "image": "registry.hooli.example/agent:1",
                                "ports": [{"containerPort": 9100, "name": "metrics"}]}],
            },
        },
    },
}  # fmt: skip
LOAD_BALANCER = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "agent-lb", "namespace": AGENT},
    "spec": {"type": "LoadBalancer", "selector": {"app": "node-agent"}, "ports": [{"port": 9100}]},
}
DEFAULT_DENY = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "NetworkPolicy",
    "metadata": {"name": "default-deny", "namespace": VICTIM},
    "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
}
OPENING = """\
# the pull request: initrode lets hooli's pods in (and, below, hooli lets its pods out to initrode: the platform's
# baseline denies every tenant's egress to other tenants, so one side alone opens nothing)
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-hooli
  namespace: initrode-a
spec:
  podSelector: {}
  ingress:
  - from:
    - namespaceSelector:
        matchLabels: {tenantguard.io/tenant: hooli}
    ports: [{port: 8080}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: to-initrode
  namespace: hooli-a
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to:
    - namespaceSelector:
        matchLabels: {tenantguard.io/tenant: initrode}
    ports: [{port: 8080}]
"""


def _waivers() -> str:
    until = (datetime.now(UTC) + timedelta(days=7)).date().isoformat()
    reason = "e2e INC-4711: the node agent needs the node's network until the sidecar version ships"
    owned = {"namespace": AGENT, "kind": "DaemonSet", "name": "node-agent", "reason": reason, "until": until}
    return yaml.safe_dump(
        {
            "exceptions": [
                {"rule": "PSS002", **owned},
                {"rule": "PSS006", **owned},
                {"rule": "PSS020", "kind": "Namespace", "name": AGENT, "reason": reason, "until": until},
                {"rule": "SRV001", "namespace": AGENT, "kind": "Service", "name": "agent-lb", "reason": reason,
                 "until": until},
            ]
        }
    )  # fmt: skip


def _running(cluster: DevCluster, ns: str, selector: str, count: int) -> list[dict[str, Any]] | None:
    pods: list[dict[str, Any]] = cluster.get("pods", "-n", ns, "-l", selector)["items"]
    running = [p for p in pods if p.get("status", {}).get("phase") == "Running" and p["status"].get("podIP")]
    return running if len(running) == count else None


@pytest.fixture(scope="module")
def seeded(dev_cluster: DevCluster, webhook: WebhookProcess) -> Iterator[dict[str, Any]]:
    c = dev_cluster
    assert webhook.config is not None
    original = webhook.config.read_text()
    webhook.config.write_text(original + _waivers())
    try:
        c.apply(_tenant("hooli", AGENT, "baseline"))
        c.apply(_tenant("initrode", VICTIM, "restricted"))
        for ns, tenant in ((AGENT, "hooli"), (VICTIM, "initrode")):
            manifest = json.dumps({"apiVersion": "v1", "kind": "Namespace",
                                   "metadata": {"name": ns, "labels": {LABEL: tenant}}})  # fmt: skip

            def admitted(m: str = manifest) -> bool:
                return c.kubectl("apply", "-f", "-", input=m, check=False).returncode == 0

            # the webhook's cache learns the Tenants in a moment: until then the namespace is refused
            wait_for(admitted, what=f"namespace {ns} admitted")
        wait_for(
            lambda: c.kubectl("get", "serviceaccount", "default", "-n", AGENT, check=False).returncode == 0,
            what="ServiceAccount default",
        )

        # the admin's half of the exception: kube-apiserver's Pod Security admission must let hostNetwork in
        # (refused by PSS020 until the webhook has reloaded its settings with the waiver, and put back by the
        # reconciler until it has: the label must stay)
        def privileged_and_kept() -> bool:
            if (
                c.kubectl(
                    "label",
                    "namespace",
                    AGENT,
                    "pod-security.kubernetes.io/enforce=privileged",
                    "--overwrite",
                    check=False,
                ).returncode
                != 0
            ):
                return False
            time.sleep(3)  # longer than the reconciler takes to revert a label it still thinks is wrong
            labels = c.get("namespace", AGENT)["metadata"]["labels"]
            return bool(labels.get("pod-security.kubernetes.io/enforce") == "privileged")

        wait_for(privileged_and_kept, what="the settings reload (PSS020 waived for hooli-a) in webhook and reconciler",
                 timeout=60)  # fmt: skip
        c.apply(DAEMONSET)
        c.apply(LOAD_BALANCER)
        c.apply(DEFAULT_DENY)
        c.apply(_pod(VICTIM, "api", "kwok-cpu-0", 8080))
        c.apply(_pod(AGENT, "client", "kwok-cpu-1", 8080))
        agents = wait_for(lambda: _running(c, AGENT, "app=node-agent", 2), what="node-agent on both CPU nodes")
        wait_for(lambda: _running(c, VICTIM, "app=api", 1), what="initrode-a/api Running")
        wait_for(lambda: _running(c, AGENT, "app=client", 1), what="hooli-a/client Running")
        by_node = {p["spec"]["nodeName"]: p for p in agents}
        yield {"cluster": c, "agents": by_node, "config": str(webhook.config)}
    finally:
        webhook.config.write_text(original)
        c.kubectl("delete", "namespace", AGENT, VICTIM, "--ignore-not-found", "--wait=false", check=False)
        c.kubectl("delete", "tenant", "hooli", "initrode", "--ignore-not-found", check=False)


def _tenantguard(cluster: DevCluster, *args: str) -> subprocess.CompletedProcess[str]:
    argv = [str(TENANTGUARD), *args, "--kubeconfig", str(cluster.kubeconfig)]
    return subprocess.run(argv, capture_output=True, text=True, timeout=180, check=False, env={**os.environ, "CI": "1"})


@pytest.fixture(scope="module")
def report(seeded: dict[str, Any]) -> dict[str, Any]:
    # the audit reads the platform's one settings file, the webhook's: the same exceptions waive the same rules
    proc = _tenantguard(seeded["cluster"], "audit", "--format", "json", "--config", seeded["config"])
    assert proc.returncode == 0, proc.stderr
    doc: dict[str, Any] = json.loads(proc.stdout)
    return doc


def test_the_admitted_daemonset_runs_on_the_nodes_addresses(seeded: dict[str, Any]) -> None:
    agents = seeded["agents"]
    assert sorted(agents) == ["kwok-cpu-0", "kwok-cpu-1"]
    for pod in agents.values():
        assert pod["status"]["podIP"] == pod["status"]["hostIP"]  # KWOK gives a hostNetwork pod its node's IP


def test_host_network_daemonset_shows_up_with_its_real_reachability(
    seeded: dict[str, Any], report: dict[str, Any]
) -> None:
    near, far = seeded["agents"]["kwok-cpu-0"], seeded["agents"]["kwok-cpu-1"]
    reach = report["isolation"]["reachability"]
    hosts = {h["name"]: h for h in reach["hostNetworkPods"] if h["namespace"] == AGENT}
    # Other modules of the session may leave pods on the same node: initrode must be among its neighbours.
    near_host = dict(hosts[near["metadata"]["name"]])
    assert "initrode" in near_host.pop("sharesNodeWith")
    assert near_host == {
        "tenant": "hooli", "namespace": AGENT, "name": near["metadata"]["name"],
        "workload": f"{AGENT}/node-agent[DaemonSet]", "node": "kwok-cpu-0", "ip": near["status"]["podIP"]}  # fmt: skip
    assert "initrode" not in hosts[far["metadata"]["name"]]["sharesNodeWith"]
    paths = {(p["from"]["namespace"], p["to"]["namespace"]): p for p in reach["crossTenantPaths"]}
    # initrode's default deny cannot stop the agent on api's node, and only that one; nor api's egress to it
    into = paths[AGENT, VICTIM]
    assert (into["from"]["pods"], into["to"]["pods"], into["ports"], into["viaNode"]) == (
        [near["metadata"]["name"]], ["api"], ["*"], True)  # fmt: skip
    assert into["from"]["workloads"] == [f"{AGENT}/node-agent[DaemonSet]"]
    out_of = paths[VICTIM, AGENT]
    assert (out_of["from"]["pods"], out_of["to"]["pods"], out_of["viaNode"]) == (
        ["api"],
        [near["metadata"]["name"]],
        True,
    )
    assert reach["tenants"]["hooli"]["initrode"] is True
    found = {(f["rule"], f["kind"], f["namespace"], f["name"]) for f in report["isolation"]["findings"]}
    assert ("ISO001", "Namespace", VICTIM, VICTIM) in found
    assert {("ISO011", "Pod", AGENT, p["metadata"]["name"]) for p in seeded["agents"].values()} <= found
    # the exception waives PSS002/PSS006: no violation for the DaemonSet or its pods, the findings stay
    assert not [v for v in report["isolation"]["violations"] if v["namespace"] == AGENT and v["rule"] == "PSS002"]


def test_load_balancer_in_a_tenant_namespace_is_exposed(report: dict[str, Any]) -> None:
    outside = [e for e in report["isolation"]["exposure"]["outsideGateway"] if e["namespace"] == AGENT]
    by_object = {(e["via"]["kind"], e["via"]["name"]): e for e in outside}
    lb = by_object["Service", "agent-lb"]
    assert (lb["tenant"], lb["via"]["how"], lb["ports"], lb["workloads"]) == (
        "hooli", "Service type LoadBalancer", ["TCP/9100"], [f"{AGENT}/node-agent[DaemonSet]"])  # fmt: skip
    assert by_object["DaemonSet", "node-agent"]["via"]["how"] == "hostNetwork: listens on its node's addresses"
    found = {(f["rule"], f["kind"], f["name"]) for f in report["isolation"]["findings"] if f["namespace"] == AGENT}
    assert {("ISO010", "Service", "agent-lb"), ("ISO010", "DaemonSet", "node-agent")} <= found


def test_a_pull_request_opening_initrode_to_hooli_fails_and_names_the_rule(
    seeded: dict[str, Any], tmp_path: Path
) -> None:
    change = tmp_path / "pr"
    change.mkdir()
    (change / "allow-hooli.yaml").write_text(OPENING)
    c = seeded["cluster"]
    proc = _tenantguard(c, "reachability", "diff", str(change), "--format", "json")
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert VICTIM in doc["changedNamespaces"]
    opened = [o for o in doc["opened"] if o["to"]["workload"] == f"{VICTIM}/api[Pod]"]
    assert [(o["from"]["workload"], o["ports"], o["crossTenant"]) for o in opened] == [
        (f"{AGENT}/client[Pod]", ["TCP/8080"], True)]  # fmt: skip  # the agent reached api already, by its node
    assert opened[0]["rules"] == [
        {"policy": f"{AGENT}/to-initrode", "rule": "spec.egress[0]", "changed": True,
         "file": str(change / "allow-hooli.yaml"), "line": 25},
        {"policy": f"{VICTIM}/allow-hooli", "rule": "spec.ingress[0]", "changed": True,
         "file": str(change / "allow-hooli.yaml"), "line": 11},
    ]  # fmt: skip
    assert doc["tenants"]["opened"] == []  # hooli reached initrode before, through the node
    text = _tenantguard(c, "reachability", "diff", str(change))
    assert text.returncode == 1
    assert f"{VICTIM}/allow-hooli spec.ingress[0] (changed)  {change / 'allow-hooli.yaml'}:11" in text.stdout
    github = _tenantguard(c, "reachability", "diff", str(change), "--format", "github")
    assert f"::error file={change / 'allow-hooli.yaml'},line=25,title=Opens a path from tenant hooli to tenant " \
           "initrode::" in github.stdout  # fmt: skip


def test_explain_against_the_cluster(seeded: dict[str, Any]) -> None:
    near = seeded["agents"]["kwok-cpu-0"]["metadata"]["name"]
    proc = _tenantguard(seeded["cluster"], "reachability", "explain", f"{AGENT}/{near}", f"{VICTIM}/api", "8080")
    assert proc.returncode == 0, proc.stderr
    assert "allowed — the two share a node and one is hostNetwork" in proc.stdout.splitlines()[0]
    proc = _tenantguard(seeded["cluster"], "reachability", "explain", f"{AGENT}/client", f"{VICTIM}/api", "8080")
    assert proc.stdout.splitlines()[0].endswith("TCP/8080: denied")
    assert f"ingress of {VICTIM}/api: denied — isolated by {VICTIM}/default-deny" in proc.stdout
