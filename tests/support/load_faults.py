"""Tenant writes at a fixed rate through kube-apiserver while the webhook's parts fail: the e2e test and the bench.

The rig: two `tenantguard serve --reconcile` replicas (one serving pair in a shared directory, as one Secret mounted
into two pods; `--client-ca`: kube-apiserver must present its certificate) behind HAProxy (tests/support/haproxy.py,
TLS passthrough, health checks on /readyz), on the dev cluster's reserved webhook port, so kube-apiserver presents
its client certificate to it. The Mutating/ValidatingWebhookConfigurations `tenantguard-load` point at HAProxy.
The replicas reach kube-apiserver through a TCP relay (tests/support/tcp_relay.py), so a test can cut their
watches without stopping the API server.

The load: alice (group acme-devs) creates, with `dryRun=All`, objects whose verdict is known — a restricted pod,
a Secret, an annotated ConfigMap (admitted); a privileged pod, a pod over acme's GPU cap, a ConfigMap labelled
for another tenant (denied) — at a fixed rate, each on a schedule (a late answer never delays the next request).
Every request is recorded: when it was sent and answered, what was expected, what kube-apiserver said. The
admitted objects carry `SECRET` (a Secret's value, a container's env) and `CONTENT` (an annotation): neither may
appear in any log line.

The faults, one after another (each waits for the previous one's recovery):
- `replica-kill`: the Lease holder is killed (SIGKILL) and started again a moment later, as a kubelet would;
- `cert-rotation`: a new serving pair of the same CA is written to the shared directory (both replicas reload);
- `watch-cut`: every connection from the replicas to kube-apiserver is closed (watches, the Lease's renewals);
- `apiserver-restart` (optional): kube-apiserver is stopped and started again (`dev-cluster restart`).

Recovery is measured, never assumed: a killed replica is out of HAProxy's rotation and every request answered
again (and the replica back UP); a rotated certificate is the one both replicas present to a new connection; a
cut watch has reconnected when a Namespace created after the cut is in both replicas' caches (their
`tenantguard_cache_objects{kind="namespaces"}`).
"""

from __future__ import annotations

import base64
import http.client
import json
import re
import secrets
import socket
import ssl
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from cryptography import x509

from tenantguard.devcluster import cluster as devcluster
from tenantguard.policies.settings import DEFAULT_SETTINGS
from tenantguard.webhook import certs, pki
from tenantguard.webhook.configuration import configurations
from tests.support.devcluster import DevCluster, wait_for
from tests.support.haproxy import Backend, HaproxyProcess
from tests.support.tcp_relay import TcpRelay
from tests.support.webhook_runner import WebhookProcess

NAME = "tenantguard-load"
NAMESPACE = "acme-dev"
TENANT_NAMESPACES = ("acme-prod", "acme-dev", "globex-prod")
LEASE = ("lease", "tenantguard-reconciler", "-n", "tenantguard-system")
# Short Lease timings (as test_reconciler_leader): the survivor takes over within seconds of a crash.
TIMINGS = ("--lease-duration", "6", "--renew-deadline", "4", "--retry-period", "1")
ALLOWED, DENIED = "allowed", "denied"
WEBHOOK_FAILED = "webhook-failed"  # kube-apiserver could not get an answer and applied failurePolicy: Fail
APISERVER_DOWN = "apiserver-unavailable"  # the request never reached admission
OTHER = "other"


# ---------------------------------------------------------------------------------------------------- the load


def _container(**extra: Any) -> dict[str, Any]:
    return {
        "name": "app",
        "image": "registry.acme.example/app:1.0",
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        **extra,
    }


def _pod(name: str, **container: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {"containers": [_container(**container)]},
    }


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    name: str
    expected: str  # ALLOWED or DENIED
    resource: str  # pods, secrets, configmaps
    build: Callable[[str], dict[str, Any]]  # object name -> object

    @property
    def path(self) -> str:
        return f"/api/v1/namespaces/{NAMESPACE}/{self.resource}?dryRun=All"


