"""The native mTLS sidecar for real: ghostunnel v1.11.1 with exactly the args the webhook injected.

alice creates a serving Deployment in acme-prod; the webhook injects the sidecar; the test reads the sidecar's
container from the pod the API server stored. KWOK runs no containers, so the test starts the real ghostunnel
binary locally with those args — the certificate mount rewritten to a directory holding the workload Secret's
files (written as kubelet writes a Secret volume), the listen and target ports rewritten to free loopback ports,
every other flag as injected — in front of a small HTTP app, and sends real TLS handshakes at it.

The certificate material is what the API server stores: the session's reconciler writes acme's Secrets (its CA
in the webhook's namespace, a workload certificate in each acme namespace, the gateway's identity in the gateway
namespace) and the tests read them back; other identities (tenant B, expired, self-signed) are made with the same
`webhook.workload_pki` functions.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tenantguard.policies.rules.mtls.sidecar import spiffe_id
from tenantguard.policies.settings import DEFAULT_SETTINGS
from tenantguard.webhook import tenant_ca, workload_pki
from tests.support import ghostunnel
from tests.support.devcluster import DevCluster, wait_for
from tests.support.mtls_peers import App, Outcome, call, plain_call, project, write_files
from tests.support.webhook_runner import WebhookProcess, free_port

pytestmark = pytest.mark.e2e

NAMESPACE, OTHER_NAMESPACE = "acme-prod", "acme-dev"
APP = "mtls-echo"
SERVER_NAME = f"{APP}.{NAMESPACE}.svc"  # what a caller dials; the workload certificate names *.acme-prod.svc
CA_NAMESPACE = DEFAULT_SETTINGS.webhook_namespace
GATEWAY = DEFAULT_SETTINGS.gateway_namespaces[0]
SECRET = DEFAULT_SETTINGS.mtls.secret_name
SIDECAR = DEFAULT_SETTINGS.mtls.container_name
SECURE = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}
POD_SECURE = {"runAsNonRoot": True, "runAsUser": 1000, "seccompProfile": {"type": "RuntimeDefault"}}
RELOAD_WAIT = 90  # the injected --timed-reload is 30 s; a loaded 2-core machine gets slack


def _deployment() -> dict[str, Any]:
    app = {
        "name": "app",
        "image": "registry.acme.example/echo:1",
        "ports": [{"containerPort": 8000}],
        "securityContext": SECURE,
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": APP, "namespace": NAMESPACE},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": APP}},
            "template": {
                "metadata": {"labels": {"app": APP}},
                "spec": {"securityContext": POD_SECURE, "containers": [app]},
            },
        },
    }


@pytest.fixture(scope="module")
def stored_pod(dev_cluster: DevCluster, webhook: WebhookProcess) -> Iterator[dict[str, Any]]:
    """The pod of alice's Deployment, as the API server stored it (mutated by the webhook)."""
    proc = dev_cluster.kubectl("apply", "-f", "-", input=json.dumps(_deployment()), user=True, check=False)
    assert proc.returncode == 0, proc.stderr
    try:

        def pod() -> dict[str, Any] | None:
            items = dev_cluster.get("pods", "-n", NAMESPACE, "-l", f"app={APP}", user=True)["items"]
            return items[0] if items else None

        try:
            found = wait_for(pod, what=f"a pod of Deployment {NAMESPACE}/{APP}", timeout=60)
        except AssertionError as error:
            events = dev_cluster.kubectl("get", "events", "-n", NAMESPACE, check=False).stdout
            raise AssertionError(f"{error}; events in {NAMESPACE}:\n{events[-3000:]}") from None
        yield found
    finally:
        dev_cluster.kubectl("delete", "deployment", APP, "-n", NAMESPACE, "--ignore-not-found", check=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Injected:
    container: dict[str, Any]  # the sidecar, as stored
    cert_mount: str  # where it mounts the workload certificate Secret


@pytest.fixture(scope="module")
def injected(stored_pod: dict[str, Any]) -> Injected:
    """The sidecar container the webhook injected, and where it mounts the workload certificate Secret."""
    spec = stored_pod["spec"]
    (sidecar,) = [c for c in spec.get("initContainers", []) if c["name"] == SIDECAR]
    secrets = {v["name"] for v in spec["volumes"] if v.get("secret", {}).get("secretName") == SECRET}
    # Besides it, ServiceAccount admission mounted the API token into every container, the sidecar too.
    (mount,) = [m for m in sidecar["volumeMounts"] if m["name"] in secrets]
    return Injected(container=sidecar, cert_mount=mount["mountPath"])


def _ensure_namespace(cluster: DevCluster, name: str) -> bool:
    """Create `name` if absent; True when this call created it."""
    if cluster.kubectl("get", "namespace", name, check=False).returncode == 0:
        return False
    cluster.create_namespace(name)
    return True


@dataclass(frozen=True, slots=True, kw_only=True)
class Pki:
    acme_ca: dict[str, Any]
    workload: dict[str, Any]  # acme-prod's: what the sidecar mounts
    peer: dict[str, Any]  # acme-dev's: another pod of the tenant calling in
    tenant_b: dict[str, Any]  # globex-prod's
    gateway: dict[str, Any]  # the gateway's identity towards acme


def _written(cluster: DevCluster, namespace: str, name: str) -> dict[str, Any]:
    """A Secret the session's reconciler writes, once it is there."""

    def read() -> dict[str, Any] | None:
        proc = cluster.kubectl("get", "secret", name, "-n", namespace, "-o", "json", check=False)
        return json.loads(proc.stdout) if proc.returncode == 0 else None

    return wait_for(read, what=f"the reconciler's Secret {namespace}/{name}", timeout=60)


@pytest.fixture(scope="module")
def pki(dev_cluster: DevCluster, webhook: WebhookProcess) -> Iterator[Pki]:
    """acme's certificates as the session's reconciler wrote them (CA in the webhook's namespace, a workload
    certificate per namespace, the gateway's identity in the gateway namespace). Tenant B's are computed with the
    same functions: globex, the other example tenant, is in istio mode and gets no workload certificate."""
    now = dt.datetime.now(dt.UTC)
    created = [ns for ns in (CA_NAMESPACE, GATEWAY) if _ensure_namespace(dev_cluster, ns)]
    try:
        ca_b = workload_pki.tenant_ca_secret("globex", None, namespace=CA_NAMESPACE, now=now)
        yield Pki(
            acme_ca=_written(dev_cluster, CA_NAMESPACE, "tenantguard-ca-acme"),
            workload=_written(dev_cluster, NAMESPACE, SECRET),
            peer=_written(dev_cluster, OTHER_NAMESPACE, SECRET),
            tenant_b=workload_pki.workload_secret("globex", "globex-prod", ca_b, None, name=SECRET, now=now),
            gateway=_written(dev_cluster, GATEWAY, "tenantguard-gateway-acme"),
        )
    finally:
        for ns in created:  # gone before the next module runs: a terminating namespace refuses new objects
            dev_cluster.kubectl("delete", "namespace", ns, "--timeout=90s", check=False, timeout=120)


@dataclass(slots=True, kw_only=True)
class Running:
    """A sidecar at 127.0.0.1:`port` in front of `app`, its certificates in `cert_dir` as kubelet mounts them."""

    port: int
    app: App
    proxy: ghostunnel.Ghostunnel
    cert_dir: Path


@pytest.fixture
def run_sidecar(injected: Injected, tmp_path: Path) -> Iterator[Callable[[dict[str, Any]], Running]]:
    exe = ghostunnel.binary()
    started: list[Running] = []

    def start(secret: dict[str, Any]) -> Running:
        n = len(started)
        cert_dir = tmp_path / f"sidecar-{n}" / "tls"
        project(cert_dir, secret)
        app = App()
        app.start()
        port = free_port()
        args = ghostunnel.localised(
            injected.container, mount=injected.cert_mount, cert_dir=cert_dir, listen=port, target=app.port
        )
        proxy = ghostunnel.Ghostunnel(exe=exe, args=args, log=tmp_path / f"sidecar-{n}.log")
        running = Running(port=port, app=app, proxy=proxy, cert_dir=cert_dir)
        started.append(running)
        proxy.start()
        return running

    try:
        yield start
    finally:
        for running in started:
            running.proxy.stop()
            running.app.stop()


def _files(tmp_path: Path, name: str, secret: dict[str, Any]) -> dict[str, Path]:
    return write_files(tmp_path / "clients" / name, secret)


def _as(running: Running, files: dict[str, Path], *, trust: Path | None = None) -> Outcome:
    return call(
        running.port,
        trust=trust or files["ca.crt"],
        cert=files["tls.crt"],
        key=files["tls.key"],
        server_name=SERVER_NAME,
    )


def _self_signed(tenant: str) -> dict[str, Any]:
    """A certificate naming the tenant's identity, signed by its own key: what anyone can make."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, NAMESPACE)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.UniformResourceIdentifier(spiffe_id(tenant))]), False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    return {"data": {"tls.crt": base64.b64encode(cert_pem).decode(), "tls.key": base64.b64encode(key_pem).decode()}}


def _serial(secret: dict[str, Any]) -> int:
    return x509.load_pem_x509_certificate(base64.b64decode(secret["data"]["tls.crt"])).serial_number


def test_the_sidecar_is_ghostunnel_of_the_tested_version(injected: Injected) -> None:
    image = injected.container["image"]
    assert image == DEFAULT_SETTINGS.mtls.image
    assert image.split(":")[-1].startswith(ghostunnel.VERSION)
    version = ghostunnel.run_version(ghostunnel.binary())
    assert f"rev {ghostunnel.VERSION} " in version, version


def test_a_workload_of_the_tenant_gets_through(pki: Pki, run_sidecar: Callable[..., Running], tmp_path: Path) -> None:
    sidecar = run_sidecar(pki.workload)
    out = _as(sidecar, _files(tmp_path, "peer", pki.peer))
    assert out.through, out.error
    assert out.server_serial == _serial(pki.workload)
    assert sidecar.app.requests == 1


def test_the_gateway_identity_gets_through(pki: Pki, run_sidecar: Callable[..., Running], tmp_path: Path) -> None:
    sidecar = run_sidecar(pki.workload)
    out = _as(sidecar, _files(tmp_path, "gateway", pki.gateway))
    assert out.through, out.error
    assert sidecar.app.requests == 1


def test_a_gateway_wired_through_a_ghostunnel_client_gets_through(
    pki: Pki, run_sidecar: Callable[..., Running], tmp_path: Path
) -> None:
    """docs/mtls.md's wiring: in the gateway namespace a ghostunnel client holds the gateway Secret, verifies
    the tenant's identity on the sidecar and gives the gateway a plain-text port on its loopback."""
    sidecar = run_sidecar(pki.workload)
    files = _files(tmp_path, "gateway", pki.gateway)
    port = free_port()
    client = ghostunnel.Ghostunnel(
        exe=ghostunnel.binary(),
        args=[
            "client", f"--listen=127.0.0.1:{port}", f"--target=127.0.0.1:{sidecar.port}",
            f"--override-server-name={SERVER_NAME}", f"--verify-uri={spiffe_id('acme')}",
            f"--cert={files['tls.crt']}", f"--key={files['tls.key']}", f"--cacert={files['ca.crt']}",
        ],
        log=tmp_path / "gateway-client.log",
    )  # fmt: skip
    client.start()
    try:
        out = plain_call(port)
    finally:
        client.stop()
    assert out.through, f"{out.error}\n{client.tail()}"
    assert sidecar.app.requests == 1


# (client, what ghostunnel logs for it)
REFUSED = [
    pytest.param("tenant-b", "certificate signed by unknown authority", id="tenant-b"),
    pytest.param("expired", "certificate has expired", id="expired"),
    pytest.param("self-signed", "certificate signed by unknown authority", id="self-signed"),
    pytest.param("unadmitted-identity", "unauthorized", id="acme-ca-but-not-an-admitted-identity"),
    pytest.param("no-certificate", "didn't provide a certificate", id="no-certificate"),
    pytest.param("plain-tcp", "error on TLS handshake", id="plain-tcp"),
]


@pytest.mark.parametrize(("client", "reason"), REFUSED)
def test_others_are_refused(
    client: str, reason: str, pki: Pki, run_sidecar: Callable[..., Running], tmp_path: Path
) -> None:
    sidecar = run_sidecar(pki.workload)
    trust = _files(tmp_path, "peer", pki.peer)["ca.crt"]  # every client below still verifies the sidecar
    now = dt.datetime.now(dt.UTC)
    secrets = {
        "tenant-b": pki.tenant_b,
        "expired": workload_pki.workload_secret(
            "acme", OTHER_NAMESPACE, pki.acme_ca, None, name=SECRET, now=now - dt.timedelta(days=2)
        ),
        "unadmitted-identity": workload_pki.gateway_secret("acme", "globex-prod", pki.acme_ca, None, now=now),
    }
    if client == "plain-tcp":
        out = plain_call(sidecar.port)
    elif client == "no-certificate":
        out = call(sidecar.port, trust=trust, server_name=SERVER_NAME)
    elif client == "self-signed":
        files = write_files(tmp_path / "self-signed", _self_signed("acme"))
        out = call(sidecar.port, trust=trust, cert=files["tls.crt"], key=files["tls.key"], server_name=SERVER_NAME)
    else:
        out = _as(sidecar, _files(tmp_path, client, secrets[client]), trust=trust)
    assert out.status is None, f"{client} got through: {out}"
    assert sidecar.app.requests == 0
    wait_for(lambda: reason in sidecar.proxy.log.read_text(), what=f"ghostunnel logging {reason!r}", timeout=10)


@dataclass(slots=True)
class Caller:
    """Calls the sidecar in a loop from a thread, as a client of the tenant, until stopped; every outcome kept."""

    call: Callable[[], Outcome]
    outcomes: list[Outcome]
    stop: threading.Event
    thread: threading.Thread | None = None

    @classmethod
    def start(cls, call: Callable[[], Outcome]) -> Caller:
        caller = cls(call=call, outcomes=[], stop=threading.Event())
        caller.thread = threading.Thread(target=caller._loop, daemon=True)
        caller.thread.start()
        return caller

    def _loop(self) -> None:
        while not self.stop.is_set():
            self.outcomes.append(self.call())
            time.sleep(0.02)

    def until(self, done: Callable[[Outcome], bool], what: str) -> None:
        wait_for(lambda: any(done(o) for o in list(self.outcomes)), what=what, timeout=RELOAD_WAIT, interval=0.2)

    def finish(self) -> list[Outcome]:
        self.stop.set()
        assert self.thread is not None
        self.thread.join(timeout=30)
        return self.outcomes


def test_renewal_replaces_the_files_and_no_client_is_refused(
    dev_cluster: DevCluster, pki: Pki, run_sidecar: Callable[..., Running], tmp_path: Path
) -> None:
    sidecar = run_sidecar(pki.workload)
    now = dt.datetime.now(dt.UTC)
    # The reconciler issued the served leaf moments ago; what it writes at 2/3 of the lifetime is a new leaf from
    # the same CA, as here (issued now so that it is valid now).
    renewed = workload_pki.workload_secret("acme", NAMESPACE, pki.acme_ca, None, name=SECRET, now=now)
    old, new = _serial(pki.workload), _serial(renewed)
    peer = _files(tmp_path, "peer", pki.peer)
    caller = Caller.start(lambda: _as(sidecar, peer))
    try:
        caller.until(lambda o: o.server_serial == old, "a call answered with the old certificate")
        project(sidecar.cert_dir, renewed)  # kubelet's atomic swap of the mounted Secret
        caller.until(lambda o: o.server_serial == new, "the sidecar serving the renewed certificate")
        settled = len(caller.outcomes)
        wait_for(lambda: len(caller.outcomes) > settled + 20, what="more calls after the renewal", timeout=60)
    finally:
        outcomes = caller.finish()
    refused = [o for o in outcomes if not o.through]
    assert refused == [], f"{len(refused)} of {len(outcomes)} calls refused during the renewal: {refused[:3]}"
    assert {o.server_serial for o in outcomes} == {old, new}
    assert sidecar.app.requests == len(outcomes)


def test_ca_rotation_keeps_every_valid_leaf_trusted(run_sidecar: Callable[..., Running], tmp_path: Path) -> None:
    """The tenant CA rotates while peers of both generations call: staged, promoted, dropped.

    Local files only (the reconciler's timing is webhook.tenant_ca's, unit-tested); the clock is the real one,
    with the CA born 300 days ago so that its rotation is due now and every certificate is valid now."""
    now = dt.datetime.now(dt.UTC)
    hour = dt.timedelta(hours=1)
    ca1 = workload_pki.tenant_ca_secret("acme", None, namespace=CA_NAMESPACE, now=now - dt.timedelta(days=300))
    served = workload_pki.workload_secret("acme", NAMESPACE, ca1, None, name=SECRET, now=now - 3 * hour)
    sidecar = run_sidecar(served)

    # Staged 2 h ago: the bundle carries the next CA, the leaf stays.
    ca2 = workload_pki.tenant_ca_secret("acme", ca1, namespace=CA_NAMESPACE, now=now - 2 * hour)
    assert "next.crt" in ca2["data"]
    staged = workload_pki.workload_secret("acme", NAMESPACE, ca2, served, name=SECRET, now=now - 2 * hour)
    assert staged["data"]["tls.crt"] == served["data"]["tls.crt"]
    old_peer = _files(tmp_path, "old-peer", workload_pki.workload_secret(
        "acme", OTHER_NAMESPACE, ca2, None, name=SECRET, now=now - 2 * hour
    ))  # fmt: skip

    # Promoted now: the next CA signs; a peer already re-issued calls in before the sidecar's own leaf is.
    ca3 = workload_pki.tenant_ca_secret("acme", ca2, namespace=CA_NAMESPACE, now=now)
    assert "next.crt" not in ca3["data"] and tenant_ca.PREVIOUS_UNTIL in ca3["metadata"]["annotations"]
    new_peer = _files(tmp_path, "new-peer", workload_pki.workload_secret(
        "acme", OTHER_NAMESPACE, ca3, None, name=SECRET, now=now
    ))  # fmt: skip
    assert _as(sidecar, old_peer).through
    old_caller = Caller.start(lambda: _as(sidecar, old_peer))
    try:
        project(sidecar.cert_dir, staged)
        wait_for(
            lambda: _as(sidecar, new_peer).through, what="the staged CA trusted by the sidecar", timeout=RELOAD_WAIT
        )
        reissued = workload_pki.workload_secret("acme", NAMESPACE, ca3, staged, name=SECRET, now=now)
        assert reissued["data"]["tls.crt"] != staged["data"]["tls.crt"], "not signed by the current CA: re-issued"
        project(sidecar.cert_dir, reissued)
        new_caller = Caller.start(lambda: _as(sidecar, new_peer))
        old_caller.until(lambda o: o.server_serial == _serial(reissued), "the re-issued leaf served")
        new_outcomes = new_caller.finish()
    finally:
        old_outcomes = old_caller.finish()
    refused = [o for o in old_outcomes + new_outcomes if not o.through]
    assert refused == [], f"{len(refused)} calls refused during the rotation: {refused[:3]}"

    # A leaf lifetime after the promotion the previous CA leaves the bundle: a leaf it signed is refused
    # (by then every such leaf has expired anyway; here one is still valid, to show the CA itself is gone).
    ca4 = workload_pki.tenant_ca_secret("acme", ca3, namespace=CA_NAMESPACE, now=now + 25 * hour)
    dropped = workload_pki.workload_secret("acme", NAMESPACE, ca4, reissued, name=SECRET, now=now)
    assert dropped["data"]["tls.crt"] == reissued["data"]["tls.crt"]
    project(sidecar.cert_dir, dropped)
    wait_for(lambda: not _as(sidecar, old_peer, trust=new_peer["ca.crt"]).through, what="the old CA dropped",
             timeout=RELOAD_WAIT)  # fmt: skip
    assert _as(sidecar, new_peer).through
