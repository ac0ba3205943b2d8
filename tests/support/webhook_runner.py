"""Run `tenantguard serve` against a cluster and register it: for the demo, end-to-end tests and benchmarks.

Starts the webhook as its own process on 127.0.0.1 (cluster mode, watching the API server), waits for
`/readyz`, then applies the Mutating/ValidatingWebhookConfigurations pointing at it with its CA bundle.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tenantguard.policies.settings import DEFAULT_SETTINGS, Settings
from tenantguard.webhook import certs
from tenantguard.webhook.configuration import configurations
from tests.support.devcluster import wait_established

ROOT = Path(__file__).resolve().parents[2]
PLATFORM = ROOT / "examples" / "platform"
TENANTS = ROOT / "examples" / "tenants" / "tenants.yaml"
_CRDS = (
    "tenants.tenantguard.io",
    "inferenceservices.serving.kserve.io",
    "leaderworkersets.leaderworkerset.x-k8s.io",
    "rayservices.ray.io",
)


def seed_platform(kubectl: Callable[..., Any], wait_for_namespace: Callable[[str], None]) -> None:
    """The Tenant CRD, stand-in serving CRDs, the example tenants and their namespaces, and the tenant
    developers' RBAC; idempotent. `kubectl(*args, input=...)` runs as cluster-admin."""
    install_apis(kubectl)
    seed_tenants(kubectl, wait_for_namespace)


def install_apis(kubectl: Callable[..., Any]) -> None:
    """The Tenant CRD, stand-in serving CRDs, and the platform's own namespaces: what the webhook and the
    reconciler need before they start (the demo registers them before any tenant object exists)."""
    from tenantguard.docs_cli import render

    kubectl("apply", "-f", "-", input=render("crd"))
    for ns in ("tenantguard-system", "llm-gateway"):  # the reconciler's (tenant CAs, Lease) and the gateway's
        namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}
        kubectl("apply", "-f", "-", input=json.dumps(namespace))
    kubectl("apply", "-f", str(PLATFORM / "serving-crds.yaml"))
    wait_established(kubectl, *(f"crd/{crd}" for crd in _CRDS))


def seed_tenants(kubectl: Callable[..., Any], wait_for_namespace: Callable[[str], None]) -> None:
    """The example tenants, their namespaces and the tenant developers' RBAC (after `install_apis`)."""
    kubectl("apply", "-f", str(TENANTS))
    for ns in ("acme-prod", "acme-dev", "globex-prod"):
        wait_for_namespace(ns)
    kubectl("apply", "-f", str(PLATFORM / "tenant-rbac.yaml"))
    # tenant-developer is an aggregated ClusterRole: kube-controller-manager fills in its rules moments later.
    deadline = time.monotonic() + 60
    while not kubectl("get", "clusterrole", "tenant-developer", "-o", "jsonpath={.rules[*].verbs}").stdout.strip():
        if time.monotonic() > deadline:
            raise RuntimeError("ClusterRole tenant-developer was not aggregated within 60 s")
        time.sleep(0.2)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(slots=True)
class WebhookProcess:
    kubeconfig: Path | None  # cluster mode; None with `tenants` for static mode
    work_dir: Path
    port: int = field(default_factory=free_port)
    config: Path | None = None
    proc: subprocess.Popen[bytes] | None = None
    tenants: Path | None = None  # static mode: Tenants from files, no cluster
    extra_args: tuple[str, ...] = ()  # e.g. ("--reconcile", "--identity", "a")
    client_ca: Path | None = None  # `serve --client-ca`: every connection must present a certificate of this CA
    client_cert: tuple[Path, Path] | None = None  # (cert, key) this runner presents on its own probes
    shared_cert_dir: Path | None = None  # replicas behind a load balancer serve one pair (one Secret, many pods)

    @property
    def cert_dir(self) -> Path:
        return self.shared_cert_dir or self.work_dir / "certs"

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def log_file(self) -> Path:
        return self.work_dir / "webhook.log"

    def start(self, timeout: float = 60) -> None:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        certs.ensure(self.cert_dir, ["localhost"], ["127.0.0.1"])
        exe = Path(sys.executable).with_name("tenantguard")
        argv = [
            str(exe),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--cert-dir",
            str(self.cert_dir),
            *(["--kubeconfig", str(self.kubeconfig)] if self.kubeconfig else ["--tenants", str(self.tenants)]),
        ]
        if self.config is not None:
            argv += ["--config", str(self.config)]
        if self.client_ca is not None:
            argv += ["--client-ca", str(self.client_ca)]
        argv += self.extra_args
        with self.log_file.open("ab") as log:
            self.proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            self.wait_ready(timeout)
        except BaseException:
            self.stop()  # a webhook that never became ready must not outlive its caller
            raise

    def tls_context(self) -> ssl.SSLContext:
        """A client context that trusts the webhook's CA and presents `client_cert` when there is one."""
        ctx = ssl.create_default_context(cafile=str(self.cert_dir / "ca.crt"))
        if self.client_cert is not None:
            ctx.load_cert_chain(*self.client_cert)
        return ctx

    def get(self, path: str, timeout: float = 5) -> tuple[int, bytes]:
        """GET /healthz, /readyz or /metrics: (status, body)."""
        try:
            with urllib.request.urlopen(f"{self.url}{path}", context=self.tls_context(), timeout=timeout) as resp:
                return int(resp.status), bytes(resp.read())
        except urllib.error.HTTPError as err:
            return int(err.code), bytes(err.read())

    def wait_ready(self, timeout: float = 60) -> None:
        ctx = self.tls_context()
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"webhook exited {self.proc.returncode}: {self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/readyz", context=ctx, timeout=2) as resp:
                    if resp.status == 200:
                        return
            except OSError as err:
                last = str(err)
            time.sleep(0.2)
        raise RuntimeError(f"webhook not ready after {timeout:.0f}s ({last}): {self.log_tail()}")

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def kill(self) -> None:
        """A crash: SIGKILL, no chance to finish requests, close connections or release the reconciler's Lease."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self.proc = None

    def configurations_yaml(self, settings: Settings = DEFAULT_SETTINGS) -> str:
        docs = configurations(settings, ca_bundle=(self.cert_dir / "ca.crt").read_bytes(), url=self.url)
        return yaml.safe_dump_all(docs, sort_keys=False)
