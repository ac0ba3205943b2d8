"""`tenantguard reachability diff | explain | matrix` and `lint --reachability`: what a change opens, which rule
opens it, exit codes for CI, every format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tenantguard.cli import main
from tenantguard.policies.isolation.diff import diff
from tenantguard.policies.isolation.world import from_objects
from tests.support.fixtures import cluster_for

ROOT = Path(__file__).resolve().parents[2]
TENANTS = str(ROOT / "examples" / "tenants")

BASELINE = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: acme-prod}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: globex-prod}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
"""
APPS = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: chat, namespace: acme-prod}
spec:
  replicas: 2
  selector: {matchLabels: {app: chat}}
  template:
    metadata: {labels: {app: chat}}
    spec: {containers: [{name: c, image: registry.acme.example/chat:1, ports: [{containerPort: 8080, name: http}]}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: redis, namespace: globex-prod}
spec:
  selector: {matchLabels: {app: redis}}
  template:
    metadata: {labels: {app: redis}}
    spec: {containers: [{name: r, image: redis:7, ports: [{containerPort: 6379, name: redis}]}]}
"""
OPEN_INGRESS = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-acme, namespace: globex-prod}
spec:
  podSelector: {matchLabels: {app: redis}}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {tenantguard.io/tenant: acme}}
    ports: [{port: 6379}]
"""
OPEN_EGRESS = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: to-globex, namespace: acme-prod}
spec:
  podSelector: {matchLabels: {app: chat}}
  policyTypes: [Egress]
  egress:
  - to: [{namespaceSelector: {matchLabels: {tenantguard.io/tenant: globex}}}]