def cases(secret: str, content: str) -> tuple[Case, ...]:
    """The writes, in the order the load cycles through them (denied ones between admitted ones)."""

    def good_pod(name: str) -> dict[str, Any]:
        pod = _pod(name, env=[{"name": "API_TOKEN", "value": secret}])
        pod["metadata"]["annotations"] = {"example.com/note": content}
        return pod

    def privileged_pod(name: str) -> dict[str, Any]:
        pod = _pod(name)
        pod["spec"]["containers"][0]["securityContext"] = {"privileged": True}
        return pod

    def gpu_pod(name: str) -> dict[str, Any]:
        return _pod(name, resources={"limits": {"nvidia.com/gpu": "3"}})  # acme: maxPerPod 2

    def secret_object(name: str) -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": name, "namespace": NAMESPACE},
            "stringData": {"token": secret},
        }

    def configmap(name: str, tenant: str | None = None) -> dict[str, Any]:
        labels = {"tenantguard.io/tenant": tenant} if tenant else {}
        return {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": name,
                "namespace": NAMESPACE,
                "labels": labels,
                "annotations": {"example.com/note": content},
            },
            "data": {"prompt": content},
        }

    return (
        Case(name="pod", expected=ALLOWED, resource="pods", build=good_pod),
        Case(name="gpu-over-cap-pod", expected=DENIED, resource="pods", build=gpu_pod),
        Case(name="secret", expected=ALLOWED, resource="secrets", build=secret_object),
        Case(name="privileged-pod", expected=DENIED, resource="pods", build=privileged_pod),
        Case(name="configmap", expected=ALLOWED, resource="configmaps", build=configmap),
        Case(
            name="other-tenant-configmap",
            expected=DENIED,
            resource="configmaps",
            build=lambda name: {
                **configmap(name, "globex"),
                "metadata": {"name": name, "namespace": NAMESPACE, "labels": {"tenantguard.io/tenant": "globex"}},
                "data": {},
            },
        ),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Record:
    sent: float  # seconds since the load started
    done: float
    case: str
    expected: str
    outcome: str  # ALLOWED, DENIED, WEBHOOK_FAILED, APISERVER_DOWN, OTHER
    status: int  # HTTP status, 0 without an answer
    message: str


def classify(status: int, body: bytes) -> tuple[str, str]:
    try:
        message = str(json.loads(body).get("message", ""))
    except (ValueError, AttributeError):
        message = body[:300].decode(errors="replace")
    if status == 201:
        return ALLOWED, ""
    if "failed calling webhook" in message:
        return WEBHOOK_FAILED, message
    if status in (400, 403, 422) and ("denied the request" in message or "violates PodSecurity" in message):
        return DENIED, message
    return OTHER, message


class TenantClient:
    """alice's client certificate, one keep-alive connection per worker thread."""

    def __init__(self, cluster: DevCluster, work_dir: Path) -> None:
        user = yaml.safe_load(cluster.user_kubeconfig.read_text())["users"][0]["user"]
        cert, key = work_dir / "alice.crt", work_dir / "alice.key"
        pki.write_public(cert, base64.b64decode(user["client-certificate-data"]))
        pki.write_private(key, base64.b64decode(user["client-key-data"]))
        self.context = ssl.create_default_context(cafile=str(cluster.ca_file))
        self.context.load_cert_chain(str(cert), str(key))
        host, port = cluster.server.removeprefix("https://").rsplit(":", 1)
        self.host, self.port = host, int(port)
        self._local = threading.local()
        self._opened: list[http.client.HTTPSConnection] = []

    def close(self) -> None:
        for conn in self._opened:
            conn.close()
        self._opened.clear()

    def create(self, case: Case, name: str, timeout: float = 40) -> tuple[str, int, str]:
        body = json.dumps(case.build(name)).encode()
        conn: http.client.HTTPSConnection | None = getattr(self._local, "conn", None)
        for attempt in (1, 2):
            if conn is None:
                conn = http.client.HTTPSConnection(self.host, self.port, context=self.context, timeout=timeout)
                self._local.conn = conn
                self._opened.append(conn)
            try:
                conn.request("POST", case.path, body=body, headers={"Content-Type": "application/json"})
                resp = conn.getresponse()
                data = resp.read()
            except (OSError, http.client.HTTPException) as err:
                conn.close()
                conn = self._local.conn = None
                # An idle connection the API server closed: send once more on a new one. A refused or reset new
                # connection is an API server that is away.
                if attempt == 2 or isinstance(err, ConnectionRefusedError):
                    return APISERVER_DOWN, 0, f"{type(err).__name__}: {err}"
                continue
            outcome, message = classify(resp.status, data)
            return outcome, resp.status, message
        raise AssertionError("unreachable")


class Load:
    """`rate` requests a second on a fixed schedule, cycling through `cases`, until stop()."""

    def __init__(self, client: TenantClient, cases: tuple[Case, ...], rate: float, workers: int = 16) -> None:
        self.client, self.cases, self.rate = client, cases, rate
        self.records: list[Record] = []
        self.origin = 0.0
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="load")
        self._thread = threading.Thread(target=self._schedule, name="load-schedule", daemon=True)
        self._prefix = secrets.token_hex(3)

    def now(self) -> float:
        return time.monotonic() - self.origin

    def start(self) -> None:
        self.origin = time.monotonic()
        self._thread.start()

    def _schedule(self) -> None:
        i = 0
        while not self._stop.is_set():
            due = i / self.rate
            delay = due - self.now()
            if delay > 0 and self._stop.wait(delay):
                break
            self._pool.submit(self._one, i)
            i += 1

    def _one(self, i: int) -> None:
        case = self.cases[i % len(self.cases)]
        sent = self.now()
        outcome, status, message = self.client.create(case, f"load-{self._prefix}-{i}")
        self.records.append(
            Record(
                sent=sent,
                done=self.now(),
                case=case.name,
                expected=case.expected,
                outcome=outcome,
                status=status,
                message=message[:400],
            )
        )

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)
        self._pool.shutdown(wait=True)


