"""The NetworkAnalysis API: paths with their policies, matrices, cross-tenant paths, uncovered pods, pod_info."""

from __future__ import annotations

from typing import Any

import pytest

from tenantguard.policies.netpol import ContainerPort, ExternalPath, Path, PodInfo, RuleRef, analyze, pod_info
from tenantguard.policies.netpol.ipblocks import IpIndex, ip_block
from tenantguard.policies.netpol.ports import rule_ports
from tenantguard.policies.netpol.selectors import selector as parse
from tests.unit.test_netpol_table import labels, netpol

TENANT_OF = {"acme-prod": "acme", "acme-dev": "acme", "globex-prod": "globex", "initech": "initech"}
NAMESPACES = {ns: {"tenant": tenant} for ns, tenant in TENANT_OF.items()} | {"gateway": {"role": "gateway"}}


def pod(ref: str, app: str, ip: str = "", ports: tuple[ContainerPort, ...] = ()) -> PodInfo:
    namespace, name = ref.split("/")
    return PodInfo(namespace=namespace, name=name, labels={"app": app}, ip=ip, ports=ports)


VLLM = pod("acme-prod/vllm-0", "vllm", "10.0.1.1", (ContainerPort(port=8000, name="http"),))
VLLM_1 = pod("acme-prod/vllm-1", "vllm", "10.0.1.2", (ContainerPort(port=8000, name="http"),))
UI = pod("acme-dev/ui", "ui", "10.0.2.1")
REDIS = pod("globex-prod/redis-0", "redis", "10.0.3.1", (ContainerPort(port=6379, name="redis"),))
API = pod("globex-prod/api", "api", "10.0.3.2")
INITECH = pod("initech/app", "app", "10.0.4.1")
GATEWAY = pod("gateway/envoy", "envoy", "10.0.9.1")
PODS = [VLLM, VLLM_1, UI, REDIS, API, INITECH, GATEWAY]


def deny_all(namespace: str) -> dict[str, Any]:
    return netpol(namespace, "default-deny", types=["Ingress", "Egress"])


def same_tenant(namespace: str, tenant: str) -> dict[str, Any]:
    peers = [{"namespaceSelector": labels(tenant=tenant)}]
    return netpol(namespace, "same-tenant", ingress=[{"from": peers}], egress=[{"to": peers}])


def from_gateway(namespace: str) -> dict[str, Any]:
    return netpol(namespace, "from-gateway", ingress=[{"from": [{"namespaceSelector": labels(role="gateway")}]}])


POLICIES = [
    *(deny_all(ns) for ns in ("acme-prod", "acme-dev", "globex-prod")),
    *(same_tenant(ns, TENANT_OF[ns]) for ns in ("acme-prod", "acme-dev", "globex-prod")),
    *(from_gateway(ns) for ns in ("acme-prod", "acme-dev", "globex-prod")),
    # the hole: acme's vllm pods may call globex's redis, and globex accepts them on 6379
    netpol("acme-prod", "to-redis", labels(app="vllm"), types=["Egress"],
           egress=[{"to": [{"namespaceSelector": labels(tenant="globex"), "podSelector": labels(app="redis")}],
                    "ports": [{"port": "redis"}]}]),
    netpol("globex-prod", "allow-acme", labels(app="redis"),
           ingress=[{"from": [{"namespaceSelector": labels(tenant="acme")}], "ports": [{"port": 6379}]}]),
]  # fmt: skip


@pytest.fixture(scope="module")
def analysis() -> Any:
    return analyze(NAMESPACES, PODS, POLICIES)


def test_path_lists_the_policies_opening_each_end(analysis: Any) -> None:
    assert analysis.path(VLLM, REDIS) == Path(
        ports=("TCP/6379",),
        ingress_policies=("globex-prod/allow-acme",),
        egress_policies=("acme-prod/to-redis",),
        ingress_rules=(RuleRef("globex-prod/allow-acme", "spec.ingress[0]"),),
        egress_rules=(RuleRef("acme-prod/to-redis", "spec.egress[0]"),),
    )
    assert analysis.path(REDIS, VLLM) is None  # globex egress stays within globex
    assert analysis.path(UI, REDIS) is None  # acme-dev has no egress to globex
    assert analysis.path(GATEWAY, VLLM) == Path(
        ports=("*",),
        ingress_policies=("acme-prod/from-gateway",),
        ingress_rules=(RuleRef("acme-prod/from-gateway", "spec.ingress[0]"),),
    )


