"""Command lines of the control-plane components: pure functions of binaries, layout and ports.

Flags follow kwokctl's binary runtime (sigs.k8s.io/kwok pkg/kwokctl/components) and envtest
(controller-runtime pkg/internal/testing/controlplane), with what this project needs on top:
Node,RBAC authorization, the admission plugins tenant policies rely on, and one identity per
component as kubeadm does, so RBAC denials in tests are real ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tenantguard.devcluster.binaries import Binaries
from tenantguard.devcluster.layout import HOST, Layout, Ports

SERVICE_CIDR = "10.96.0.0/16"
SERVICE_ACCOUNT_ISSUER = "https://kubernetes.default.svc.cluster.local"

# The defaults of a kubeadm cluster plus the three this project is about (webhooks, PodSecurity,
# ResourceQuota, ValidatingAdmissionPolicy), named rather than implied so a reader sees them.
ADMISSION_PLUGINS = (
    "NamespaceLifecycle",
    "LimitRanger",
    "ServiceAccount",
    "NodeRestriction",
    "TaintNodesByCondition",
    "Priority",
    "DefaultTolerationSeconds",
    "DefaultStorageClass",
    "StorageObjectInUseProtection",
    "PersistentVolumeClaimResize",
    "RuntimeClass",
    "CertificateApproval",
    "CertificateSigning",
    "CertificateSubjectRestriction",
    "DefaultIngressClass",
    "PodSecurity",
    "MutatingAdmissionWebhook",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionWebhook",
    "ResourceQuota",
)
HEALTH_PATHS = "/healthz,/readyz,/livez,/metrics"

# The annotation KWOK selects its nodes by; nodes without it are left to a real kubelet.
KWOK_NODE_ANNOTATION = "kwok.x-k8s.io/node"
KWOK_NODE_ANNOTATION_VALUE = "fake"
KWOK_NODE_LEASE_SECONDS = 40


@dataclass(frozen=True, slots=True, kw_only=True)
class Component:
    name: str
    argv: tuple[str, ...]
    port: int
    health_url: str


Builder = Callable[[Binaries, Layout, Ports], Component]


def _url(port: int, path: str) -> str:
    return f"https://{HOST}:{port}{path}"


def etcd(binaries: Binaries, layout: Layout, ports: Ports) -> Component:
    client = f"http://{HOST}:{ports.etcd_client}"
    peer = f"http://{HOST}:{ports.etcd_peer}"
    return Component(
        name="etcd",
        port=ports.etcd_client,
        health_url=f"{client}/health",
        argv=(
            str(binaries.path("etcd")),
            "--name=node0",
            f"--data-dir={layout.etcd_data}",
            f"--listen-client-urls={client}",
            f"--advertise-client-urls={client}",
            f"--listen-peer-urls={peer}",
            f"--initial-advertise-peer-urls={peer}",
            f"--initial-cluster=node0={peer}",
            "--auto-compaction-retention=1",
            "--quota-backend-bytes=8589934592",
            # A throwaway cluster: durability buys nothing, fsync costs seconds on slow disks.
            "--unsafe-no-fsync=true",
            "--log-level=warn",
        ),
    )


def kube_apiserver(binaries: Binaries, layout: Layout, ports: Ports) -> Component:
    pki = layout.pki
    return Component(
        name="kube-apiserver",
        port=ports.apiserver,
        health_url=_url(ports.apiserver, "/readyz"),
        argv=(
            str(binaries.path("kube-apiserver")),
            f"--etcd-servers=http://{HOST}:{ports.etcd_client}",
            f"--bind-address={HOST}",
            f"--advertise-address={HOST}",
            f"--secure-port={ports.apiserver}",
            f"--cert-dir={pki}",
            f"--tls-cert-file={pki / 'serving.crt'}",
            f"--tls-private-key-file={pki / 'serving.key'}",
            f"--client-ca-file={layout.ca_file}",
            f"--service-account-issuer={SERVICE_ACCOUNT_ISSUER}",
            f"--service-account-key-file={pki / 'sa.pub'}",
            f"--service-account-signing-key-file={pki / 'sa.key'}",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            "--authorization-mode=Node,RBAC",
            f"--enable-admission-plugins={','.join(ADMISSION_PLUGINS)}",
            # kube-apiserver's client certificate for the webhook on Ports.webhook (webhook_client.py)
            f"--admission-control-config-file={layout.admission_config}",
            "--allow-privileged=true",
            "--profiling=false",
            # The "kubernetes" Service's endpoint would be 127.0.0.1, which Endpoints validation rejects
            # (every 10 s, as a logged error); nothing in a simulated cluster dials it anyway.
            "--endpoint-reconciler-type=none",
            # Front-proxy identity, so aggregated API servers registered in tests can authenticate us.
            f"--proxy-client-cert-file={pki / 'front-proxy-client.crt'}",
            f"--proxy-client-key-file={pki / 'front-proxy-client.key'}",
            f"--requestheader-client-ca-file={layout.ca_file}",
            "--requestheader-allowed-names=front-proxy-client",
            "--requestheader-username-headers=X-Remote-User",
            "--requestheader-group-headers=X-Remote-Group",
            "--requestheader-extra-headers-prefix=X-Remote-Extra-",
        ),
    )


def _delegating(layout: Layout, component: str, port: int) -> tuple[str, ...]:
    """Flags shared by controller-manager and scheduler: kubeconfig and a loopback secure port."""
    kubeconfig = layout.component_kubeconfig(component)
    return (
        f"--kubeconfig={kubeconfig}",
        f"--authentication-kubeconfig={kubeconfig}",
        f"--authorization-kubeconfig={kubeconfig}",
        f"--authorization-always-allow-paths={HEALTH_PATHS}",
        f"--bind-address={HOST}",
        f"--secure-port={port}",
        f"--tls-cert-file={layout.pki / 'serving.crt'}",
        f"--tls-private-key-file={layout.pki / 'serving.key'}",
        # One instance per cluster: waiting to acquire a lease would only delay startup.
        "--leader-elect=false",
    )


def kube_controller_manager(binaries: Binaries, layout: Layout, ports: Ports) -> Component:
    pki = layout.pki
    return Component(
        name="kube-controller-manager",
        port=ports.controller_manager,
        health_url=_url(ports.controller_manager, "/healthz"),
        argv=(
            str(binaries.path("kube-controller-manager")),
            *_delegating(layout, "kube-controller-manager", ports.controller_manager),
            "--use-service-account-credentials=true",
            f"--root-ca-file={layout.ca_file}",
            f"--service-account-private-key-file={pki / 'sa.key'}",
            f"--cluster-signing-cert-file={layout.ca_file}",
            f"--cluster-signing-key-file={pki / 'ca.key'}",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            "--kube-api-qps=1000",
            "--kube-api-burst=1000",
        ),
    )


def kube_scheduler(binaries: Binaries, layout: Layout, ports: Ports) -> Component:
    return Component(
        name="kube-scheduler",
        port=ports.scheduler,
        health_url=_url(ports.scheduler, "/healthz"),
        argv=(
            str(binaries.path("kube-scheduler")),
            *_delegating(layout, "kube-scheduler", ports.scheduler),
            "--kube-api-qps=1000",
            "--kube-api-burst=1000",
        ),
    )


def kwok(binaries: Binaries, layout: Layout, ports: Ports) -> Component:
    """KWOK as the kubelets of nodes carrying the kwok annotation (kwokctl's binary runtime)."""
    return Component(
        name="kwok",
        port=ports.kwok,
        health_url=_url(ports.kwok, "/healthz"),
        argv=(
            str(binaries.path("kwok")),
            f"--kubeconfig={layout.component_kubeconfig('kwok')}",
            f"--config={layout.kwok_config}",
            "--manage-all-nodes=false",
            f"--manage-nodes-with-annotation-selector={KWOK_NODE_ANNOTATION}={KWOK_NODE_ANNOTATION_VALUE}",
            f"--tls-cert-file={layout.pki / 'serving.crt'}",
            f"--tls-private-key-file={layout.pki / 'serving.key'}",
            f"--node-ip={HOST}",
            f"--node-port={ports.kwok}",
            f"--server-address={HOST}:{ports.kwok}",
            f"--node-lease-duration-seconds={KWOK_NODE_LEASE_SECONDS}",
        ),
    )


def control_plane(binaries: Binaries, layout: Layout, ports: Ports) -> tuple[Component, ...]:
    """In start order: etcd, apiserver, then the three clients of the apiserver."""
    builders: tuple[Builder, ...] = (etcd, kube_apiserver, kube_controller_manager, kube_scheduler, kwok)
    return tuple(build(binaries, layout, ports) for build in builders)
