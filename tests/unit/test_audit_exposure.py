"""The audit report on hostNetwork pods and exposure outside the gateway: sections, findings, Markdown and HTML."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

import pytest

from tenantguard.audit.formats import html, markdown
from tenantguard.audit.report import assemble
from tenantguard.audit.scan import scan
from tenantguard.audit.usage import Window
from tests.support.fixtures import ACME_SPEC, GLOBEX_SPEC, restricted_container, tenant_object
from tests.unit.test_audit_scan import NOW, ListSource, namespace

LABEL = "tenantguard.io/tenant"


def _pod(ns: str, name: str, node: str, ip: str, **spec: Any) -> dict[str, Any]:
    tenant = ns.split("-")[0]
    meta: dict[str, Any] = {"name": name, "namespace": ns, "labels": {LABEL: tenant, "app": name.split("-")[0]}}
    if spec.pop("daemonset", False):
        meta["ownerReferences"] = [{"kind": "DaemonSet", "name": "agent", "controller": True}]
    containers = [restricted_container(ports=[{"containerPort": 9100}])]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta,
            "spec": {"nodeName": node, "containers": containers, **spec},
            "status": {"phase": "Running", "podIP": ip}}  # fmt: skip


@pytest.fixture(scope="module")
def audit() -> Any:
    deny = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "default-deny", "namespace": "acme-prod", "labels": {LABEL: "acme"}},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}  # fmt: skip
    lb = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "agent-lb", "namespace": "globex-prod",
                                                             "labels": {LABEL: "globex"}},
          "spec": {"type": "LoadBalancer", "selector": {"app": "agent"}, "ports": [{"port": 9100}]}}  # fmt: skip
    objects = [
        tenant_object("acme", ACME_SPEC),
        tenant_object("globex", GLOBEX_SPEC),
        namespace("acme-prod", "acme"),
        namespace("globex-prod", "globex"),
        _pod("acme-prod", "vllm-0", "n1", "10.244.1.5"),
        _pod("acme-prod", "vllm-1", "n2", "10.244.2.5"),
        _pod("globex-prod", "agent-x1", "n1", "192.168.1.1", hostNetwork=True, daemonset=True),
        deny,
        lb,
    ]
    result = scan(ListSource(objects, judges_context=True), now=NOW)
    window = Window.ending(NOW.replace(tzinfo=UTC), timedelta(hours=1))
    return assemble(result, source={"type": "snapshot", "path": "x"}, window=window, generated=NOW.replace(tzinfo=UTC))


def test_a_host_network_pod_reaches_the_pods_of_its_node_whatever_their_policies(audit: Any) -> None:
    reach = audit.doc["isolation"]["reachability"]
    assert reach["hostNetworkPods"] == [
        {"tenant": "globex", "namespace": "globex-prod", "name": "agent-x1", "workload": "globex-prod/agent[DaemonSet]",
         "node": "n1", "ip": "192.168.1.1", "sharesNodeWith": ["acme"]}]  # fmt: skip
    (path,) = [p for p in reach["crossTenantPaths"] if p["from"]["tenant"] == "globex"]
    assert (path["to"]["pods"], path["ports"], path["viaNode"]) == (["vllm-0"], ["*"], True)  # not vllm-1 (node n2)
    assert path["from"]["workloads"] == ["globex-prod/agent[DaemonSet]"]
    assert reach["tenants"]["globex"]["acme"] is True
    assert all(p["name"] != "agent-x1" for p in reach["uncoveredPods"])  # no policy could cover it: ISO011


def test_exposure_and_findings(audit: Any) -> None:
    exposure = audit.doc["isolation"]["exposure"]
    assert [(e["via"]["kind"], e["via"]["name"]) for e in exposure["outsideGateway"]] == [
        ("DaemonSet", "agent"), ("Service", "agent-lb")]  # fmt: skip
    assert exposure["outsideGateway"][1]["workloads"] == ["globex-prod/agent[DaemonSet]"]
    found = {(f["rule"], f["kind"], f["name"]) for f in audit.doc["isolation"]["findings"]}
    assert {("ISO001", "Namespace", "acme-prod"), ("ISO010", "Service", "agent-lb"), ("ISO010", "DaemonSet", "agent"),
            ("ISO011", "Pod", "agent-x1")} <= found  # fmt: skip
    iso001 = next(f for f in audit.doc["isolation"]["findings"] if f["rule"] == "ISO001")
    assert "a hostNetwork pod shares a node with the other end" in iso001["message"]
    summary = audit.doc["summary"]
    assert (summary["hostNetworkPods"], summary["exposedOutsideGateway"]) == (1, 2)


def test_markdown_and_html_group_by_workload(audit: Any) -> None:
    md = markdown.render(audit.doc)
    assert "### Model endpoints exposed outside the gateway" in md
    lb = "| globex | Service globex-prod/agent-lb | Service type LoadBalancer | TCP/9100 |"
    assert f"{lb} globex-prod/agent[DaemonSet] |" in md
    assert "| globex | globex-prod/agent-x1 | globex-prod/agent[DaemonSet] | n1 | acme |" in md
    page = html.render(audit.doc)
    assert "Reachable from outside the cluster" in page and "a hostNetwork pod on the same node" in page
    assert "<code>globex-prod/agent[DaemonSet]</code>" in page
