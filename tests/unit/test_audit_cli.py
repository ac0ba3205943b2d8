"""`tenantguard audit` exit codes and outputs over snapshots; unusable input and unreachable clusters exit 2."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
import yaml

from tenantguard.cli import main
from tenantguard.policies.generated.netpols import network_policies
from tenantguard.policies.settings import DEFAULT_SETTINGS
from tenantguard.policies.tenancy import parse_tenant
from tests.support.fixtures import ACME_SPEC, GLOBEX_SPEC, pod, tenant_object

NOW = "2026-11-27T12:00:00Z"
LABEL = "tenantguard.io/tenant"


def _namespace(name: str, tenant: str) -> dict[str, object]:
    labels = {  # as admitted through the webhook (PSS020-M)
        LABEL: tenant,
        "pod-security.kubernetes.io/enforce": "restricted" if tenant == "acme" else "baseline",
        "pod-security.kubernetes.io/enforce-version": "latest",
    }
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def _baseline(namespace: str) -> list[dict[str, object]]:
    """What the reconciler writes: the default deny and the rest of the baseline (ISO009 finds nothing)."""
    return network_policies(parse_tenant(tenant_object("acme", ACME_SPEC)), namespace, DEFAULT_SETTINGS)


def _snapshot(tmp_path: Path, *, bad_pod: bool, tenants_inside: bool = True, default_deny: bool = True) -> Path:
    snap = tmp_path / "snap"
    snap.mkdir()
    items = [_namespace("acme-prod", "acme"), pod("acme-prod", "ok")]
    if default_deny:
        items.extend(_baseline("acme-prod"))
    if bad_pod:
        items.append(pod("acme-prod", "root", hostNetwork=True))
    (snap / "all.yaml").write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": items}))
    if tenants_inside:
        (snap / "tenants.json").write_bytes(orjson.dumps(tenant_object("acme", ACME_SPEC)))
    return snap


def _audit(*args: str) -> int:
    return main(["audit", "--now", NOW, *args])


def test_clean_snapshot_exits_0_with_a_json_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    snap = _snapshot(tmp_path, bad_pod=False)
    assert _audit("--snapshot", str(snap), "--fail-on", "error") == 0
    doc = orjson.loads(capsys.readouterr().out)
    assert doc["schemaVersion"] == "tenantguard.io/audit/v4"
    assert doc["source"] == {"type": "snapshot", "path": str(snap)}
    assert doc["summary"]["objects"] == 8 and doc["summary"]["violations"] == 0
    assert doc["summary"]["findings"] == 0


def test_violations_exit_1_only_at_or_above_fail_on(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    snap = _snapshot(tmp_path, bad_pod=True)
    assert _audit("--snapshot", str(snap)) == 0  # no --fail-on: a report, not a gate
    assert _audit("--snapshot", str(snap), "--fail-on", "error") == 1
    assert _audit("--snapshot", str(snap), "--fail-on", "info") == 1
    assert "PSS002" in capsys.readouterr().out


def test_markdown_to_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    snap = _snapshot(tmp_path, bad_pod=True)
    out = tmp_path / "report.md"
    assert _audit("--snapshot", str(snap), "--format", "markdown", "--output", str(out)) == 0
    assert capsys.readouterr().out == ""
    assert out.read_text().startswith("# tenantguard audit")


def test_tenants_from_another_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    snap = _snapshot(tmp_path, bad_pod=True, tenants_inside=False)
    assert _audit("--snapshot", str(snap)) == 0
    alone = orjson.loads(capsys.readouterr().out)  # no Tenant: only the namespace's dangling label is wrong
    assert {v["rule"] for v in alone["isolation"]["violations"]} == {"TEN001"}
    tenants = tmp_path / "tenants.yaml"
    tenants.write_text(yaml.safe_dump(tenant_object("acme", ACME_SPEC)))
    assert _audit("--snapshot", str(snap), "--tenants", str(tenants)) == 0
    doc = orjson.loads(capsys.readouterr().out)
    assert doc["tenants"] == ["acme"]
    assert {v["rule"] for v in doc["isolation"]["violations"]} == {"PSS002"}


def test_unusable_files_exit_2_and_the_rest_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    snap = _snapshot(tmp_path, bad_pod=False)
    (snap / "broken.yaml").write_text("kind: Pod\nmetadata: {name: [\n")
    assert _audit("--snapshot", str(snap)) == 2
    captured = capsys.readouterr()
    assert orjson.loads(captured.out)["summary"]["objects"] == 8
    assert "broken.yaml" in captured.err and "invalid YAML" in captured.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--snapshot", "/nonexistent/snap"], "no such file", id="missing-snapshot"),
        pytest.param(["--snapshot", ".", "--window", "soon"], "--window", id="bad-window"),
        pytest.param(["--snapshot", ".", "--write-policy-reports"], "needs a live cluster", id="reports-from-snapshot"),
        pytest.param(
            ["--kubeconfig", "/nonexistent/kubeconfig"], "cannot load Kubernetes configuration", id="missing-kubeconfig"
        ),
    ],
)
def test_unusable_input_exits_2(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert _audit(*args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_bad_settings_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "settings.yaml"
    config.write_text("tenantLabel: 3\n")
    assert _audit("--snapshot", str(tmp_path), "--config", str(config)) == 2
    assert "tenantLabel" in capsys.readouterr().err


def test_unreachable_cluster_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "c",
                "clusters": [
                    {"name": "c", "cluster": {"server": "https://127.0.0.1:1", "insecure-skip-tls-verify": True}}
                ],
                "users": [{"name": "u", "user": {"token": "t"}}],
                "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
            }
        )
    )
    assert _audit("--kubeconfig", str(kubeconfig)) == 2
    err = capsys.readouterr().err
    assert "cannot reach the API server at https://127.0.0.1:1" in err and "Traceback" not in err


def test_an_unreachable_prometheus_exits_2_and_writes_no_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    snap = _snapshot(tmp_path, bad_pod=False)
    out = tmp_path / "report.json"
    assert _audit("--snapshot", str(snap), "--prometheus-url", "http://127.0.0.1:1", "-o", str(out)) == 2
    captured = capsys.readouterr()
    assert "tenantguard audit: Prometheus: http://127.0.0.1:1/api/v1/label/__name__/values: unreachable" in captured.err
    assert "no report written" in captured.err and "Traceback" not in captured.err
    assert captured.out == "" and not out.exists(), "never a report whose GPU-hours silently fell back"


def test_without_prometheus_the_report_says_its_gpu_hours_are_a_lower_bound(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    snap = _snapshot(tmp_path, bad_pod=False)
    assert _audit("--snapshot", str(snap)) == 0
    usage = orjson.loads(capsys.readouterr().out)["usage"]
    assert usage["gpuHours"]["source"] == "pods" and usage["gpuHours"]["lowerBound"] is True
    assert any("lower bound" in note and "deleted" in note for note in usage["notes"])
    assert _audit("--snapshot", str(snap), "--format", "markdown") == 0
    assert "GPU-hours are a lower bound" in capsys.readouterr().out


def test_open_isolation_fails_the_gate_and_says_why(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The gates issue: no rule violation at all, yet both tenants reach each other and no pod is isolated.
    snap = tmp_path / "snap"
    snap.mkdir()
    items = [
        tenant_object("acme", ACME_SPEC),
        tenant_object("globex", GLOBEX_SPEC),
        _namespace("acme-prod", "acme"),
        _namespace("globex-prod", "globex"),
        pod("acme-prod", "vllm"),
        pod("globex-prod", "api", labels={LABEL: "globex"}),
    ]
    (snap / "all.yaml").write_text(yaml.safe_dump_all(items))
    assert _audit("--snapshot", str(snap)) == 0  # no --fail-on: a report, not a gate
    doc = orjson.loads(capsys.readouterr().out)
    assert doc["summary"]["violations"] == 0 and doc["summary"]["crossTenantPaths"] == 2
    assert doc["summary"]["findingsByRule"] == {"ISO001": 2, "ISO004": 2, "ISO007": 2, "ISO009": 2}
    assert _audit("--snapshot", str(snap), "--fail-on", "warning") == 1
    err = capsys.readouterr().err
    assert "tenantguard audit: 8 findings at or above warning (2 ISO001, 2 ISO004, 2 ISO007, 2 ISO009)" in err
    assert _audit("--snapshot", str(snap), "--fail-on", "error", "--output", str(tmp_path / "r.json")) == 1
    assert "tenantguard audit: 4 findings at or above error (2 ISO001, 2 ISO004)" in capsys.readouterr().err


def test_rule_violations_and_findings_are_counted_together(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    snap = _snapshot(tmp_path, bad_pod=True, default_deny=False)
    assert _audit("--snapshot", str(snap), "--fail-on", "error", "--output", str(tmp_path / "r.json")) == 1
    err = capsys.readouterr().err
    # ok: no default deny (ISO004); root is hostNetwork: no NetworkPolicy can cover it (ISO011, not ISO004), and
    # it listens on its node's addresses, outside the gateway (ISO010)
    assert "tenantguard audit: 4 findings at or above error (1 ISO004, 1 ISO010, 1 ISO011, 1 PSS002)" in err