"""
LOAD_BALANCER = """\
apiVersion: v1
kind: Service
metadata: {name: chat-lb, namespace: acme-prod}
spec: {type: LoadBalancer, selector: {app: chat}, ports: [{port: 80, targetPort: http}]}
"""


@pytest.fixture
def trees(tmp_path: Path) -> dict[str, str]:
    layout = {
        "platform/baseline.yaml": BASELINE,
        "base/apps.yaml": APPS,
        "head/apps.yaml": APPS,
        "head/open.yaml": OPEN_EGRESS + "---\n" + OPEN_INGRESS,
        "lb/apps.yaml": APPS + "---\n" + LOAD_BALANCER,
        "broken/x.yaml": "kind: [\n",
    }
    for name, text in layout.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text)
    return {name: str(tmp_path / name) for name in ("platform", "base", "head", "lb", "broken")}


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["reachability", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_change_opening_a_cross_tenant_path_exits_1_and_names_the_rules(
    capsys: pytest.CaptureFixture[str], trees: dict[str, str]
) -> None:
    code, out, _ = _run(
        capsys, "diff", trees["base"], trees["head"], "--tenants", TENANTS, "--platform", trees["platform"]
    )
    assert code == 1
    opened = f"{trees['head']}/open.yaml"
    assert (
        "opened  acme-prod/chat[Deployment] -> globex-prod/redis[StatefulSet]  TCP/6379  across tenants acme -> globex"
        in out
    )
    assert f"by acme-prod/to-globex spec.egress[0] (changed)  {opened}:8" in out
    assert f"by globex-prod/allow-acme spec.ingress[0] (changed)  {opened}:16" in out
    assert "tenants newly connected: acme -> globex" in out
    assert out.rstrip().endswith("fails: opens 1 connection across tenants")


def test_json_and_github_formats(capsys: pytest.CaptureFixture[str], trees: dict[str, str]) -> None:
    args = ("diff", trees["base"], trees["head"], "--tenants", TENANTS, "--platform", trees["platform"])
    code, out, _ = _run(capsys, *args, "--format", "json")
    doc = json.loads(out)
    assert code == 1 and doc["schemaVersion"] == "tenantguard.io/reachability-diff/v1"
    assert doc["summary"] == {"opened": 1, "crossTenantOpened": 1, "closed": 0, "exposed": 0, "unexposed": 0,
                              "failing": True}  # fmt: skip
    assert doc["changedNamespaces"] == ["acme-prod", "globex-prod"]
    (opened,) = doc["opened"]
    assert opened["from"] == {"tenant": "acme", "workload": "acme-prod/chat[Deployment]"}
    assert {(r["policy"], r["rule"], r["changed"], r["line"]) for r in opened["rules"]} == {
        ("acme-prod/to-globex", "spec.egress[0]", True, 8),
        ("globex-prod/allow-acme", "spec.ingress[0]", True, 16),
    }
    assert doc["tenants"] == {"opened": [{"from": "acme", "to": "globex"}], "closed": []}
    code, out, _ = _run(capsys, *args, "--format", "github")
    error = next(line for line in out.splitlines() if line.startswith("::error"))
    assert error.startswith(f"::error file={trees['head']}/open.yaml,line=8,title=Opens a path from tenant acme to ")
    code, out, _ = _run(capsys, "diff", trees["head"], trees["base"], "--tenants", TENANTS, "--platform",
                        trees["platform"], "--format", "json")  # fmt: skip
    doc = json.loads(out)
    assert code == 0 and doc["summary"]["closed"] == 1 and doc["opened"] == []  # closing a path passes


def test_no_change_passes(capsys: pytest.CaptureFixture[str], trees: dict[str, str]) -> None:
    code, out, _ = _run(capsys, "diff", trees["base"], trees["base"], "--tenants", TENANTS)
    assert code == 0 and out.startswith("namespaces changed: none")


def test_a_new_load_balancer_fails_as_exposure(capsys: pytest.CaptureFixture[str], trees: dict[str, str]) -> None:
    code, out, _ = _run(
        capsys, "diff", trees["base"], trees["lb"], "--tenants", TENANTS, "--platform", trees["platform"]
    )
    assert code == 1
    exposed = "exposed Service acme-prod/chat-lb: Service type LoadBalancer — TCP/8080: acme-prod/chat[Deployment]"
    assert f"{exposed}  {trees['lb']}/apps.yaml:20" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(("diff", "only-one"), "diff takes BASE and HEAD", id="one path"),
        pytest.param(("explain", "a/b", "c/d", "http"), "PORT: expected 8000, TCP/8000 or 53/UDP", id="bad port"),
    ],
)
def test_unusable_arguments_exit_2(capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str) -> None:
    code, _, err = _run(capsys, *args)
    assert code == 2 and message in err and "Traceback" not in err


def test_broken_files_and_missing_tenants_exit_2(capsys: pytest.CaptureFixture[str], trees: dict[str, str]) -> None:
    code, _, err = _run(capsys, "diff", trees["base"], trees["broken"], "--tenants", TENANTS)
    assert code == 2 and f"{trees['broken']}/x.yaml:2: invalid YAML" in err
    code, _, err = _run(capsys, "diff", trees["base"], trees["head"])
    assert code == 2 and "no Tenants found" in err
    code, _, err = _run(capsys, "diff", trees["head"], "--snapshot", "/nonexistent")
    assert code == 2 and "--snapshot /nonexistent: no such file or directory" in err


def test_diff_against_a_snapshot_applies_head_on_top(
    capsys: pytest.CaptureFixture[str], trees: dict[str, str], tmp_path: Path
) -> None:
    snapshot = tmp_path / "snapshot"
    snapshot.mkdir()
    (snapshot / "all.yaml").write_text(BASELINE + "---\n" + APPS)
    change = tmp_path / "change"
    change.mkdir()
    (change / "policy.yaml").write_text(OPEN_INGRESS)
    code, out, _ = _run(capsys, "diff", str(change), "--snapshot", str(snapshot), "--tenants", TENANTS)
    # chat's egress is still denied by acme-prod's default deny: opening globex's side alone opens nothing
    assert code == 0 and "namespaces changed: globex-prod" in out
    (change / "egress.yaml").write_text(OPEN_EGRESS)
    code, out, _ = _run(capsys, "diff", str(change), "--snapshot", str(snapshot), "--tenants", TENANTS)
    assert code == 1 and "across tenants acme -> globex" in out


def test_explain_names_the_rules_that_allow_and_those_that_do_not(
    capsys: pytest.CaptureFixture[str], trees: dict[str, str]
) -> None:
    args = ("--tenants", TENANTS, "--platform", trees["platform"])
    code, out, _ = _run(capsys, "explain", "acme-prod/chat", "globex-prod/redis", "6379", trees["head"], *args)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "acme-prod/chat (template) -> globex-prod/redis (template) TCP/6379: allowed"
    assert "  allows: globex-prod/allow-acme spec.ingress[0] (from and ports match)" in lines
    assert "  acme-prod/default-deny has no egress rules: it only isolates" in lines
    assert f"  at globex-prod/allow-acme spec.ingress[0]: {trees['head']}/open.yaml:16" in lines
    code, out, _ = _run(capsys, "explain", "acme-prod/chat[Deployment]", "globex-prod/redis", "TCP/6380",
                        trees["head"], *args, "--format", "json")  # fmt: skip
    (found,) = json.loads(out)
    assert (found["allowed"], found["egress"]["allows"], found["ingress"]["allows"]) == (False, True, False)
    assert {(r["policy"], r["peers"], r["ports"]) for r in found["ingress"]["rules"]} == {
        ("globex-prod/allow-acme", True, False)
    }
    code, _, err = _run(capsys, "explain", "acme-prod/nope", "globex-prod/redis", "1", trees["head"], *args)
    assert code == 2 and "SRC 'acme-prod/nope': no pod or workload of that name" in err


def test_matrix_of_what_is_about_to_be_applied(capsys: pytest.CaptureFixture[str], trees: dict[str, str]) -> None:
    code, out, _ = _run(capsys, "matrix", trees["head"], "--tenants", TENANTS, "--platform", trees["platform"],
                        "--format", "json")  # fmt: skip
    views = json.loads(out)
    assert code == 0
    assert views["tenants"]["acme"] == {"acme": False, "globex": True}  # the default deny keeps chat's pods apart
    assert views["crossTenantWorkloads"] == [
        {"from": {"tenant": "acme", "workload": "acme-prod/chat[Deployment]"},
         "to": {"tenant": "globex", "workload": "globex-prod/redis[StatefulSet]"}, "ports": ["TCP/6379"]}]  # fmt: skip
    code, out, _ = _run(capsys, "matrix", trees["base"], "--tenants", TENANTS, "--format", "json")
    # no policy at all: chat's two replicas (two representatives) reach each other; redis's one pod does not
    assert json.loads(out)["tenants"] == {
        "acme": {"acme": True, "globex": True},
        "globex": {"acme": True, "globex": False},
    }


def test_lint_reachability(capsys: pytest.CaptureFixture[str], trees: dict[str, str]) -> None:
    main(["lint", "--tenants", TENANTS, trees["lb"], "--reachability", "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert [e["via"]["name"] for e in doc["reachability"]["exposure"]["outsideGateway"]] == ["chat-lb"]
    main(["lint", "--tenants", TENANTS, trees["lb"], "--reachability"])
    assert "reachability: exposed  Service acme-prod/chat-lb: Service type LoadBalancer" in capsys.readouterr().out


def _world(*objects: dict[str, object]) -> object:
    return from_objects([], list(objects), cluster_for().tenants)


def test_removing_a_default_deny_opens_paths_and_names_the_removed_policy() -> None:
    import yaml

    apps = list(yaml.safe_load_all(APPS))
    baseline = list(yaml.safe_load_all(BASELINE))
    found = diff(
        from_objects([], [*apps, *baseline], cluster_for().tenants), from_objects([], apps, cluster_for().tenants)
    )
    cross = {(c.source, c.destination): c for c in found.cross_tenant_opened}
    chat_to_redis = cross["acme-prod/chat[Deployment]", "globex-prod/redis[StatefulSet]"]
    assert chat_to_redis.ports == ("*",) and chat_to_redis.rules == ()
    assert chat_to_redis.lifted == ("acme-prod/default-deny", "globex-prod/default-deny")
    assert (
        chat_to_redis.reason
        == "no NetworkPolicy isolates either end; removed: acme-prod/default-deny, globex-prod/default-deny"
    )
    assert found.tenants_opened == (("acme", "globex"), ("globex", "acme"))


def test_a_pod_label_change_is_a_change_of_its_namespace() -> None:
    import yaml

    apps = list(yaml.safe_load_all(APPS))
    base = from_objects([], [*apps, *yaml.safe_load_all(BASELINE), yaml.safe_load(OPEN_EGRESS)], cluster_for().tenants)
    relabelled = [*apps[:1], {**apps[1], "spec": {**apps[1]["spec"], "template": {
        "metadata": {"labels": {"app": "cache"}}, "spec": apps[1]["spec"]["template"]["spec"]}}}]  # fmt: skip
    allow = yaml.safe_load(OPEN_INGRESS)
    allow["spec"]["podSelector"] = {"matchLabels": {"app": "cache"}}
    before = from_objects([], [*apps, *yaml.safe_load_all(BASELINE), yaml.safe_load(OPEN_EGRESS), allow],
                          cluster_for().tenants)  # fmt: skip
    after = from_objects([], [*relabelled, *yaml.safe_load_all(BASELINE), yaml.safe_load(OPEN_EGRESS), allow],
                         cluster_for().tenants)  # fmt: skip
    found = diff(before, after)
    assert found.changed_namespaces == ("globex-prod",)
    assert [(c.source, c.destination, c.ports, c.changed) for c in found.opened] == [
        ("acme-prod/chat[Deployment]", "globex-prod/redis[StatefulSet]", ("TCP/6379",), ())
    ]
    del base


def test_a_new_host_network_daemonset_opens_every_node_it_may_share() -> None:
    import yaml

    apps = [*yaml.safe_load_all(APPS), *yaml.safe_load_all(BASELINE)]
    template = {"metadata": {"labels": {"app": "agent"}},
                "spec": {"hostNetwork": True, "containers": [{"name": "a", "image": "x"}]}}  # fmt: skip
    agent = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent", "namespace": "globex-prod"},
             "spec": {"template": template}}  # fmt: skip
    found = diff(from_objects([], apps, cluster_for().tenants), from_objects([], [*apps, agent], cluster_for().tenants))
    into = {c.destination: c for c in found.opened if c.source == "globex-prod/agent[DaemonSet]"}
    chat = into["acme-prod/chat[Deployment]"]  # behind acme's default deny, on a node the agent may share
    assert (chat.ports, chat.via_node, chat.cross_tenant, chat.rules) == (("*",), True, True, ())
    assert chat.reason == "a hostNetwork pod shares a node with the other end"
    assert [(e.kind, e.name, e.how) for e in found.exposed] == [
        ("DaemonSet", "agent", "hostNetwork: listens on its node's addresses")]  # fmt: skip
