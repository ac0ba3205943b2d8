"""Tenants, serving CRDs, tenant RBAC and the running webhook, shared by the admission tests (module scope)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tenantguard.devcluster.testing import DevCluster, wait_for
from tenantguard.docs_cli import render
from tenantguard.webhook_runner import WebhookProcess

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).parent


def seed_platform(cluster: DevCluster) -> None:
    """CRDs, the example tenants and their namespaces, alice's RBAC — idempotent."""
    cluster.kubectl("apply", "-f", "-", input=render("crd"))
    cluster.kubectl("apply", "-f", str(HERE / "manifests" / "serving-crds.yaml"))
    for crd in (
        "tenants.tenantguard.io",
        "inferenceservices.serving.kserve.io",
        "leaderworkersets.leaderworkerset.x-k8s.io",
        "rayservices.ray.io",
    ):
        cluster.kubectl("wait", "--for=condition=Established", f"crd/{crd}", "--timeout=60s")
    cluster.kubectl("apply", "-f", str(ROOT / "examples" / "tenants" / "tenants.yaml"))
    for ns in ("acme-prod", "acme-dev", "globex-prod"):
        wait_for(
            lambda ns=ns: cluster.kubectl("get", "sa", "default", "-n", ns, check=False).returncode == 0,
            what=f"ServiceAccount {ns}/default",
        )
    cluster.kubectl("apply", "-f", str(HERE / "manifests" / "tenant-rbac.yaml"))


@pytest.fixture(scope="session")
def webhook(dev_cluster: DevCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebhookProcess]:
    seed_platform(dev_cluster)
    work = tmp_path_factory.mktemp("webhook")
    config = work / "settings.yaml"
    config.write_text("ruleModes: {SRV005: warn}\n")
    hook = WebhookProcess(kubeconfig=dev_cluster.kubeconfig, work_dir=work, config=config)
    hook.start()
    dev_cluster.kubectl("apply", "-f", "-", input=hook.configurations_yaml())
    try:
        yield hook
    finally:
        dev_cluster.kubectl(
            "delete",
            "mutatingwebhookconfiguration,validatingwebhookconfiguration",
            "tenantguard",
            "--ignore-not-found",
            check=False,
        )
        hook.stop()
