"""The Helm chart on a real API server: every rendered object of the option matrix accepted, `helm install` for
real, then the webhook and the audit run from what the cluster stores (args, settings ConfigMap, certificates,
ServiceAccount tokens), with the end-to-end verdict checks going through kube-apiserver to the chart's webhook.

A cluster of its own: the chart registers cluster-wide webhooks and RBAC, which must not meet the session's
webhook (tests/e2e/webhook_fixtures.py).
"""

from __future__ import annotations

import json
import os
import re
import ssl
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tenantguard.devcluster import cluster as devcluster
from tenantguard.devcluster.binaries import BinariesError
from tenantguard.devcluster.processes import ComponentError
from tests.e2e.test_html_report_browser import HEIGHT, WIDTH, decode_png, page_requests, screenshot
from tests.e2e.test_verdicts import _cases, by_apiserver, by_lint, by_webhook
from tests.e2e.webhook_fixtures import seed_platform
from tests.support.chart_pods import LocalContainer, local_container
from tests.support.devcluster import DevCluster, wait_established
from tests.support.helm import CHART, MATRIX, METRIC, helm, queried_metrics, set_args, template
from tests.support.webhook_runner import WebhookProcess, free_port

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
# The README's picture of the HTML report: this test's audit, painted by headless Chromium. Like a golden file it
# is rewritten only on purpose: TENANTGUARD_UPDATE_SCREENSHOTS=1.
SCREENSHOT = ROOT / "docs" / "images" / "audit-report.png"
CRDS = ROOT / "tests" / "e2e" / "crds"
NS = "tg-system"
RELEASE = "tg"
FULLNAME = "tg-tenantguard"
WEBHOOK_SA = f"system:serviceaccount:{NS}:{FULLNAME}-webhook"
AUDIT_SA = f"system:serviceaccount:{NS}:{FULLNAME}-audit"
RECONCILER_SA = f"system:serviceaccount:{NS}:{FULLNAME}-reconciler"


@pytest.fixture(scope="module")
def chart_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevCluster]:
    state = tmp_path_factory.mktemp("chart-cluster")
    try:
        info = devcluster.up(state, timeout=180, die_with_parent=True)
    except (BinariesError, ComponentError, RuntimeError, OSError) as error:
        pytest.fail(f"dev cluster did not start: {error}", pytrace=False)
    try:
        dev = DevCluster.from_info(info)
        # The CRDs a value needs (cert-manager, Prometheus operator), istio's PeerAuthentication (the reconciler
        # writes it for istio-mode tenants) and PolicyReports, from their projects.
        folders = ("cert-manager", "prometheus-operator", "istio")
        for crd in sorted(path for folder in folders for path in (CRDS / folder).glob("*.yaml")):
            dev.kubectl("apply", "--server-side", "-f", str(crd))
        dev.kubectl("apply", "--server-side", "-f", str(ROOT / "tests/e2e/manifests/policyreport-crds.yaml"))
        wait_established(dev.kubectl)
        # tenantguard's own namespace runs its pods at `restricted`: the API server refuses anything less.
        dev.create_namespace(NS, {"pod-security.kubernetes.io/enforce": "restricted"})
        yield dev
    finally:
        devcluster.down(state)


def _objects(values: dict[str, Any]) -> list[dict[str, Any]]:
    return [o for o in template(values, release=RELEASE, namespace=NS) if o["kind"] != "CustomResourceDefinition"]


