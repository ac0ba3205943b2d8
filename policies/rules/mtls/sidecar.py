"""The mTLS sidecar: which pods need it, what it looks like, and how to find it in a pod spec.

Which pods: every pod of a model-serving kind (InferenceService, LLMInferenceService, LeaderWorkerSet,
Ray), and every pod template that listens — a declared container port, a readiness, liveness or startup
probe on a port (`httpGet`, `tcpSocket`, `grpc`), or a container running a model server of the CLI table
(`serving/servers.py`: `vllm serve`, `text-generation-launcher`, `tritonserver`, … as its command, inside
`sh -c`, or as its image's entrypoint), which listens on its port flag or its default port whether or
not a port is declared. On UPDATE, a pod whose old version had the sidecar keeps needing it: dropping the
port and the sidecar together is not a way out. ServingRuntimes are skipped: KServe's runtime pod spec has
no `initContainers`; their pods are the InferenceService's, which gets the sidecar.

The sidecar is a native sidecar (an init container with `restartPolicy: Always`) running ghostunnel
(`settings.mtls.image`, v1.11.1 by default; flags as that release defines them):

    server --listen=:8443 --target=127.0.0.1:<app port>
           --cert=/etc/tenantguard/tls/tls.crt --key=/etc/tenantguard/tls/tls.key --cacert=/etc/tenantguard/tls/ca.crt
           --allow-uri=spiffe://tenantguard.io/tenant/<tenant>
           --allow-uri=spiffe://tenantguard.io/gateway/<ns>     (one per `settings.gatewayNamespaces`)
           --timed-reload=30s

It listens on every address (IPv4 and IPv6) on `settings.mtls.port` and requires a client certificate signed by
a CA in `ca.crt` (the tenant's trust bundle) whose URI SAN is the tenant's workload identity or a gateway
namespace's identity (`webhook/workload_pki.py` issues both); TLS 1.2 is ghostunnel's fixed minimum. It forwards
to the app's first declared container port on 127.0.0.1 (else the port of its probe or its server's port flag or
default; 8080, KServe's default, when nothing tells) — a loopback target, so no `--unsafe-target`.
`--timed-reload` re-reads the three files every 30 s: kubelet swaps a mounted Secret's files atomically but sends
no signal, and ghostunnel keeps serving the loaded pair until a reload reads a matching one (a reload that catches
a half-swapped pair fails and keeps the old), so a renewal never refuses a handshake. No `--status`: it would be a
plaintext port beside the mTLS one. ghostunnel's landlock sandbox reads the certificate directory (and kubelet's
`..data` targets inside it).
Its certificate is the namespace's workload certificate Secret, mounted read-only from the volume
`tenantguard-mtls-certs`. It passes `restricted` on its own: built-in Pod Security runs after the
mutating webhooks, so an injected container that failed it would block the tenant's pod.
"""

from __future__ import annotations

from collections.abc import Iterator

from tenantguard.policies.model import Obj
from tenantguard.policies.rules.mtls.listening import listening_port
from tenantguard.policies.settings import Settings
from tenantguard.policies.subjects import SERVING_KINDS, PodTemplate, Subject
from tenantguard.policies.visit import ContainerRef, containers

VOLUME = "tenantguard-mtls-certs"
CERT_DIR = "/etc/tenantguard/tls"
# ghostunnel flags naming the workload certificate, its key and the tenant CA.
CERT_FLAGS = {
    "--cert": f"{CERT_DIR}/tls.crt", "--key": f"{CERT_DIR}/tls.key", "--cacert": f"{CERT_DIR}/ca.crt",
}  # fmt: skip
DEFAULT_APP_PORT = 8080
# How often ghostunnel re-reads its certificate files (kubelet's Secret updates reach them within about a minute).
RELOAD_INTERVAL = "30s"
# Their pod spec has no initContainers; KServe builds the pods from the InferenceService.
RUNTIME_KINDS = frozenset({"ServingRuntime", "ClusterServingRuntime"})
# Their pod template cannot change after creation: an UPDATE can neither get nor be denied for a sidecar.
FIXED_TEMPLATE_KINDS = frozenset({"Pod", "Job"})


def settled(subject: Subject, operation: str) -> bool:
    """True for an UPDATE of a Pod or Job: its pod spec was judged, and injected, at creation."""
    return operation == "UPDATE" and subject.kind in FIXED_TEMPLATE_KINDS


def spiffe_id(tenant: str) -> str:
    """The tenant's workload identity: the URI SAN of its workload certificates."""
    return f"spiffe://tenantguard.io/tenant/{tenant}"