def test_path_to_self_is_always_open(analysis: Any) -> None:
    assert analysis.path(VLLM, VLLM) == Path(ports=("*",))


def test_namespace_matrix(analysis: Any) -> None:
    # acme-dev -> acme-dev and initech -> initech are absent: their only pod does not count as reaching itself
    assert analysis.namespace_matrix() == {
        "acme-dev": {"acme-prod": ["*"]},
        "acme-prod": {"acme-dev": ["*"], "acme-prod": ["*"], "globex-prod": ["TCP/6379"]},
        "gateway": {"acme-dev": ["*"], "acme-prod": ["*"], "globex-prod": ["*"], "initech": ["*"]},
        "globex-prod": {"globex-prod": ["*"]},
        "initech": {"gateway": ["*"]},
    }


def test_tenant_matrix_covers_every_tenant_pair(analysis: Any) -> None:
    assert analysis.tenant_matrix(TENANT_OF) == {
        "acme": {"acme": True, "globex": True, "initech": False},
        "globex": {"acme": False, "globex": True, "initech": False},
        "initech": {"acme": False, "globex": False, "initech": False},  # one pod alone: no pod reaches another
    }


def test_cross_tenant_paths_name_pods_ports_and_policies(analysis: Any) -> None:
    assert analysis.cross_tenant_paths(TENANT_OF) == [
        {
            "from": {
                "tenant": "acme",
                "namespace": "acme-prod",
                "pods": ["vllm-0", "vllm-1"],
                "workloads": ["acme-prod/vllm-0[Pod]", "acme-prod/vllm-1[Pod]"],
            },
            "to": {
                "tenant": "globex",
                "namespace": "globex-prod",
                "pods": ["redis-0"],
                "workloads": ["globex-prod/redis-0[Pod]"],
            },
            "ports": ["TCP/6379"],
            "ingressPolicies": ["globex-prod/allow-acme"],
            "egressPolicies": ["acme-prod/to-redis"],
            "ingressRules": [{"policy": "globex-prod/allow-acme", "rule": "spec.ingress[0]"}],
            "egressRules": [{"policy": "acme-prod/to-redis", "rule": "spec.egress[0]"}],
            "viaNode": False,
        }
    ]  # fmt: skip


def test_cross_tenant_paths_open_namespace_lists_at_most_twenty_pods() -> None:
    many = [pod(f"initech/app-{i:02}", "app") for i in range(25)]
    found = analyze(NAMESPACES, [*many, UI], []).cross_tenant_paths(TENANT_OF)
    assert [(p["from"]["namespace"], p["to"]["namespace"]) for p in found] == [
        ("acme-dev", "initech"),
        ("initech", "acme-dev"),
    ]
    assert found[0]["to"]["pods"] == found[1]["from"]["pods"] == [f"app-{i:02}" for i in range(20)]
    assert found[1] == {
        "from": {"tenant": "initech", "namespace": "initech", "pods": [f"app-{i:02}" for i in range(20)],
                 "workloads": [f"initech/app-{i:02}[Pod]" for i in range(20)]},
        "to": {"tenant": "acme", "namespace": "acme-dev", "pods": ["ui"], "workloads": ["acme-dev/ui[Pod]"]},
        "ports": ["*"],
        "ingressPolicies": [],
        "egressPolicies": [],
        "ingressRules": [],
        "egressRules": [],
        "viaNode": False,
    }  # fmt: skip


def test_uncovered_lists_the_missing_directions(analysis: Any) -> None:
    partial = netpol("initech", "ingress-only", types=["Ingress"])
    found = analyze(NAMESPACES, PODS, [*POLICIES, partial]).uncovered()
    assert [(p.namespace, p.name, missing) for p, missing in found] == [
        ("gateway", "envoy", ("ingress", "egress")),
        ("initech", "app", ("egress",)),
    ]
    assert [p.name for p, _ in analysis.uncovered()] == ["envoy", "app"]


