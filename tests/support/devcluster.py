"""Helpers for tests against a running dev cluster (the e2e fixture yields a ``DevCluster``).

Kept in the package rather than in a conftest so test modules import them by a stable name and
type-check them; nothing here imports pytest.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from tenantguard.devcluster.cluster import ClusterInfo

T = TypeVar("T")


class KubectlError(AssertionError):
    """kubectl failed; the message carries its stderr."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DevCluster:
    kubeconfig: Path  # cluster-admin (system:masters)
    user_kubeconfig: Path  # alice, group acme-devs: no RBAC bindings unless a test adds some
    kubectl_bin: Path
    server: str  # https://127.0.0.1:<port>
    ca_file: Path  # the cluster CA (PEM): signs the apiserver's serving cert and client certs
    bin_dir: Path
    state_dir: Path
    webhook_port: int  # kube-apiserver presents its client certificate to the webhook on this port
    webhook_client_ca: Path  # ... signed by this CA (`serve --client-ca`); its key is beside it

    @classmethod
    def from_info(cls, info: ClusterInfo) -> DevCluster:
        return cls(
            kubeconfig=info.kubeconfig,
            user_kubeconfig=info.user_kubeconfig,
            kubectl_bin=info.kubectl,
            server=info.server,
            ca_file=info.ca_file,
            bin_dir=info.bin_dir,
            state_dir=info.state_dir,
            webhook_port=info.webhook_port,
            webhook_client_ca=info.webhook_client_ca,
        )

    def kubectl(
        self,
        *args: str,
        user: bool = False,
        input: str | None = None,
        check: bool = True,
        timeout: float = 60,
        kubeconfig: Path | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run kubectl as the admin, as alice with ``user=True``, or as whoever ``kubeconfig`` names;
        ``check`` raises with its stderr."""
        config = kubeconfig or (self.user_kubeconfig if user else self.kubeconfig)
        argv = [str(self.kubectl_bin), "--kubeconfig", str(config), *args]
        proc = subprocess.run(argv, input=input, capture_output=True, text=True, timeout=timeout, check=False)
        if check and proc.returncode != 0:
            raise KubectlError(f"kubectl {' '.join(args)} exited {proc.returncode}: {proc.stderr.strip()}")
        return proc

    def apply(self, manifest: dict[str, Any], *, user: bool = False) -> None:
        self.kubectl("apply", "-f", "-", input=json.dumps(manifest), user=user)

    def get(self, *args: str, user: bool = False) -> Any:
        return json.loads(self.kubectl("get", *args, "-o", "json", user=user).stdout)

    def create_namespace(self, name: str, labels: dict[str, str] | None = None) -> None:
        """Create a namespace and wait for its default ServiceAccount, without which pods are refused, and — in a
        tenant namespace the webhook polices — for the baseline NetworkPolicies, without which NET005 refuses them."""
        self.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels or {}}})
        wait_for(
            lambda: self.kubectl("get", "serviceaccount", "default", "-n", name, check=False).returncode == 0,
            what=f"ServiceAccount {name}/default",
        )
        if self.policed(name):
            self.wait_for_baseline(name)

    def policed(self, namespace: str) -> bool:
        """The namespace carries the tenant label, the webhook is registered (NET005 judges its pods) and a
        reconciler holds its Lease (it writes the baseline)."""
        labels = self.get("namespace", namespace)["metadata"].get("labels") or {}
        if "tenantguard.io/tenant" not in labels:
            return False
        hooks = self.kubectl("get", "validatingwebhookconfiguration", "tenantguard", check=False)
        lease = self.kubectl(
            "get", "lease", "tenantguard-reconciler", "-n", "tenantguard-system",
            "-o", "jsonpath={.spec.holderIdentity}", check=False,
        )  # fmt: skip
        return hooks.returncode == 0 and lease.returncode == 0 and bool(lease.stdout.strip())

    def wait_for_baseline(self, namespace: str, timeout: float = 30) -> None:
        """The reconciler writes the default deny last, after the other baseline policies."""
        wait_for(
            lambda: (
                self.kubectl(
                    "get", "networkpolicy", "tenantguard-default-deny", "-n", namespace, check=False
                ).returncode
                == 0
            ),
            what=f"the baseline NetworkPolicies of {namespace} (written by the reconciler)",
            timeout=timeout,
        )


def wait_for(predicate: Callable[[], T | None], *, what: str, timeout: float = 60, interval: float = 0.25) -> T:
    """Poll until ``predicate`` returns something truthy; return it, or fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def wait_established(kubectl: Callable[..., subprocess.CompletedProcess[str]], *crds: str, timeout: float = 60) -> None:
    """Wait until the CRDs (`crd/<name>`, or `crd --all`) are Established. kubectl wait fails at once, rather than
    waiting, on a CRD created so recently that it has no `.status.conditions` yet ("accessor error: <nil>"), which
    a loaded machine sees: ask again until it answers or the time is up."""
    targets = list(crds) or ["crd", "--all"]
    last = ""

    def established() -> bool:
        nonlocal last
        proc = kubectl("wait", "--for=condition=Established", *targets, "--timeout=10s", check=False)
        last = proc.stderr.strip()
        return proc.returncode == 0

    try:
        wait_for(established, what=f"{' '.join(targets)} Established", timeout=timeout, interval=0.5)
    except AssertionError as err:
        raise AssertionError(f"{err}: {last}") from None
