"""The mTLS sidecar: which pods need it, what it looks like, and how to find it in a pod spec.

Which pods: every pod of a model-serving kind (InferenceService, LLMInferenceService, LeaderWorkerSet,
Ray), and every pod template that listens — a declared container port, a readiness, liveness or startup
probe on a port (`httpGet`, `tcpSocket`, `grpc`), or a container running a model server of the CLI table
(`serving/servers.py`: `vllm serve`, `text-generation-launcher`, `tritonserver`, … as its command, inside
`sh -c`, or as its image's entrypoint), which listens on its port flag or its default port whether or
not a port is declared. On UPDATE, a pod whose old version had the sidecar keeps needing it: dropping the
port and the sidecar together is not a way out. ServingRuntimes are skipped: KServe's runtime pod spec has
no `initContainers`; their pods are the InferenceService's, which gets the sidecar.

The sidecar is a native sidecar (an init container with `restartPolicy: Always`) running a
ghostunnel-style TLS proxy (`ghostunnel server --listen … --target … --cert … --key … --cacert …
--allow-uri …`): it listens on `settings.mtls.port`, accepts only clients whose certificate carries the
tenant's SPIFFE URI (`spiffe://tenantguard.io/tenant/<tenant>`) signed by the tenant CA, and forwards to
the app's first declared container port on 127.0.0.1 (else the port of its probe or its server's port flag
or default; 8080, KServe's default, when nothing tells).
Its certificate is the namespace's workload certificate Secret, mounted read-only from the volume
`tenantguard-mtls-certs`. It passes `restricted` on its own: built-in Pod Security runs after the
mutating webhooks, so an injected container that failed it would block the tenant's pod.
"""

from __future__ import annotations

from collections.abc import Iterator

from tenantguard.policies.model import Obj
from tenantguard.policies.rules.mtls.listening import listening_port
from tenantguard.policies.settings import MtlsSidecar
from tenantguard.policies.subjects import SERVING_KINDS, PodTemplate, Subject
from tenantguard.policies.visit import ContainerRef, containers

VOLUME = "tenantguard-mtls-certs"
CERT_DIR = "/etc/tenantguard/tls"
# ghostunnel flags naming the workload certificate, its key and the tenant CA.
CERT_FLAGS = {
    "--cert": f"{CERT_DIR}/tls.crt", "--key": f"{CERT_DIR}/tls.key", "--cacert": f"{CERT_DIR}/ca.crt",
}  # fmt: skip
DEFAULT_APP_PORT = 8080
# Their pod spec has no initContainers; KServe builds the pods from the InferenceService.
RUNTIME_KINDS = frozenset({"ServingRuntime", "ClusterServingRuntime"})
# Their pod template cannot change after creation: an UPDATE can neither get nor be denied for a sidecar.
FIXED_TEMPLATE_KINDS = frozenset({"Pod", "Job"})


def settled(subject: Subject, operation: str) -> bool:
    """True for an UPDATE of a Pod or Job: its pod spec was judged, and injected, at creation."""
    return operation == "UPDATE" and subject.kind in FIXED_TEMPLATE_KINDS


def spiffe_id(tenant: str) -> str:
    return f"spiffe://tenantguard.io/tenant/{tenant}"


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


def sidecar_args(settings: MtlsSidecar, tenant: str, target_port: int) -> list[str]:
    return [
        "server",
        f"--listen=0.0.0.0:{settings.port}",
        f"--target=127.0.0.1:{target_port}",
        *(f"{flag}={path}" for flag, path in CERT_FLAGS.items()),
        f"--allow-uri={spiffe_id(tenant)}",
    ]


def sidecar_container(settings: MtlsSidecar, tenant: str, target_port: int) -> Obj:
    return {
        "name": settings.container_name,
        "image": settings.image,
        "restartPolicy": "Always",
        "args": sidecar_args(settings, tenant, target_port),
        "ports": [{"name": "mtls", "containerPort": settings.port, "protocol": "TCP"}],
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


def expected_sidecar(pod: PodTemplate, settings: MtlsSidecar, tenant: str) -> Obj:
    return sidecar_container(settings, tenant, app_port(pod, settings.container_name) or DEFAULT_APP_PORT)


def flags(args: list[object]) -> Iterator[tuple[int, str, str]]:
    """(index, flag, value) of each `--flag=value` and `--flag value` in a sidecar's args."""
    for i, arg in enumerate(args):
        if isinstance(arg, str) and arg.startswith("--"):
            flag, eq, value = arg.partition("=")
            nxt = args[i + 1] if i + 1 < len(args) else ""
            yield i, flag, value if eq else (nxt if isinstance(nxt, str) and not nxt.startswith("--") else "")