# ----------------------------------------------------------------------------------------------------- the rig


@dataclass(slots=True, kw_only=True)
class Fault:
    name: str
    at: float  # load clock
    window_end: float  # errors are expected from `at` until here: the fault is not yet seen or mended
    recovered: float  # seconds from `at` until recovery (see the module docstring)
    notes: dict[str, Any] = field(default_factory=dict)


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


class Rig:
    def __init__(self, cluster: DevCluster, work_dir: Path, *, settings: Path | None = None) -> None:
        self.cluster, self.work_dir = cluster, work_dir
        self.secret = f"tg-secret-{secrets.token_hex(12)}"
        self.content = f"tg-content-{secrets.token_hex(12)}"
        self.cases = cases(self.secret, self.content)
        work_dir.mkdir(parents=True, exist_ok=True)
        self.cert_dir = work_dir / "serving"
        certs.ensure(self.cert_dir, ["localhost"], ["127.0.0.1"])
        client_ca = pki.load_authority(
            cluster.webhook_client_ca.read_bytes(), cluster.webhook_client_ca.with_suffix(".key").read_bytes()
        )
        self.probe = pki.write_pair(work_dir, "probe", pki.issue_client(client_ca, user="load-probe"))
        check = pki.issue_client(client_ca, user="haproxy-health-check")
        self.check_pem = work_dir / "haproxy-check.pem"
        pki.write_private(self.check_pem, check.cert_pem + check.key_pem)
        self.relay = TcpRelay(int(cluster.server.rsplit(":", 1)[1]))
        config = yaml.safe_load(cluster.kubeconfig.read_text())
        config["clusters"][0]["cluster"]["server"] = f"https://127.0.0.1:{self.relay.port}"
        self.replica_kubeconfig = work_dir / "replica.kubeconfig"
        pki.write_private(self.replica_kubeconfig, yaml.safe_dump(config).encode())
        self.replicas = {
            name: WebhookProcess(
                kubeconfig=self.replica_kubeconfig,
                work_dir=work_dir / f"replica-{name}",
                config=settings,
                extra_args=("--reconcile", "--identity", f"replica-{name}", *TIMINGS),
                client_ca=cluster.webhook_client_ca,
                client_cert=self.probe,
                shared_cert_dir=self.cert_dir,
            )
            for name in ("a", "b")
        }
        self.haproxy = HaproxyProcess(
            work_dir=work_dir / "haproxy",
            port=cluster.webhook_port,
            backends=[Backend(name=n, port=r.port) for n, r in self.replicas.items()],
            ca_file=self.cert_dir / "ca.crt",
            check_cert=self.check_pem,
        )
        self.client = TenantClient(cluster, work_dir)
        self.probes: list[str] = []  # Namespaces created to see the caches catch up; deleted at the end
        self.rss_before: dict[str, int] = {}
        self.rss_after: dict[str, int] = {}
        self.pids: dict[str, list[int]] = {n: [] for n in self.replicas}

    # -- set-up and tear-down

    def start(self) -> None:
        self.relay.start()
        for name, replica in self.replicas.items():
            replica.start()
            assert replica.proc is not None
            self.pids[name].append(replica.proc.pid)
        self.haproxy.start()
        self.haproxy.wait_up(list(self.replicas))
        self.haproxy.watch(time.monotonic)
        docs = configurations(
            DEFAULT_SETTINGS,
            ca_bundle=(self.cert_dir / "ca.crt").read_bytes(),
            url=f"https://127.0.0.1:{self.cluster.webhook_port}",
        )
        for doc in docs:
            doc["metadata"]["name"] = NAME
        self.cluster.kubectl("apply", "-f", "-", input=yaml.safe_dump_all(docs))
        wait_for(lambda: self.holder() in ("replica-a", "replica-b"), what="a replica to hold the Lease", timeout=60)
        for ns in TENANT_NAMESPACES:
            self.cluster.wait_for_baseline(ns)

    def stop(self) -> None:
        self.cluster.kubectl(
            "delete", "mutatingwebhookconfiguration,validatingwebhookconfiguration", NAME, "--ignore-not-found",
            check=False,
        )  # fmt: skip
        self.client.close()
        for ns in self.probes:
            self.cluster.kubectl("delete", "namespace", ns, "--ignore-not-found", "--wait=false", check=False)
        self.haproxy.stop()
        for replica in self.replicas.values():
            replica.stop()
        self.relay.stop()

    # -- observations

    def holder(self) -> str:
        out = self.cluster.kubectl("get", *LEASE, "-o", "jsonpath={.spec.holderIdentity}", check=False)
        return out.stdout.strip() if out.returncode == 0 else ""

    def calibrate(self, timeout: float = 60) -> None:
        """Every case gets its expected verdict through kube-apiserver (which picks the configurations up from
        its informer a moment after they are applied): a load whose admitted cases are refused tests nothing."""
        last: dict[str, tuple[str, str]] = {}

        def all_as_expected() -> bool:
            for i, case in enumerate(self.cases):
                outcome, _, message = self.client.create(case, f"calibrate-{i}")
                last[case.name] = (outcome, message)
            return all(last[c.name][0] == c.expected for c in self.cases)

        try:
            wait_for(all_as_expected, what="every load case's verdict", timeout=timeout, interval=0.5)
        except AssertionError as err:
            raise AssertionError(f"{err}: {last}") from None

    def metric(self, name: str, path_filter: str = "") -> dict[str, float]:
        """One metric's value on each running replica (summed over the series matching `path_filter`)."""
        values: dict[str, float] = {}
        for replica_name, replica in self.replicas.items():
            if replica.proc is None:
                continue
            try:
                status, body = replica.get("/metrics", timeout=3)
            except OSError:
                continue
            if status != 200:
                continue
            pattern = rf"^{name}(\{{[^}}]*\}})? ([\d.e+-]+)$".encode()
            total = 0.0
            for match in re.finditer(pattern, body, re.M):
                if path_filter.encode() in (match.group(1) or b""):
                    total += float(match.group(2))
            values[replica_name] = total
        return values

    def reviews(self) -> dict[str, float]:
        return self.metric("tenantguard_admission_requests_total")

    def rss(self) -> dict[str, int]:
        return {n: _rss_kib(r.proc.pid) for n, r in self.replicas.items() if r.proc is not None}

    def serial(self, replica: WebhookProcess) -> int:
        """The serial of the certificate a replica presents to a new connection now."""
        with (
            socket.create_connection(("127.0.0.1", replica.port), timeout=5) as raw,
            replica.tls_context().wrap_socket(raw, server_hostname="127.0.0.1") as tls,
        ):
            der = tls.getpeercert(binary_form=True)
            assert der is not None
            return x509.load_der_x509_certificate(der).serial_number

    def generated(self) -> dict[str, list[str]]:
        """The reconciler's objects in each tenant namespace: kind/name, sorted (duplicates would show twice)."""
        found: dict[str, list[str]] = {}
        for ns in TENANT_NAMESPACES:
            items = self.cluster.get(
                "networkpolicies,resourcequotas,secrets", "-n", ns, "-l", "tenantguard.io/managed"
            )["items"]
            found[ns] = sorted(f"{o['kind']}/{o['metadata']['name']}" for o in items)
        return found

    def logs(self) -> dict[str, str]:
        files = {f"replica-{n}": r.log_file for n, r in self.replicas.items()}
        files["haproxy"] = self.haproxy.log_file
        return {name: path.read_text(errors="replace") for name, path in files.items()}

    # -- faults

    def kill_replica(self, load: Load, restart_after: float = 1.0) -> Fault:
        """Kill the Lease holder (SIGKILL), start it again `restart_after` later."""
        holder = self.holder()
        name = holder.removeprefix("replica-") if holder.startswith("replica-") else "a"
        replica = self.replicas[name]
        at, wall = load.now(), datetime.now(UTC)
        replica.kill()
        wait_for(
            lambda: self.haproxy.states().get(name, "").startswith("DOWN"),
            what=f"HAProxy to take replica {name} out",
            timeout=30,
            interval=0.05,
        )
        detected = load.now()
        time.sleep(max(0.0, at + restart_after - load.now()))
        replica.start()
        assert replica.proc is not None
        self.pids[name].append(replica.proc.pid)
        self.haproxy.wait_up([name], timeout=60)
        back = load.now()
        # The survivor takes the Lease once it has not been renewed for its duration, or the restarted replica
        # (same identity, as a restarted pod) renews it: either way a live replica renews it again.
        renewed = wait_for(
            lambda: load.now() if self.lease_renewed_after(wall) else None,
            what="a live replica to renew the Lease",
            interval=0.2,
        )
        return Fault(
            name="replica-kill",
            at=at,
            window_end=detected,
            recovered=detected - at,  # completed by `service_recovery` once the errors are known
            notes={
                "replica": name,
                "lease-holder-before": holder,
                "lease-holder-after": self.holder(),
                "out-of-rotation-s": round(detected - at, 2),
                "back-up-s": round(back - at, 2),
                "lease-renewed-s": round(renewed - at, 2),
            },
        )

    def lease_renewed_after(self, wall: datetime) -> bool:
        out = self.cluster.kubectl("get", *LEASE, "-o", "jsonpath={.spec.renewTime}", check=False)
        if out.returncode != 0 or not out.stdout.strip():
            return False
        return datetime.fromisoformat(out.stdout.strip().replace("Z", "+00:00")) > wall

    def rotate_certificate(self, load: Load) -> Fault:
        ca = pki.load_authority((self.cert_dir / "ca.crt").read_bytes(), (self.cert_dir / "ca.key").read_bytes())
        new = pki.issue_serving(ca, common_name="localhost", dns_names=("localhost",), ip_addresses=("127.0.0.1",))
        serial = x509.load_pem_x509_certificate(new.cert_pem).serial_number
        at = load.now()
        pki.write_private(self.cert_dir / "tls.key", new.key_pem)
        pki.write_public(self.cert_dir / "tls.crt", new.cert_pem)
        done = wait_for(
            lambda: load.now() if all(self.serial(r) == serial for r in self.replicas.values()) else None,
            what="both replicas to serve the new certificate",
            timeout=30,
            interval=0.1,
        )
        return Fault(name="cert-rotation", at=at, window_end=done, recovered=done - at)

    def _probe_namespace(self, load: Load, at: float, before: dict[str, float]) -> float:
        """Create a Namespace; the load-clock time at which both replicas' caches hold it."""
        name = f"load-probe-{secrets.token_hex(3)}"
        self.probes.append(name)
        self.cluster.kubectl("create", "namespace", name)

        def seen() -> float | None:
            now = self.metric("tenantguard_cache_objects", 'kind="namespaces"')
            if len(now) == len(self.replicas) and all(now[n] >= before[n] + 1 for n in self.replicas):
                return load.now()
            return None

        return wait_for(seen, what=f"both replicas' caches to see namespace {name}", timeout=60, interval=0.1)

    def cut_watches(self, load: Load) -> Fault:
        before = self.metric("tenantguard_cache_objects", 'kind="namespaces"')
        connections = self.relay.open_connections
        at = load.now()
        self.relay.close_all()
        done = self._probe_namespace(load, at, before)
        return Fault(
            name="watch-cut", at=at, window_end=at, recovered=done - at, notes={"connections-cut": connections}
        )

    def restart_apiserver(self, load: Load) -> Fault:
        before = self.metric("tenantguard_cache_objects", 'kind="namespaces"')
        at = load.now()
        devcluster.restart(self.cluster.state_dir, "kube-apiserver")
        healthy = load.now()
        done = self._probe_namespace(load, at, before)
        # kube-apiserver's own restart (seconds on a loaded machine) is not the webhook's: its recovery is the time
        # from the API server answering again until both caches have caught up.
        return Fault(
            name="apiserver-restart",
            at=at,
            window_end=healthy,
            recovered=done - healthy,
            notes={"apiserver-back-s": round(healthy - at, 2)},
        )