@pytest.mark.parametrize("name", MATRIX)
def test_every_rendered_object_is_accepted_by_the_api_server(name: str, chart_cluster: DevCluster) -> None:
    """`kubectl apply --dry-run=server`: schemas, CEL rules of the CRDs, Pod Security `restricted` on the pods."""
    chart_cluster.kubectl("apply", "--server-side", "-f", str(CHART / "crds"))
    objs = _objects(MATRIX[name])
    proc = chart_cluster.kubectl(
        "apply",
        "--dry-run=server",
        "-f",
        "-",
        input=json.dumps({"apiVersion": "v1", "kind": "List", "items": objs}),
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Warning" not in proc.stderr, proc.stderr  # e.g. "would violate PodSecurity restricted"
    assert len(re.findall(r"\(server dry run\)", proc.stdout)) == len(objs), proc.stdout


@pytest.fixture(scope="module")
def installed(chart_cluster: DevCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The chart installed for real, the webhook configurations pointing at a port on 127.0.0.1 where
    `chart_webhook` runs the Deployment's container."""
    port, metrics_port = free_port(), free_port()
    values: dict[str, Any] = {
        "webhook": {"url": f"https://127.0.0.1:{port}", "port": port},
        "reconciler": {"metricsPort": metrics_port},
        "certificates": {"ipAddresses": ["127.0.0.1"]},
        # Reports into a ConfigMap: the audit writes there under its own token (a PVC is only a folder here).
        "audit": {
            "enabled": True,
            "formats": ["json", "html"],
            "failOn": "error",
            "reports": {"persistence": "configMap"},
        },
        "metrics": {"serviceMonitor": {"enabled": True}, "prometheusRule": {"enabled": True}},
    }
    kubeconfig = ["--kubeconfig", str(chart_cluster.kubeconfig)]
    helm("install", RELEASE, str(CHART), "--namespace", NS, *kubeconfig, *set_args(values))
    try:
        yield {
            "port": port,
            "values": values,
            "kubeconfig": kubeconfig,
            "metrics_port": metrics_port,
        }
    finally:
        helm("uninstall", RELEASE, "--namespace", NS, *kubeconfig, check=False)


def _pod(chart_cluster: DevCluster, kind: str, name: str) -> dict[str, Any]:
    obj = chart_cluster.get(kind, name, "-n", NS)
    spec = obj["spec"]
    template_spec: dict[str, Any] = (
        spec["jobTemplate"]["spec"]["template"]["spec"] if kind == "cronjob" else spec["template"]["spec"]
    )
    return template_spec


@pytest.fixture(scope="module")
def chart_webhook(
    chart_cluster: DevCluster, installed: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WebhookProcess]:
    work = tmp_path_factory.mktemp("chart-webhook")
    pod = _pod(chart_cluster, "deployment", f"{FULLNAME}-webhook")
    (container,) = pod["containers"]
    local = local_container(chart_cluster, NS, pod, container, work)
    # WebhookProcess reads its CA from work/certs: the Secret volume the Deployment mounts as --cert-dir.
    (work / "certs").symlink_to(local.mounts["/etc/tenantguard/tls"])
    hook = WebhookProcess(kubeconfig=None, work_dir=work, port=installed["port"])
    with hook.log_file.open("ab") as log:
        hook.proc = subprocess.Popen(
            local.argv, env=local.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        hook.wait_ready(60)
        # The Tenants, their namespaces and the tenant RBAC, written through the chart's webhook (fail closed).
        seed_platform(chart_cluster)
        yield hook
    finally:
        hook.stop()


@pytest.fixture(scope="module")
def chart_reconciler(
    chart_cluster: DevCluster,
    installed: dict[str, Any],
    chart_webhook: WebhookProcess,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    """The reconciler Deployment's container as a local process under its ServiceAccount's token; its metrics URL,
    once every tenant namespace has its baseline NetworkPolicies (as on a real platform: the webhook's NET005 expects
    them, as in tests/e2e/webhook_fixtures.py)."""
    work = tmp_path_factory.mktemp("chart-reconciler")
    pod = _pod(chart_cluster, "deployment", f"{FULLNAME}-reconciler")
    (container,) = pod["containers"]
    local = local_container(chart_cluster, NS, pod, container, work)
    log_path = work / "reconciler.log"
    with log_path.open("ab") as log:
        proc = subprocess.Popen(local.argv, env=local.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{installed['metrics_port']}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/readyz", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"reconciler not ready: {log_path.read_text(errors='replace')[-3000:]}")
            time.sleep(0.3)
        for ns in ("acme-prod", "acme-dev", "globex-prod"):
            chart_cluster.wait_for_baseline(ns)
        yield url
    finally:
        proc.terminate()
        proc.wait(20)
        text = log_path.read_text(errors="replace")
        assert "Forbidden" not in text and "HTTP 403" not in text, text[-3000:]


def test_helm_install_created_what_the_chart_renders(chart_cluster: DevCluster, installed: dict[str, Any]) -> None:
    status = helm("status", RELEASE, "--namespace", NS, "-o", "json", *installed["kubeconfig"]).stdout
    assert json.loads(status)["info"]["status"] == "deployed"
    notes = helm("get", "notes", RELEASE, "--namespace", NS, *installed["kubeconfig"]).stdout
    assert f"rollout status deployment/{FULLNAME}-webhook" in notes
    assert f"kube-node-lease, kube-public, kube-system, tenantguard-system, {NS}" in notes  # the exempt namespaces
    assert f"configmap {FULLNAME}-reports" in notes
    assert "kubectl get policyreports -A" in notes
    for kind, name in [
        ("crd", "tenants.tenantguard.io"),
        ("deployment", f"{FULLNAME}-webhook"),
        ("deployment", f"{FULLNAME}-reconciler"),
        ("role", f"{FULLNAME}-reconciler"),
        ("clusterrole", f"{FULLNAME}-reconciler"),
        ("cronjob", f"{FULLNAME}-audit"),
        ("configmap", f"{FULLNAME}-settings"),
        ("secret", f"{FULLNAME}-tls"),
        ("clusterrole", f"{FULLNAME}-webhook"),
        ("clusterrole", f"{FULLNAME}-audit"),
        ("mutatingwebhookconfiguration", FULLNAME),
        ("validatingwebhookconfiguration", FULLNAME),
        ("servicemonitor", f"{FULLNAME}-webhook"),
        ("prometheusrule", FULLNAME),
        ("poddisruptionbudget", f"{FULLNAME}-webhook"),
        ("networkpolicy", FULLNAME),
    ]:
        chart_cluster.kubectl("get", kind, name, "-n", NS)


def test_verdicts_through_the_chart_webhook(
    chart_cluster: DevCluster, chart_webhook: WebhookProcess, chart_reconciler: str
) -> None:
    """tests/e2e/test_verdicts.py's cases: lint, /validate and kube-apiserver (calling the chart's webhook
    configurations) agree on every corpus object and breakage."""
    disagreements = []
    cases = _cases()
    for case in cases:
        (obj,) = case.values
        expected = by_lint(obj, _corpus_cluster())
        got = (by_webhook(obj, chart_webhook), by_apiserver(obj, chart_cluster))
        if got != (expected, expected):
            disagreements.append(f"{case.id}: lint {expected}, webhook {got[0]}, kube-apiserver {got[1]}")
    assert not disagreements, "\n".join(disagreements)
    assert len(cases) > 20


def _corpus_cluster() -> Any:
    from tests.corpus import cluster

    return cluster()


def test_kube_apiserver_calls_the_chart_webhook(
    chart_cluster: DevCluster, chart_webhook: WebhookProcess, chart_reconciler: str
) -> None:
    """A denial in a tenant namespace comes from the chart's configuration, through kube-apiserver."""
    hop = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "prompts", "namespace": "acme-prod", "labels": {"tenantguard.io/tenant": "globex"}},
    }
    proc = chart_cluster.kubectl("apply", "--dry-run=server", "-f", "-", input=json.dumps(hop), check=False)
    assert proc.returncode != 0
    assert 'admission webhook "validate-namespaced.tenantguard.io" denied the request' in proc.stderr
    assert "[TEN004]" in proc.stderr


def _scrape(hook: WebhookProcess) -> str:
    ctx = ssl.create_default_context(cafile=str(hook.cert_dir / "ca.crt"))
    with urllib.request.urlopen(f"{hook.url}/metrics", context=ctx, timeout=10) as resp:
        return str(resp.read().decode())


def _families(page: str) -> tuple[set[str], set[str]]:
    """(series names with samples, names declared by `# HELP`) of a /metrics page."""
    sampled = {line.split("{")[0].split(" ")[0] for line in page.splitlines() if line[:1].isalpha()}
    declared = {line.split()[2] for line in page.splitlines() if line.startswith("# HELP ")}
    return sampled, declared


def _reconciler_page(url: str) -> str:
    with urllib.request.urlopen(f"{url}/metrics", timeout=10) as resp:
        return str(resp.read().decode())


def test_every_metric_the_dashboard_and_alerts_query_is_exported(
    chart_webhook: WebhookProcess, chart_reconciler: str
) -> None:
    ctx = ssl.create_default_context(cafile=str(chart_webhook.cert_dir / "ca.crt"))
    bad = urllib.request.Request(chart_webhook.url + "/validate", data=b"", headers={"content-type": "text/plain"})
    with pytest.raises(urllib.error.HTTPError):  # one refused request, so the bad-requests counter has a sample
        urllib.request.urlopen(bad, context=ctx, timeout=10)
    webhook_sampled, webhook_declared = _families(_scrape(chart_webhook))
    reconciler_sampled, reconciler_declared = _families(_reconciler_page(chart_reconciler))
    exported = webhook_sampled | reconciler_sampled | webhook_declared | reconciler_declared
    missing = queried_metrics() - exported - {"up"}  # `up` is Prometheus's own, per scrape target
    assert not missing, f"queried but not exported: {sorted(missing)}"
    # Counted only when something fails: declared (a family without samples yet), never misnamed.
    assert "tenantguard_reconcile_errors_total" in reconciler_declared


# Grafana's variables, replaced by values Prometheus parses, so promtool can check each dashboard query.
GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$__range": "6h", "$namespace": ".*"}


def test_alerts_and_dashboard_queries_are_valid_promql(tmp_path: Path) -> None:
    """promtool (Prometheus's own parser) checks the alert rules and every dashboard query, as recording rules."""
    rule = next(o for o in template(MATRIX["monitoring"]) if o["kind"] == "PrometheusRule")
    dashboard = json.loads((CHART / "dashboards" / "tenantguard.json").read_text())
    queries = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    for name, value in GRAFANA_VARIABLES.items():
        queries = [q.replace(name, value) for q in queries]
    recording = {
        "name": "dashboard",
        "rules": [{"record": f"dashboard:q{i}", "expr": q} for i, q in enumerate(queries)],
    }
    rules = tmp_path / "rules.yaml"
    rules.write_text(json.dumps({"groups": [*rule["spec"]["groups"], recording]}))
    proc = subprocess.run(["promtool", "check", "rules", str(rules)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    alerts = sum(len(group["rules"]) for group in rule["spec"]["groups"])
    assert f"SUCCESS: {alerts + len(queries)} rules found" in proc.stdout


def _prometheus_query(url: str, expr: str) -> list[dict[str, Any]]:
    body = urllib.parse.urlencode({"query": expr}).encode()
    with urllib.request.urlopen(f"{url}/api/v1/query", data=body, timeout=10) as resp:
        answer = json.loads(resp.read())
    assert answer["status"] == "success", answer
    result: list[dict[str, Any]] = answer["data"]["result"]
    return result


@pytest.fixture
def prometheus(
    chart_cluster: DevCluster, chart_webhook: WebhookProcess, chart_reconciler: str, tmp_path: Path
) -> Iterator[str]:
    """Debian's Prometheus scraping the chart's webhook as its ServiceMonitor says (https, /metrics, the chart's
    CA, the Service's name as TLS server name; job and namespace labels as the Prometheus operator sets them),
    every second, with the chart's PrometheusRule loaded."""
    monitor = chart_cluster.get("servicemonitor", f"{FULLNAME}-webhook", "-n", NS)
    (endpoint,) = monitor["spec"]["endpoints"]
    rule = chart_cluster.get("prometheusrule", FULLNAME, "-n", NS)
    (tmp_path / "rules.yaml").write_text(json.dumps({"groups": rule["spec"]["groups"]}))
    scrape = {
        "job_name": f"{FULLNAME}-webhook",  # the operator names the job after the Service
        "scheme": endpoint["scheme"],
        "metrics_path": endpoint["path"],
        "tls_config": {
            "ca_file": str(chart_webhook.cert_dir / "ca.crt"),
            "server_name": endpoint["tlsConfig"]["serverName"],
        },
        "static_configs": [{"targets": [f"127.0.0.1:{chart_webhook.port}"], "labels": {"namespace": NS}}],
    }
    reconciler = chart_cluster.get("servicemonitor", f"{FULLNAME}-reconciler", "-n", NS)
    (reconciler_endpoint,) = reconciler["spec"]["endpoints"]
    scrape_reconciler = {
        "job_name": f"{FULLNAME}-reconciler",
        "scheme": reconciler_endpoint["scheme"],
        "metrics_path": reconciler_endpoint["path"],
        "static_configs": [{"targets": [chart_reconciler.removeprefix("http://")], "labels": {"namespace": NS}}],
    }
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(tmp_path / "rules.yaml")],
        "scrape_configs": [scrape, scrape_reconciler],
    }
    (tmp_path / "prometheus.yml").write_text(json.dumps(config))
    port = free_port()
    log = (tmp_path / "prometheus.log").open("wb")
    proc = subprocess.Popen(
        [
            "prometheus",
            f"--config.file={tmp_path / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if _prometheus_query(url, 'up{job="' + FULLNAME + '-webhook"} == 1'):
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise AssertionError((tmp_path / "prometheus.log").read_text(errors="replace")[-3000:])
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        proc.wait(20)
        log.close()


def test_prometheus_answers_every_dashboard_query_and_no_alert_fires(
    prometheus: str, chart_webhook: WebhookProcess, chart_reconciler: str
) -> None:
    """Real scrapes of the chart's webhook while it judges requests: each dashboard query returns series, each
    alert rule loads and evaluates, and none fires for a healthy webhook."""
    denied = [case.values[0] for case in _cases() if by_lint(case.values[0], _corpus_cluster())[0]][:4]
    # An autoscaler whose target cannot be read: GPU014 warns (the corpus has no warning case).
    hpa = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "burst", "namespace": "acme-prod"},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "absent"}, "maxReplicas": 9},
    }
    assert denied and by_webhook(hpa, chart_webhook)[1] == {"GPU014"}
    objs = [*denied, hpa]
    ctx = ssl.create_default_context(cafile=str(chart_webhook.cert_dir / "ca.crt"))
    bad = urllib.request.Request(chart_webhook.url + "/validate", data=b"", headers={"content-type": "text/plain"})
    deadline = time.monotonic() + 15  # requests spread over 15 scrapes, so rates and quantiles have data
    while time.monotonic() < deadline:
        for obj in objs:
            by_webhook(obj, chart_webhook)
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(bad, context=ctx, timeout=10)
        time.sleep(0.5)
    dashboard = json.loads((CHART / "dashboards" / "tenantguard.json").read_text())
    variables = {"$__rate_interval": "10s", "$__range": "1m", "$namespace": NS}
    # A query may be empty only when each series it names is declared but has counted nothing (failed writes).
    sampled: set[str] = set()
    declared: set[str] = set()
    for page in (_scrape(chart_webhook), _reconciler_page(chart_reconciler)):
        page_sampled, page_declared = _families(page)
        sampled, declared = sampled | page_sampled, declared | page_declared
    empty = []
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            expr = target["expr"]
            for name, value in variables.items():
                expr = expr.replace(name, value)
            if not _prometheus_query(prometheus, expr):
                names = set(METRIC.findall(expr))
                if not names <= declared or names & sampled:
                    empty.append(f"{panel['title']}: {expr}")
    assert not empty, "dashboard queries without data:\n" + "\n".join(empty)
    with urllib.request.urlopen(f"{prometheus}/api/v1/rules", timeout=10) as resp:
        groups = json.loads(resp.read())["data"]["groups"]
    rules = [r for g in groups for r in g["rules"]]
    assert len(rules) == 9 and all(r["health"] == "ok" for r in rules), rules
    assert [r["name"] for r in rules if r["state"] != "inactive"] == []


_CAN_I_ROW = re.compile(r"^(\S*)\s+\[(.*?)\]\s+\[(.*?)\]\s+\[(.*?)\]\s*$")
# Every authenticated identity's own (system:basic-user): asking what it may do.
_SELF = ("selfsubjectreviews.", "selfsubjectaccessreviews.", "selfsubjectrulesreviews.")


def _can_i(chart_cluster: DevCluster, user: str) -> set[str]:
    """`kubectl auth can-i --list --as=user -n <release namespace>`: "resource [verbs]" rows (cluster-wide and in
    that namespace), without non-resource URLs (discovery, everyone's) and the self-review APIs every identity
    has."""
    out = chart_cluster.kubectl("auth", "can-i", "--list", f"--as={user}", "-n", NS).stdout
    rows = []
    for line in out.splitlines()[1:]:
        m = _CAN_I_ROW.match(line)
        if m is None:
            raise AssertionError(f"unexpected `kubectl auth can-i --list` line: {line!r}")
        resource, names, verbs = m.group(1), m.group(3), m.group(4)
        if resource and not resource.startswith(_SELF):
            rows.append(f"{resource}{'/' + names if names else ''} [{verbs}]")
    return set(rows)


def test_webhook_rbac_is_what_it_needs(chart_cluster: DevCluster, chart_webhook: WebhookProcess) -> None:
    """It synced its cache under its own token (ready); and it may do nothing else."""
    rules = _can_i(chart_cluster, WEBHOOK_SA)
    print("\n".join(sorted(rules)))
    assert rules == {
        "tenants.tenantguard.io [list watch]",
        "namespaces [list watch]",
        "pods [list watch]",
        "nodes [list watch]",  # their GPU product label (metadata only)
        "networkpolicies.networking.k8s.io [list watch]",  # the managed ones (label-selected watch)
        "deviceclasses.resource.k8s.io [list watch]",  # DRA: GPU claims count like device requests
        "resourceclaimtemplates.resource.k8s.io [list watch]",
        "resourceclaims.resource.k8s.io [list watch]",
        # what a scale request or an autoscaler refers to, and the owners a denied controller write's Event names
        "deployments.apps [get]",
        "statefulsets.apps [get]",
        "replicasets.apps [get]",
        "daemonsets.apps [get]",
        "replicationcontrollers [get]",
        "jobs.batch [get]",
        "cronjobs.batch [get]",
        "leaderworkersets.leaderworkerset.x-k8s.io [get]",
        "rayclusters.ray.io [get]",
        "rayservices.ray.io [get]",
        "rayjobs.ray.io [get]",
        "inferenceservices.serving.kserve.io [get]",
        "llminferenceservices.serving.kserve.io [get]",
        "events [create patch]",
    }
    assert "tenantguard_cache_synced 1.0" in _scrape(chart_webhook)


def _condition(tenant: dict[str, Any], kind: str) -> str:
    return next((c["status"] for c in tenant.get("status", {}).get("conditions", []) if c["type"] == kind), "")


def test_the_reconciler_writes_the_generated_objects_under_its_token(
    chart_cluster: DevCluster, chart_reconciler: str
) -> None:
    """Baseline NetworkPolicies, GPU quota, the workload certificate (native mTLS) and PeerAuthentication (istio),
    the Tenants Ready, the Lease held: every write it needs, with only the chart's RBAC."""
    deadline = time.monotonic() + 90
    while True:
        tenants = {t["metadata"]["name"]: t for t in chart_cluster.get("tenants")["items"]}
        if all(_condition(tenants[name], "Ready") == "True" for name in ("acme", "globex")):
            break
        if time.monotonic() > deadline:
            raise AssertionError(json.dumps({n: t.get("status") for n, t in tenants.items()}, indent=1))
        time.sleep(1)
    managed = "tenantguard.io/managed=true"
    for ns in ("acme-prod", "acme-dev", "globex-prod"):
        assert chart_cluster.get("networkpolicies", "-n", ns, "-l", managed)["items"], ns
    assert chart_cluster.get("resourcequotas", "-n", "acme-prod", "-l", managed)["items"]
    assert chart_cluster.get("secret", "tenantguard-workload-cert", "-n", "acme-prod")["type"] == "kubernetes.io/tls"
    assert chart_cluster.get("peerauthentications.security.istio.io", "-n", "globex-prod", "-l", managed)["items"]
    lease = chart_cluster.get("lease", f"{FULLNAME}-reconciler", "-n", NS)
    assert lease["spec"]["holderIdentity"]


def test_reconciler_rbac_is_what_it_needs(chart_cluster: DevCluster, chart_reconciler: str) -> None:
    rules = _can_i(chart_cluster, RECONCILER_SA)
    print("\n".join(sorted(rules)))
    assert rules == {
        "tenants.tenantguard.io [list watch]",
        "tenants.tenantguard.io/status [patch]",
        "namespaces [list watch patch]",
        "pods [list watch]",
        "nodes [list watch]",
        "networkpolicies.networking.k8s.io [list watch create patch delete]",
        "resourcequotas [list watch create patch delete]",
        "secrets [list watch create patch delete]",
        "peerauthentications.security.istio.io [list watch create patch delete]",
        "deviceclasses.resource.k8s.io [list watch]",
        "resourceclaimtemplates.resource.k8s.io [list watch]",
        "resourceclaims.resource.k8s.io [list watch]",
        "customresourcedefinitions.apiextensions.k8s.io/peerauthentications.security.istio.io [get list watch]",
        "events [create]",
        "leases.coordination.k8s.io [create]",
        f"leases.coordination.k8s.io/{FULLNAME}-reconciler [get update]",
    }


def _run_audit(chart_cluster: DevCluster, work: Path) -> list[tuple[LocalContainer, subprocess.CompletedProcess[str]]]:
    pod = _pod(chart_cluster, "cronjob", f"{FULLNAME}-audit")
    runs = []
    # Init containers first, then the main one, as the kubelet runs them; they share the reports volume.
    for i, container in enumerate([*pod.get("initContainers", []), *pod["containers"]]):
        local = local_container(chart_cluster, NS, pod, container, work / "pod")
        proc = subprocess.run(local.argv, env=local.env, capture_output=True, text=True, timeout=300, check=False)
        runs.append((local, proc))
        if i < len(pod.get("initContainers", [])) and proc.returncode != 0:
            break
    return runs


def test_audit_cronjob_writes_reports_and_policy_reports(
    chart_cluster: DevCluster, chart_webhook: WebhookProcess, chart_reconciler: str, tmp_path: Path
) -> None:
    runs = _run_audit(chart_cluster, tmp_path)
    for _, proc in runs:
        assert "not allowed" not in proc.stderr, proc.stderr  # nothing the audit reads is forbidden to it
        assert proc.returncode in (0, 1), proc.stderr  # 1: findings at or above --fail-on (failOn: error)
    assert "ConfigMap tg-system/tg-tenantguard-reports" in runs[0][1].stderr  # the html run (init container)
    assert "policy reports" in runs[-1][1].stderr  # the main one: json and the PolicyReports
    data = chart_cluster.get("configmap", f"{FULLNAME}-reports", "-n", NS)["data"]
    assert json.loads(data["audit.json"])["schemaVersion"].startswith("tenantguard.io/audit/")
    assert data["audit.html"].lstrip().lower().startswith("<!doctype html")
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "audit.html").write_text(data["audit.html"])
    reports_in_cluster = chart_cluster.get("policyreports", "-A")["items"]
    assert {r["metadata"]["namespace"] for r in reports_in_cluster} >= {"acme-prod", "acme-dev", "globex-prod"}

    png, jobs = screenshot(reports / "audit.html", tmp_path)
    assert page_requests(jobs) == []
    assert decode_png(png)[:2] == (WIDTH, HEIGHT)
    if os.environ.get("TENANTGUARD_UPDATE_SCREENSHOTS"):
        SCREENSHOT.parent.mkdir(exist_ok=True)
        SCREENSHOT.write_bytes(png)
    assert decode_png(SCREENSHOT.read_bytes())[:2] == (WIDTH, HEIGHT), "run with TENANTGUARD_UPDATE_SCREENSHOTS=1"


