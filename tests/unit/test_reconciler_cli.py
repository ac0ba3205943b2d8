"""`tenantguard controller` and `serve --reconcile`: unusable input exits 2 with a message, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tenantguard.cli import main

KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:9"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
"""


def test_lease_timings_that_leave_no_room_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(KUBECONFIG)
    code = main(["controller", "--kubeconfig", str(kubeconfig), "--lease-duration", "5", "--renew-deadline", "10"])
    assert code == 2
    err = capsys.readouterr().err
    assert err == "tenantguard controller: need lease duration > renew deadline > retry period > 0\n"


def test_an_unreadable_kubeconfig_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["controller", "--kubeconfig", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err
    assert "cannot load Kubernetes configuration" in err and "Traceback" not in err


def test_bad_settings_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "settings.yaml"
    config.write_text("clusterDns: {namespace: 7}\n")
    assert main(["controller", "--config", str(config), "--kubeconfig", str(tmp_path / "missing")]) == 2
    assert "clusterDns.namespace" in capsys.readouterr().err


def test_serve_reconcile_needs_cluster_mode(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tenants = tmp_path / "tenants.yaml"
    tenants.write_text(
        "apiVersion: tenantguard.io/v1alpha1\nkind: Tenant\nmetadata: {name: t}\nspec: {namespaces: [t]}\n"
    )
    code = main(["serve", "--tenants", str(tenants), "--reconcile", "--cert-dir", str(tmp_path / "tls")])
    assert code == 2
    assert "--reconcile needs cluster mode" in capsys.readouterr().err
