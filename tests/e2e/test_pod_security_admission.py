"""Defence in depth: tenant namespaces carry kube-apiserver's own Pod Security labels (PSS020-M), so with the
webhook's configurations removed the built-in PodSecurity admission still refuses a privileged pod there.

Acts as the cluster admin throughout. The tenant `initech` (namespace initech-a, restricted, pinned to v1.33)
is this module's own; `psa-control` is a namespace of no tenant, where the same pod is admitted.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.devcluster import DevCluster, wait_for
from tests.support.webhook_runner import WebhookProcess

pytestmark = pytest.mark.e2e

NS, CONTROL = "initech-a", "psa-control"
PSA = "pod-security.kubernetes.io/"


def privileged_pod(ns: str) -> dict[str, Any]:
    container = {"name": "app", "image": "registry.acme.example/app:1", "securityContext": {"privileged": True}}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "root", "namespace": ns},
        "spec": {"containers": [container]},
    }


@pytest.fixture(scope="module")
def tenant_namespace(dev_cluster: DevCluster, webhook: WebhookProcess) -> Iterator[str]:
    c = dev_cluster
    tenant = {
        "apiVersion": "tenantguard.io/v1alpha1",
        "kind": "Tenant",
        "metadata": {"name": "initech"},
        "spec": {
            "namespaces": [NS],
            "podSecurity": "restricted",
            "podSecurityVersion": "v1.33",
            "mtls": {"mode": "none"},
        },
    }
    c.apply(tenant)

    def mutated_labels() -> dict[str, str] | None:  # once the webhook's cache has the Tenant
        proc = c.kubectl("create", "namespace", NS, "--dry-run=server", "-o", "json", check=False)
        labels: dict[str, str] = json.loads(proc.stdout)["metadata"].get("labels", {}) if proc.returncode == 0 else {}
        return labels if PSA + "enforce" in labels else None

    wait_for(mutated_labels, what="the webhook labelling initech's namespace")
    c.create_namespace(NS)
    c.create_namespace(CONTROL)
    try:
        yield NS
    finally:
        c.kubectl("delete", "namespace", NS, CONTROL, "--wait=false", "--ignore-not-found", check=False)
        c.kubectl("delete", "tenant", "initech", "--ignore-not-found", check=False)


def test_a_tenant_namespace_gets_the_pod_security_labels(dev_cluster: DevCluster, tenant_namespace: str) -> None:
    labels = dev_cluster.get("namespace", tenant_namespace)["metadata"]["labels"]
    assert labels["tenantguard.io/tenant"] == "initech"
    assert labels[PSA + "enforce"] == "restricted"
    assert labels[PSA + "enforce-version"] == "v1.33"


def test_without_the_webhook_pod_security_admission_still_refuses_a_privileged_pod(
    dev_cluster: DevCluster, webhook: WebhookProcess, tenant_namespace: str
) -> None:
    c = dev_cluster

    def create(ns: str) -> tuple[int, str]:
        proc = c.kubectl("create", "-f", "-", input=json.dumps(privileged_pod(ns)), check=False)
        return proc.returncode, proc.stdout + proc.stderr

    c.kubectl("delete", "mutatingwebhookconfiguration,validatingwebhookconfiguration", "tenantguard")
    try:

        def refused_without_the_webhook() -> str | None:
            code, out = create(tenant_namespace)
            assert code != 0, f"a privileged pod was admitted into {tenant_namespace}: {out}"
            return None if "denied the request" in out else out  # the webhook until kube-apiserver drops it

        out = wait_for(refused_without_the_webhook, what="kube-apiserver to stop calling the webhook")
        assert 'violates PodSecurity "restricted:v1.33"' in out, out
        assert 'privileged (container "app" must not set securityContext.privileged=true)' in out, out
        # The labels make the difference: the same pod in a namespace without them is admitted.
        code, out = create(CONTROL)
        assert code == 0, out
    finally:
        c.kubectl("apply", "-f", "-", input=webhook.configurations_yaml())
        c.kubectl("delete", "pod", "root", "-n", CONTROL, "--wait=false", "--ignore-not-found", check=False)

        def webhook_back() -> bool:  # PSA only warns about Deployments: a denial is the webhook's
            pod = privileged_pod(tenant_namespace)
            spec = {
                "selector": {"matchLabels": {"a": "b"}},
                "template": {"metadata": {"labels": {"a": "b"}}, "spec": pod["spec"]},
            }
            deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": pod["metadata"], "spec": spec}
            proc = c.kubectl("create", "--dry-run=server", "-f", "-", input=json.dumps(deployment), check=False)
            return "[PSS003]" in proc.stderr

        wait_for(webhook_back, what="the webhook to be called again")
