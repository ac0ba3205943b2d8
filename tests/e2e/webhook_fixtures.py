"""Tenants, serving CRDs, tenant RBAC and the running webhook, shared by the admission tests (module scope)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import webhook_runner
from tests.support.devcluster import DevCluster, wait_for
from tests.support.reconciler_runner import ControllerProcess
from tests.support.webhook_runner import WebhookProcess

# The webhook's settings file in the admission tests; lint and the audit are given the same (test_attack_corpus).
SETTINGS_YAML = "ruleModes: {SRV006: warn}\n"


def seed_platform(cluster: DevCluster) -> None:
    def wait_namespace(ns: str) -> None:
        wait_for(
            lambda: cluster.kubectl("get", "sa", "default", "-n", ns, check=False).returncode == 0,
            what=f"ServiceAccount {ns}/default",
        )

    webhook_runner.seed_platform(cluster.kubectl, wait_namespace)


@pytest.fixture(scope="session")
def platform_settings(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The platform's one settings file, as the chart mounts one ConfigMap into the webhook and the reconciler:
    both read it and reload it when a test changes it (an exception, a mode)."""
    path = tmp_path_factory.mktemp("platform") / "settings.yaml"
    # Every rule keeps its default mode, so kube-apiserver's verdicts are lint's (test_verdicts) and the
    # cross-tenant routes are denied (test_cross_tenant_references).
    path.write_text(SETTINGS_YAML)
    return path


@pytest.fixture(scope="session")
def reconciler(
    dev_cluster: DevCluster, platform_settings: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ControllerProcess]:
    """The platform's reconciler (`tenantguard controller`), for the whole run: every tenant namespace has its
    baseline NetworkPolicies, quotas and certificates, as on a real platform. Tests that take the Lease over stop
    it and start it again (`test_reconciler_leader.py`)."""
    seed_platform(dev_cluster)
    proc = ControllerProcess(
        kubeconfig=dev_cluster.kubeconfig,
        work_dir=tmp_path_factory.mktemp("reconciler"),
        identity="e2e-shared",
        config=platform_settings,
    )
    proc.start()
    try:
        for ns in ("acme-prod", "acme-dev", "globex-prod"):
            dev_cluster.wait_for_baseline(ns)
        yield proc
    finally:
        proc.stop()


@pytest.fixture(scope="module")
def reconciler_paused(reconciler: ControllerProcess) -> Iterator[ControllerProcess]:
    """For a module about what exists without the platform's objects (objects admitted before the policy): the
    reconciler stops, releasing its Lease, and starts again after the module."""
    reconciler.stop()
    try:
        yield reconciler
    finally:
        reconciler.start()


@pytest.fixture(scope="session")
def webhook(
    dev_cluster: DevCluster,
    reconciler: ControllerProcess,
    platform_settings: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[WebhookProcess]:
    work = tmp_path_factory.mktemp("webhook")
    hook = WebhookProcess(kubeconfig=dev_cluster.kubeconfig, work_dir=work, config=platform_settings)
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