def test_host_network_pods_are_node_traffic() -> None:
    agent = PodInfo(namespace="acme-prod", name="agent", labels={"app": "vllm"}, host_network=True)
    found = analyze(NAMESPACES, [agent, VLLM], [deny_all("acme-prod")])
    assert found.host_network_pods == (agent,)
    assert found.uncovered() == []  # the default deny covers vllm; no policy can cover agent: not listed
    assert found.missing_isolation(agent) == ("ingress", "egress")
    assert found.path(agent, VLLM) is None  # vllm is isolated, and agent shares no node with it
    assert found.path(VLLM, agent) is None  # vllm's egress is isolated too
    assert found.namespace_matrix() == {}
    assert found.external(agent) == (ExternalPath(cidr="*", ports=("*",)),)  # nothing isolates it
    on_node = [PodInfo(namespace="acme-prod", name="agent", labels={}, host_network=True, node="n1"),
               PodInfo(namespace="acme-prod", name="vllm-0", labels={"app": "vllm"}, node="n1")]  # fmt: skip
    found = analyze(NAMESPACES, on_node, [deny_all("acme-prod")])
    assert found.path(*on_node) == Path(ports=("*",), via_node=True)  # its node reaches it, whatever the policy
    assert found.namespace_matrix() == {"acme-prod": {"acme-prod": ["*"]}}