def test_audit_rbac_is_what_it_needs(chart_cluster: DevCluster) -> None:
    rules = _can_i(chart_cluster, AUDIT_SA)
    print("\n".join(sorted(rules)))
    writes = {r for r in rules if not r.endswith("[list]")}
    assert writes == {
        "policyreports.wgpolicyk8s.io [create patch]",
        "clusterpolicyreports.wgpolicyk8s.io [create patch]",
        f"configmaps/{FULLNAME}-reports [patch]",
    }
    for verb, resource in [("get", "secrets"), ("create", "pods"), ("delete", "policyreports.wgpolicyk8s.io")]:
        assert (
            chart_cluster.kubectl("auth", "can-i", verb, resource, f"--as={AUDIT_SA}", check=False).stdout.strip()
            == "no"
        )


def test_upgrade_keeps_the_ca_and_renews_the_serving_certificate(
    chart_cluster: DevCluster, installed: dict[str, Any]
) -> None:
    before = chart_cluster.get("secret", f"{FULLNAME}-tls", "-n", NS)["data"]
    helm("upgrade", RELEASE, str(CHART), "--namespace", NS, *installed["kubeconfig"], *set_args(installed["values"]))
    after = chart_cluster.get("secret", f"{FULLNAME}-tls", "-n", NS)["data"]
    assert after["ca.crt"] == before["ca.crt"] and after["ca.key"] == before["ca.key"]
    assert after["tls.crt"] != before["tls.crt"]
    hooks = chart_cluster.get("validatingwebhookconfiguration", FULLNAME)["webhooks"]
    assert {h["clientConfig"]["caBundle"] for h in hooks} == {after["ca.crt"]}