# ------------------------------------------------------------------------------------------------------ the run


@dataclass(slots=True, kw_only=True)
class Report:
    duration: float
    rate: float
    records: list[Record]
    faults: list[Fault]
    rss_before: dict[str, int]
    rss_after: dict[str, int]
    restarted: set[str]
    generated_before: dict[str, list[str]]
    generated_after: dict[str, list[str]]
    leaked: dict[str, list[str]]  # log name -> the test values found in it
    rotation: list[tuple[float, str, str]] = field(default_factory=list)  # HAProxy's (time, server, state) changes

    @property
    def wrong_allows(self) -> list[Record]:
        return [r for r in self.records if r.expected == DENIED and r.outcome == ALLOWED]

    @property
    def wrong_denies(self) -> list[Record]:
        return [r for r in self.records if r.expected == ALLOWED and r.outcome == DENIED]

    @property
    def errors(self) -> list[Record]:
        return [r for r in self.records if r.outcome not in (ALLOWED, DENIED)]

    def fault_of(self, record: Record, slack: float = 1.0) -> Fault | None:
        """The fault whose window the request overlaps (it was in flight while the fault was not yet mended)."""
        for fault in self.faults:
            if record.sent <= fault.window_end + slack and record.done >= fault.at:
                return fault
        return None

    def unexplained_errors(self) -> list[Record]:
        """Errors outside every fault window, or of a kind the fault does not explain: only a request no replica
        could answer may fail, as failurePolicy Fail's refusal; only an API server restart explains requests that
        never reached admission."""
        bad = []
        for r in self.errors:
            fault = self.fault_of(r)
            allowed = {WEBHOOK_FAILED} | (
                {APISERVER_DOWN, OTHER} if fault and fault.name == "apiserver-restart" else set()
            )
            if fault is None or r.outcome not in allowed:
                bad.append(r)
        return bad

    def service_recovery(self) -> None:
        """A fault's recovery includes its last error: the service answers every request again after it (an API
        server restart's errors are the API server's own, measured apart: `apiserver-back-s`)."""
        for fault in self.faults:
            if fault.name == "apiserver-restart":
                continue
            ends = [r.done for r in self.errors if self.fault_of(r) is fault]
            if ends:
                fault.recovered = max(fault.recovered, max(ends) - fault.at)

    def rss_change(self) -> dict[str, float]:
        """Relative RSS change of each replica that ran the whole load (a restarted one is a new process)."""
        return {
            n: (self.rss_after[n] - self.rss_before[n]) / self.rss_before[n]
            for n in self.rss_before
            if n not in self.restarted and n in self.rss_after
        }

    def summary(self) -> str:
        outcomes = Counter(r.outcome for r in self.records)
        lines = [
            f"load: {len(self.records)} requests in {self.duration:.1f} s at {self.rate:g}/s "
            f"({', '.join(f'{k} {v}' for k, v in sorted(outcomes.items()))})",
            f"wrong allows: {len(self.wrong_allows)}   wrong denies: {len(self.wrong_denies)}   "
            f"errors: {len(self.errors)} (failurePolicy Fail refusals {outcomes[WEBHOOK_FAILED]}, API server "
            f"unreachable {outcomes[APISERVER_DOWN]}, other {outcomes[OTHER]}; outside a fault window or of a kind "
            f"it does not explain: {len(self.unexplained_errors())})",
        ]
        for fault in self.faults:
            errs = [r for r in self.errors if self.fault_of(r) is fault]
            when = ", ".join(f"{r.sent - fault.at:+.2f}s" for r in errs[:10])
            notes = " ".join(f"{k}={v}" for k, v in fault.notes.items())
            lines.append(
                f"fault {fault.name:17s} at {fault.at:6.2f}s  recovered in {fault.recovered:5.2f}s  "
                f"errors {len(errs)}{' (sent at ' + when + ' from the fault)' if errs else ''}  {notes}"
            )
        changes = ", ".join(f"{at:.2f}s {server} {state}" for at, server, state in self.rotation)
        lines.append(f"HAProxy server states during the load: {changes or 'no change'}")
        for r in self.unexplained_errors()[:5]:
            lines.append(f"  unexplained: {r.sent:.2f}s {r.case} {r.outcome} {r.status}: {r.message[:200]}")
        for name in sorted(self.rss_before):
            after = self.rss_after.get(name, 0)
            change = self.rss_change().get(name)
            tail = f" ({change:+.1%})" if change is not None else " (restarted: a new process)"
            lines.append(f"RSS replica-{name}: {self.rss_before[name] / 1024:.1f} MiB -> {after / 1024:.1f} MiB{tail}")
        same = self.generated_before == self.generated_after
        count = sum(len(v) for v in self.generated_after.values())
        lines.append(f"generated objects: {count} after the run, {'unchanged' if same else 'CHANGED'}")
        lines.append(f"log lines with the test's secret or object contents: {sum(map(len, self.leaked.values()))}")
        return "\n".join(lines)