def test_external_egress_is_reported_apart_from_pods() -> None:
    policy = netpol("acme-prod", "egress", types=["Egress"], egress=[
        {"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}}], "ports": [{"port": 443}]},
        {"to": [{"ipBlock": {"cidr": "10.0.3.1/32"}}], "ports": [{"port": "redis"}, {"port": 6379}]},
        {"ports": [{"protocol": "UDP", "port": 53}]},
    ])  # fmt: skip
    found = analyze(NAMESPACES, PODS, [policy])
    assert found.external(VLLM) == (
        ExternalPath(cidr="*", ports=("UDP/53",), policies=("acme-prod/egress",)),
        ExternalPath(cidr="0.0.0.0/0 except 10.0.0.0/8", ports=("TCP/443",), policies=("acme-prod/egress",)),
        ExternalPath(cidr="10.0.3.1/32", ports=("TCP/6379",), policies=("acme-prod/egress",)),
    )
    assert found.external(UI) == (ExternalPath(cidr="*", ports=("*",)),)
    assert found.external_matrix()["acme-prod"] == {
        "*": ["UDP/53"], "0.0.0.0/0 except 10.0.0.0/8": ["TCP/443"], "10.0.3.1/32": ["TCP/6379"],
    }  # fmt: skip
    # the pod matrix sees the same rules: redis by its IP (10.0.3.1/32) and DNS everywhere
    opened = (RuleRef("acme-prod/egress", "spec.egress[1]"), RuleRef("acme-prod/egress", "spec.egress[2]"))
    assert found.path(VLLM, REDIS) == Path(
        ports=("TCP/6379", "UDP/53"), egress_policies=("acme-prod/egress",), egress_rules=opened
    )
    assert found.path(VLLM, API) == Path(ports=("UDP/53",), egress_policies=("acme-prod/egress",),
                                         egress_rules=opened[1:])  # fmt: skip


def test_ports_are_intersected_exactly_and_described() -> None:
    out = netpol("acme-prod", "out", types=["Egress"], egress=[{"ports": [
        {"port": 8000, "endPort": 8100}, {"protocol": "UDP"}, {"port": 9000}]}])  # fmt: skip
    inbound = netpol("globex-prod", "in", ingress=[{"ports": [
        {"port": 8050, "endPort": 9000}, {"protocol": "UDP", "port": 53}, {"protocol": "SCTP"}]}])  # fmt: skip
    found = analyze(NAMESPACES, PODS, [out, inbound])
    assert found.path(VLLM, API) == Path(
        ports=("TCP/8050-8100", "TCP/9000", "UDP/53"),
        ingress_policies=("globex-prod/in",),
        egress_policies=("acme-prod/out",),
        ingress_rules=(RuleRef("globex-prod/in", "spec.ingress[0]"),),
        egress_rules=(RuleRef("acme-prod/out", "spec.egress[0]"),),
    )
    assert found.path(UI, API) == Path(
        ports=("TCP/8050-9000", "UDP/53", "SCTP/*"),
        ingress_policies=("globex-prod/in",),
        ingress_rules=(RuleRef("globex-prod/in", "spec.ingress[0]"),),
    )
    matrix = found.namespace_matrix()
    assert matrix["acme-prod"]["globex-prod"] == ["TCP/8050-8100", "TCP/9000", "UDP/53"]
    assert matrix["acme-dev"]["globex-prod"] == ["TCP/8050-9000", "UDP/53", "SCTP/*"]


def test_pod_info_reads_labels_ip_ports_and_host_network() -> None:
    obj = {
        "metadata": {"namespace": "acme-prod", "name": "vllm-0", "labels": {"app": "vllm"}},
        "spec": {
            "hostNetwork": True,
            "initContainers": [
                {"name": "init", "ports": [{"containerPort": 1}]},
                {"name": "proxy", "restartPolicy": "Always", "ports": [{"containerPort": 15001, "name": "proxy"}]},
            ],
            "containers": [
                {"name": "server", "ports": [{"containerPort": 8000, "name": "http"},
                                             {"containerPort": 5353, "name": "mdns", "protocol": "UDP"}]},
                {"name": "no-ports"},
            ],
        },
        "status": {"podIP": "10.0.1.1"},
    }  # fmt: skip
    assert pod_info(obj) == PodInfo(
        namespace="acme-prod",
        name="vllm-0",
        labels={"app": "vllm"},
        ip="10.0.1.1",
        ports=(
            ContainerPort(port=15001, name="proxy"),
            ContainerPort(port=8000, name="http"),
            ContainerPort(port=5353, name="mdns", protocol="UDP"),
        ),
        host_network=True,
        workload="acme-prod/vllm-0[Pod]",
    )


def test_pod_info_of_a_pending_pod() -> None:
    found = pod_info({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c"}]}})
    assert found == PodInfo(namespace="default", name="p", labels={}, workload="default/p[Pod]")


def test_pod_info_reads_node_owner_and_host_ports() -> None:
    obj = {
        "metadata": {"namespace": "acme-prod", "name": "agent-x7k2p", "labels": {},
                     "ownerReferences": [{"kind": "DaemonSet", "name": "agent", "controller": True}]},
        "spec": {"nodeName": "node-1", "containers": [{"name": "a", "ports": [
            {"containerPort": 9100, "hostPort": 9100, "name": "metrics"}, {"containerPort": 8080}]}]},
    }  # fmt: skip
    found = pod_info(obj)
    assert (found.node, found.workload, found.owner) == ("node-1", "acme-prod/agent[DaemonSet]", found.workload)
    assert found.host_ports == (ContainerPort(port=9100, name="metrics"),)


def test_pods_not_given_to_analyze_are_judged_too(analysis: Any) -> None:
    redis = pod("globex-prod/redis-9", "redis", "10.0.3.9", (ContainerPort(port=6379, name="redis"),))
    assert analysis.allowed(VLLM, redis, 6379)
    assert not analysis.allowed(VLLM, redis, 6380)
    # a class of its own: "redis" names 7000 here, which allow-acme (6379) does not open
    moved = pod("globex-prod/redis-x", "redis", "10.0.3.10", (ContainerPort(port=7000, name="redis"),))
    assert analysis.path(VLLM, moved) is None
    assert analysis.path(GATEWAY, moved) == Path(
        ports=("*",),
        ingress_policies=("globex-prod/from-gateway",),
        ingress_rules=(RuleRef("globex-prod/from-gateway", "spec.ingress[0]"),),
    )


def test_namespaces_without_labels_still_have_their_name_label() -> None:
    policy = netpol("acme-prod", "from-unlisted", ingress=[{"from": [{"namespaceSelector": labels(
        **{"kubernetes.io/metadata.name": "unlisted"})}]}])  # fmt: skip
    stranger = pod("unlisted/x", "x")
    assert analyze({}, [stranger, VLLM], [policy]).allowed(stranger, VLLM, 1)


@pytest.mark.parametrize(
    ("selector", "matches"),
    [
        pytest.param({}, True, id="empty selects everything"),
        pytest.param({"matchExpressions": [{"key": "app", "operator": "In", "values": []}]}, False, id="In no values"),
        pytest.param({"matchExpressions": [{"key": "app", "operator": "Exists", "values": ["x"]}]}, False,
                     id="Exists with values"),
        pytest.param({"matchExpressions": [{"key": "app", "operator": "Gt", "values": ["1"]}]}, False,
                     id="unknown operator"),
        pytest.param({"matchLabels": {"app": 1}}, False, id="non-string label value"),
    ],
)  # fmt: skip
def test_selectors_the_apiserver_would_reject_match_nothing(selector: dict[str, Any], matches: bool) -> None:
    assert parse(selector).matches({"app": "vllm"}) is matches


@pytest.mark.parametrize(
    ("ports", "described"),
    [
        pytest.param([{}], ("TCP/*",), id="empty port entry: every TCP port"),
        pytest.param([{"port": 1, "endPort": 65535}], ("TCP/*",), id="full range is any port"),
        pytest.param([{"port": 90, "endPort": 80}], (), id="endPort below port opens nothing"),
        pytest.param([{"port": 80}, {"port": 81, "endPort": 90}, {"port": 85}], ("TCP/80-90",), id="merged"),
        pytest.param([{"protocol": "SCTP", "port": 9}, {"protocol": "UDP", "port": 9}, {"port": 9}],
                     ("TCP/9", "UDP/9", "SCTP/9"), id="protocol order"),
        pytest.param([], ("*",), id="empty list: everything"),
    ],
)  # fmt: skip
def test_rule_ports(ports: list[dict[str, Any]], described: tuple[str, ...]) -> None:
    assert rule_ports(ports).resolve(()).describe() == described


def test_ip_index_handles_nested_and_overlapping_blocks() -> None:
    blocks = [
        ip_block({"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16", "10.1.2.0/24"]}),
        ip_block({"cidr": "10.1.2.0/24"}),
        ip_block({"cidr": "fd00::/8"}),
        ip_block({"cidr": "not-a-cidr"}),
    ]
    index = IpIndex(blocks)
    assert index.matching("10.0.0.1") == {0}
    assert index.matching("10.1.0.1") == set()
    assert index.matching("10.1.2.3") == {1}
    assert index.matching("10.2.0.0") == {0}
    assert index.matching("fd00::1") == {2}
    assert index.matching("11.0.0.0") == index.matching("") == index.matching("garbage") == set()
    assert [b.contains("10.1.2.3") for b in blocks] == [False, True, False, False]


def test_malformed_pieces_of_a_policy_open_nothing() -> None:
    policy = {
        "metadata": {"namespace": "acme-prod", "name": "odd"},
        "spec": {  # no podSelector: the empty selector, every pod of the namespace
            "ingress": ["not-a-rule", {"from": ["not-a-peer", {}], "ports": ["not-a-port"]}],
            "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": "http"}]}],
        },
    }
    web = pod("gateway/web", "web", "10.0.9.2", (ContainerPort(port=8080, name="http"),))
    found = analyze(NAMESPACES, [*PODS, web], [policy, "not-a-policy"])  # type: ignore[list-item]
    assert found.path(UI, VLLM) is None and found.path(GATEWAY, VLLM_1) is None  # isolated, nothing opened
    assert found.path(VLLM, VLLM_1) is None
    assert found.path(VLLM, web) == Path(  # its "http"
        ports=("TCP/8080",),
        egress_policies=("acme-prod/odd",),
        egress_rules=(RuleRef("acme-prod/odd", "spec.egress[0]"),),
    )
    assert found.path(VLLM, GATEWAY) is None  # envoy names no port "http"
    assert found.external(VLLM) == ()  # a named port never matches an external address
    assert {VLLM, VLLM_1, VLLM} == {VLLM_1, VLLM}  # PodInfo hashes by namespace and name despite its labels dict