def gateway_spiffe_id(gateway_namespace: str) -> str:
    """The client identity a platform gateway namespace presents to tenants' sidecars."""
    return f"spiffe://tenantguard.io/gateway/{gateway_namespace}"


def allowed_uris(settings: Settings, tenant: str) -> tuple[str, ...]:
    """The client identities the tenant's sidecars admit: the tenant's own, then each gateway namespace's."""
    return (spiffe_id(tenant), *(gateway_spiffe_id(ns) for ns in settings.gateway_namespaces))


def app_port(pod: PodTemplate, sidecar_name: str) -> int | None:
    """The first declared port of an app container (or of a tenant's own native sidecar)."""
    # Memoised: the injector, MTLS001 and MTLS002 each ask, some twice, for every pod.
    key = ("mtls-app-port", sidecar_name)
    memo = pod.memo.get(key)
    if memo is None:
        memo = pod.memo[key] = (_app_port(pod, sidecar_name),)
    port: int | None = memo[0]
    return port


def _app_port(pod: PodTemplate, sidecar_name: str) -> int | None:
    refs = [
        ref
        for ref in (*containers(pod, ("containers",)), *containers(pod, ("initContainers",)))
        if ref.field != "initContainers" or (ref.is_sidecar and ref.name != sidecar_name)
    ]
    for ref in refs:
        ports = ref.container.get("ports")
        for port in ports if isinstance(ports, list) else ():
            number = port.get("containerPort") if isinstance(port, dict) else None
            if isinstance(number, int) and not isinstance(number, bool):
                return number
    for ref in refs:
        listens = listening_port(ref)
        if listens is not None:
            return listens or DEFAULT_APP_PORT
    return None


def had_sidecar(pod: PodTemplate, old: Obj | None, namespace: str, name: str) -> bool:
    """The old object (an UPDATE's) had the sidecar in the pod at the same path."""
    if old is None:
        return False
    before = next((p for p in Subject.of(old, namespace).pods if p.path == pod.path), None)
    return before is not None and sidecar_ref(before, name) is not None


def needs_mtls(subject: Subject, pod: PodTemplate, sidecar_name: str, old: Obj | None = None) -> bool:
    if subject.kind in RUNTIME_KINDS:
        return False
    return (
        subject.kind in SERVING_KINDS
        or app_port(pod, sidecar_name) is not None
        or had_sidecar(pod, old, subject.namespace, sidecar_name)
    )


def sidecar_ref(pod: PodTemplate, name: str) -> ContainerRef | None:
    return next((c for c in containers(pod, ("initContainers",)) if c.container.get("name") == name), None)


def sidecar_args(settings: Settings, tenant: str, target_port: int) -> list[str]:
    return [
        "server",
        f"--listen=:{settings.mtls.port}",
        f"--target=127.0.0.1:{target_port}",
        *(f"{flag}={path}" for flag, path in CERT_FLAGS.items()),
        *(f"--allow-uri={uri}" for uri in allowed_uris(settings, tenant)),
        f"--timed-reload={RELOAD_INTERVAL}",
    ]


def sidecar_container(settings: Settings, tenant: str, target_port: int) -> Obj:
    mtls = settings.mtls
    return {
        "name": mtls.container_name,
        "image": mtls.image,
        "restartPolicy": "Always",
        "args": sidecar_args(settings, tenant, target_port),
        "ports": [{"name": "mtls", "containerPort": mtls.port, "protocol": "TCP"}],
        "volumeMounts": [{"name": VOLUME, "mountPath": CERT_DIR, "readOnly": True}],
        "resources": {
            "requests": {"cpu": "10m", "memory": "32Mi"},
            "limits": {"cpu": "500m", "memory": "128Mi"},
        },
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 65532,
            "runAsGroup": 65532,
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
    }


def expected_sidecar(pod: PodTemplate, settings: Settings, tenant: str) -> Obj:
    return sidecar_container(settings, tenant, app_port(pod, settings.mtls.container_name) or DEFAULT_APP_PORT)


def flags(args: list[object]) -> Iterator[tuple[int, str, str]]:
    """(index, flag, value) of each `--flag=value` and `--flag value` in a sidecar's args."""
    for i, arg in enumerate(args):
        if isinstance(arg, str) and arg.startswith("--"):
            flag, eq, value = arg.partition("=")
            nxt = args[i + 1] if i + 1 < len(args) else ""
            yield i, flag, value if eq else (nxt if isinstance(nxt, str) and not nxt.startswith("--") else "")
