"""The Helm chart, rendered by the real helm (scripts/build-helm.sh): lint, a matrix of options, the schema's
refusals, and one source with the Python code (webhook configurations, settings, RBAC rules).

What the API server makes of the rendered objects, and the chart installed and running, is tested in
tests/e2e/test_chart_install.py.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tenantguard.chart import WEBHOOKS_TEMPLATE, generated
from tenantguard.policies.settings import settings_from_yaml
from tenantguard.webhook.configuration import configurations
from tests.support.helm import CHART, MATRIX, find, helm, queried_metrics, set_args, template

NS = "tenantguard-system"
RELEASE = "tg"
FULLNAME = "tg-tenantguard"


def render(values: dict[str, Any]) -> list[dict[str, Any]]:
    return template(values, release=RELEASE, namespace=NS)


@pytest.mark.parametrize(("path", "text"), [pytest.param(p, t, id=p.name) for p, t in generated(CHART).items()])
def test_generated_chart_files_are_current(path: Path, text: str) -> None:
    assert path.read_text() == text, f"{path} is stale: run `make docs`"


@pytest.mark.parametrize("major", [4, 3], ids=["helm4", "helm3"])
@pytest.mark.parametrize("name", MATRIX)
def test_helm_lint_passes(name: str, major: int) -> None:
    proc = helm("lint", str(CHART), "--strict", "--namespace", NS, *set_args(MATRIX[name]), major=major)
    assert "0 chart(s) failed" in proc.stdout, proc.stdout


def _without_generated_keys(objs: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """The objects by kind and name (helm 3 and 4 order them differently), with what each render generates anew
    (keys and certificates) left out."""
    text = yaml.safe_dump_all(objs, sort_keys=True)
    text = re.sub(r"(tls\.crt|tls\.key|ca\.crt|ca\.key|caBundle): .*", r"\1: <generated>", text)
    return {(o["kind"], o["metadata"]["name"]): o for o in yaml.safe_load_all(text)}


@pytest.mark.parametrize("name", MATRIX)
def test_helm_3_renders_what_helm_4_renders(name: str) -> None:
    helm4 = _without_generated_keys(template(MATRIX[name], release=RELEASE, namespace=NS))
    helm3 = _without_generated_keys(template(MATRIX[name], release=RELEASE, namespace=NS, major=3))
    assert helm3 == helm4


def _kinds(objs: list[dict[str, Any]]) -> set[str]:
    return {o["kind"] for o in objs}


def test_default_values_render_the_webhook_and_nothing_optional() -> None:
    objs = render({})
    assert _kinds(objs) == {
        "CustomResourceDefinition",
        "ServiceAccount",
        "ClusterRole",
        "ClusterRoleBinding",
        "Role",
        "RoleBinding",
        "ConfigMap",
        "Secret",
        "Service",
        "Deployment",
        "PodDisruptionBudget",
        "NetworkPolicy",
        "MutatingWebhookConfiguration",
        "ValidatingWebhookConfiguration",
    }
    deploy = find(objs, "Deployment", f"{FULLNAME}-webhook")
    assert deploy["spec"]["replicas"] == 2
    assert find(objs, "Deployment", f"{FULLNAME}-reconciler")["spec"]["replicas"] == 2
    pod = deploy["spec"]["template"]["spec"]
    assert pod["priorityClassName"] == "system-cluster-critical"
    assert [c["topologyKey"] for c in pod["topologySpreadConstraints"]] == [
        "kubernetes.io/hostname",
        "topology.kubernetes.io/zone",
    ]
    (container,) = pod["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["resources"]["limits"]["memory"] == "512Mi"
    # The CA's key stays in the Secret (for the next upgrade) but is never mounted into a pod.
    tls = next(v for v in pod["volumes"] if v["name"] == "tls")
    assert [i["key"] for i in tls["secret"]["items"]] == ["tls.crt", "tls.key", "ca.crt"]


@pytest.mark.parametrize(
    ("name", "present", "absent"),
    [
        ("cert-manager", {"Certificate", "Issuer"}, {"Secret"}),
        ("monitoring", {"ServiceMonitor", "PrometheusRule"}, set()),
        ("audit", {"CronJob", "PersistentVolumeClaim"}, set()),
        ("audit-emptydir-markdown", {"CronJob"}, {"PersistentVolumeClaim"}),
        ("audit-configmap", {"CronJob", "Role", "RoleBinding", "ConfigMap/reports"}, {"PersistentVolumeClaim"}),
        ("everything-off", set(), {"NetworkPolicy", "PodDisruptionBudget", "ConfigMap/dashboard"}),
    ],
)
def test_options_add_and_remove_objects(name: str, present: set[str], absent: set[str]) -> None:
    objs = render(MATRIX[name])
    for what in present:
        kind, _, suffix = what.partition("/")
        assert [o for o in objs if o["kind"] == kind and o["metadata"]["name"].endswith(suffix)], what
    for what in absent:
        kind, _, suffix = what.partition("/")
        assert not [o for o in objs if o["kind"] == kind and o["metadata"]["name"].endswith(suffix)], what


def test_one_replica_gets_no_disruption_budget_that_would_block_drains() -> None:
    assert "PodDisruptionBudget" not in _kinds(render({"webhook": {"replicas": 1}}))
    assert "PodDisruptionBudget" in _kinds(render({"webhook": {"replicas": 3}}))


def _ca_bundle(objs: list[dict[str, Any]]) -> bytes:
    secret = find(objs, "Secret", f"{FULLNAME}-tls")
    return base64.b64decode(secret["data"]["ca.crt"])


@pytest.mark.parametrize(
    ("values", "url"),
    [
        pytest.param({}, None, id="default"),
        pytest.param(MATRIX["exempt-namespaces"], None, id="exempt-namespaces"),
        pytest.param(
            {
                "webhook": {
                    "url": "https://127.0.0.1:9443/",
                    "matchConditions": [{"name": "not-ci", "expression": "request.userInfo.username != 'ci'"}],
                },
                "settings": {"exemptNamespaces": []},
            },
            "https://127.0.0.1:9443/",
            id="url-and-match-conditions",
        ),
        pytest.param(
            {"settings": {"tenantLabel": "example.com/team", "mtls": {"containerName": "mesh-proxy"}}},
            None,
            id="tenant-label-and-sidecar-name",  # both appear inside the mutate skip's CEL
        ),
    ],
)
def test_webhook_configurations_are_what_certs_webhook_config_writes(values: dict[str, Any], url: str | None) -> None:
    objs = render(values)
    settings = settings_from_yaml(find(objs, "ConfigMap", f"{FULLNAME}-settings")["data"]["settings.yaml"], "chart")
    webhook = values.get("webhook", {})
    expected = configurations(
        settings,
        ca_bundle=_ca_bundle(objs),
        url=url,
        service=None if url else (NS, f"{FULLNAME}-webhook", 443),
        timeout=webhook.get("timeoutSeconds", 5),
        failure_policy=webhook.get("failurePolicy", "Fail"),
        match_conditions=webhook.get("matchConditions"),
        name=FULLNAME,
    )
    for want in expected:
        got = find(objs, want["kind"])
        assert got["metadata"]["name"] == want["metadata"]["name"]
        assert got["metadata"]["labels"]["app.kubernetes.io/name"] == "tenantguard"
        assert got["webhooks"] == want["webhooks"]


def test_the_release_namespace_is_exempt_and_the_webhook_namespace() -> None:
    objs = template({"settings": {"exemptNamespaces": ["kube-system"]}}, release=RELEASE, namespace="platform-policy")
    settings = yaml.safe_load(find(objs, "ConfigMap", "tg-tenantguard-settings")["data"]["settings.yaml"])
    assert settings["webhookNamespace"] == "platform-policy"
    validating = find(objs, "ValidatingWebhookConfiguration")
    for hook in validating["webhooks"]:
        exempt = next(e for e in hook["namespaceSelector"]["matchExpressions"] if e["operator"] == "NotIn")
        assert exempt["values"] == ["kube-system", "platform-policy"]


@pytest.mark.parametrize(
    ("reconciler", "writer"),
    [
        pytest.param({}, "tg-tenantguard-reconciler", id="own-deployment"),
        pytest.param({"mode": "webhook"}, "tg-tenantguard-webhook", id="in-the-webhook"),
        pytest.param({"enabled": False}, None, id="off"),
    ],
)
def test_the_reconcilers_service_account_is_the_platform_user(reconciler: dict[str, Any], writer: str | None) -> None:
    """The identity that writes managed objects (TEN005/NET001 let it), in whatever namespace; no other."""
    objs = template({"reconciler": reconciler}, release=RELEASE, namespace="platform-policy")
    settings = settings_from_yaml(find(objs, "ConfigMap", "tg-tenantguard-settings")["data"]["settings.yaml"], "chart")
    ours = {u for u in settings.platform_users if u.startswith("system:serviceaccount:platform-policy:")}
    assert ours == ({f"system:serviceaccount:platform-policy:{writer}"} if writer else set())
    assert "system:kube-controller-manager" in settings.platform_users


def test_the_reconciler_in_the_webhook_pods_gets_its_powers_there() -> None:
    objs = render(MATRIX["reconciler-in-webhook"])
    assert [o["metadata"]["name"] for o in objs if o["kind"] == "Deployment"] == [f"{FULLNAME}-webhook"]
    (container,) = find(objs, "Deployment")["spec"]["template"]["spec"]["containers"]
    assert container["args"][-4:] == [
        "--reconcile",
        f"--lease-namespace={NS}",
        f"--lease-name={FULLNAME}-reconciler",
        "--resync=300",
    ]
    for kind in ("ClusterRoleBinding", "RoleBinding"):
        binding = find(objs, kind, f"{FULLNAME}-reconciler")
        assert binding["subjects"] == [{"kind": "ServiceAccount", "name": f"{FULLNAME}-webhook", "namespace": NS}]


def test_the_reconciler_deployment_runs_the_controller() -> None:
    objs = render({})
    pod = find(objs, "Deployment", f"{FULLNAME}-reconciler")["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["args"][0] == "controller" and f"--lease-name={FULLNAME}-reconciler" in container["args"]
    assert pod["serviceAccountName"] == f"{FULLNAME}-reconciler"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert (
        "--reconcile"
        not in find(objs, "Deployment", f"{FULLNAME}-webhook")["spec"]["template"]["spec"]["containers"][0]["args"]
    )
    assert "Deployment" not in {
        o["kind"] for o in render(MATRIX["reconciler-off"]) if "reconciler" in o["metadata"]["name"]
    }


def test_cert_manager_injects_the_ca_instead_of_a_bundle() -> None:
    objs = render(MATRIX["cert-manager"])
    cert = find(objs, "Certificate", f"{FULLNAME}-tls")
    assert cert["spec"]["dnsNames"][-2:] == [
        f"{FULLNAME}-webhook.{NS}.svc",
        f"{FULLNAME}-webhook.{NS}.svc.cluster.local",
    ]
    for kind in ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"):
        config = find(objs, kind)
        assert config["metadata"]["annotations"]["cert-manager.io/inject-ca-from"] == f"{NS}/{FULLNAME}-tls"
        assert all("caBundle" not in hook["clientConfig"] for hook in config["webhooks"])


def test_generated_certificates_name_the_service() -> None:
    from cryptography import x509

    objs = render({})
    secret = find(objs, "Secret", f"{FULLNAME}-tls")
    cert = x509.load_pem_x509_certificate(base64.b64decode(secret["data"]["tls.crt"]))
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
    assert f"{FULLNAME}-webhook.{NS}.svc" in names
    ca = x509.load_pem_x509_certificate(_ca_bundle(objs))
    assert cert.issuer == ca.subject


@pytest.mark.parametrize(
    ("values", "message"),
    [
        pytest.param({"webhook": {"replicas": -1}}, "/webhook/replicas", id="replicas"),
        pytest.param({"webhook": {"failurePolicy": "Never"}}, "/webhook/failurePolicy", id="failure-policy"),
        pytest.param({"settings": {"exemptNamespaces": "kube-system"}}, "/settings/exemptNamespaces", id="exempt"),
        pytest.param({"settings": {"enforcement": {"gpu": "deny"}}}, "/settings/enforcement/gpu", id="mode"),
        pytest.param({"settings": {"webhookNamespace": "x"}}, "webhookNamespace", id="chart-decides"),
        pytest.param({"audit": {"formats": ["pdf"]}}, "/audit/formats/0", id="audit-format"),
        pytest.param({"webhook": {"timeoutSeconds": 31}}, "/webhook/timeoutSeconds", id="timeout"),
        pytest.param({"webhook": {"replica": 3}}, "replica", id="unknown-key"),
    ],
)
def test_wrong_values_are_refused_with_the_schema_message(values: dict[str, Any], message: str) -> None:
    proc = helm("template", RELEASE, str(CHART), "--namespace", NS, *set_args(values), check=False)
    assert proc.returncode != 0
    assert "values don't meet the specifications of the schema" in proc.stderr, proc.stderr
    assert message in proc.stderr, proc.stderr


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        pytest.param({"ruleModes": {"PSS02": "warn"}}, 'settings.ruleModes.PSS02: unknown rule "PSS02"', id="mode"),
        pytest.param(
            {
                "exceptions": [
                    {"rule": "GPU003", "reason": "r", "until": "2030-01-01"},
                    {"rule": "gpu3", "reason": "r", "until": "2030-01-01"},
                ]
            },
            'settings.exceptions[1].rule: unknown rule "gpu3"',
            id="exception",
        ),
    ],
)
def test_unknown_rule_ids_are_refused_as_the_webhook_would(settings: dict[str, Any], message: str) -> None:
    proc = helm("template", RELEASE, str(CHART), *set_args({"settings": settings}), check=False)
    assert proc.returncode != 0
    assert message in proc.stderr and "rule IDs are TEN, GPU" in proc.stderr, proc.stderr


def test_known_rule_ids_and_wildcard_exceptions_pass() -> None:
    settings = {
        "ruleModes": {"GPU014": "enforce"},
        "exceptions": [{"rule": "*", "namespace": "acme-dev", "reason": "r", "until": "2030-01-01"}],
    }
    rendered = find(render({"settings": settings}), "ConfigMap", f"{FULLNAME}-settings")["data"]["settings.yaml"]
    assert settings_from_yaml(rendered, "chart").rule_modes


def test_the_schema_message_for_replicas_reads_well() -> None:
    proc = helm("template", RELEASE, str(CHART), *set_args({"webhook": {"replicas": -1}}), check=False)
    assert re.search(r"/webhook/replicas.*minimum", proc.stderr.replace("\n", " ")), proc.stderr


def test_audit_cronjob_runs_one_audit_per_format_the_first_writes_policy_reports() -> None:
    objs = render(MATRIX["audit"])
    cron = find(objs, "CronJob")
    pod = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    (main,) = pod["containers"]
    (init,) = pod["initContainers"]
    assert main["args"] == [
        "audit",
        "--config=/etc/tenantguard/config/settings.yaml",
        "--format=json",
        "--output=/reports/audit.json",
        "--window=24h",
        "--prometheus-url=http://prometheus.monitoring:9090",
        "--write-policy-reports",
        "--fail-on=error",
    ]
    assert "--format=html" in init["args"] and "--write-policy-reports" not in init["args"]
    assert pod["serviceAccountName"] == f"{FULLNAME}-audit"


def test_every_pod_runs_restricted_with_a_read_only_root() -> None:
    objs = render(MATRIX["audit"])
    specs = [o["spec"]["template"]["spec"] for o in objs if o["kind"] == "Deployment"]
    assert len(specs) == 2
    specs.append(find(objs, "CronJob")["spec"]["jobTemplate"]["spec"]["template"]["spec"])
    for spec in specs:
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["automountServiceAccountToken"] is False
        for c in spec["containers"] + spec.get("initContainers", []):
            sc = c["securityContext"]
            assert sc["readOnlyRootFilesystem"] is True
            assert sc["allowPrivilegeEscalation"] is False
            assert sc["capabilities"]["drop"] == ["ALL"]


def test_the_dashboard_and_alerts_query_tenantguard_series() -> None:
    names = queried_metrics()
    assert {
        "tenantguard_admission_violations_total",
        "tenantguard_tenant_gpu_equivalents",
        "tenantguard_reconciler_leader",
        "up",
    } <= names


def test_webhook_template_is_generated_from_configuration_py() -> None:
    text = (CHART / WEBHOOKS_TEMPLATE).read_text()
    assert text.startswith("{{- /* Generated from webhook/configuration.py")