Step = Callable[[Rig, Load], Fault]
FAULTS: dict[str, Step] = {
    "replica-kill": Rig.kill_replica,
    "cert-rotation": Rig.rotate_certificate,
    "watch-cut": Rig.cut_watches,
    "apiserver-restart": Rig.restart_apiserver,
}


@contextmanager
def rig(cluster: DevCluster, work_dir: Path, *, settings: Path | None = None) -> Iterator[Rig]:
    r = Rig(cluster, work_dir, settings=settings)
    try:
        r.start()
        yield r
    finally:
        r.stop()


def run(
    r: Rig, *, duration: float, rate: float, faults: tuple[str, ...], warmup: float = 2.0, log: Callable[[str], None]
) -> Report:
    """Calibrate, warm up, measure RSS, run the load with `faults` spread over `duration` (each after the previous
    one has recovered), stop the load, measure again."""
    r.calibrate()
    warm = Load(r.client, r.cases, rate)
    warm.start()
    time.sleep(warmup)
    warm.stop()
    generated_before = r.generated()
    rss_before = r.rss()
    load = Load(r.client, r.cases, rate)
    done: list[Fault] = []
    load.start()
    log(f"load started at {rate:g}/s for {duration:g} s; faults: {', '.join(faults)}")
    try:
        for i, name in enumerate(faults):
            planned = duration * (i + 1) / (len(faults) + 1) - 1.0
            time.sleep(max(0.0, planned - load.now()))
            fault = FAULTS[name](r, load)
            log(f"{name} at {fault.at:.2f}s: recovered in {fault.recovered:.2f}s {fault.notes}")
            done.append(fault)
            time.sleep(1.0)  # one quiet second between faults
        time.sleep(max(0.0, duration - load.now()))
    finally:
        load.stop()
    elapsed = load.now()
    restarted = {n for n, pids in r.pids.items() if len(pids) > 1}
    with suppress(AssertionError):  # a difference that stays is reported (generated_after), not raised here
        wait_for(lambda: r.generated() == generated_before, what="the generated objects to settle", timeout=15)
    report = Report(
        duration=elapsed,
        rate=rate,
        records=sorted(load.records, key=lambda x: x.sent),
        faults=done,
        rss_before=rss_before,
        rss_after=r.rss(),
        restarted=restarted,
        generated_before=generated_before,
        generated_after=r.generated(),
        leaked={name: [v for v in (r.secret, r.content) if v in text] for name, text in r.logs().items()},
    )
    report.rotation = [
        (t.at - load.origin, t.server, t.state)
        for t in list(r.haproxy.transitions)
        if load.origin <= t.at <= load.origin + elapsed
    ]
    report.service_recovery()
    return report
