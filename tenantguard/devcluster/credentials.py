"""Everything ``up`` writes before the first process starts: PKI, kubeconfigs, KWOK's config.

Identities follow kubeadm: the controller-manager and scheduler act as ``system:kube-controller-manager``
and ``system:kube-scheduler`` (bootstrap RBAC grants them exactly their needs); KWOK, which updates
the status of many nodes at once, is in ``system:masters`` as kwokctl runs it; the tenant developer
``alice`` (group ``acme-devs``) has no bindings at all until a test grants some.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tenantguard.devcluster import kubeconfig, kwok, webhook_client
from tenantguard.devcluster.layout import HOST, Layout
from tenantguard.webhook import pki

# Names the apiserver answers to in-cluster as well as on loopback.
APISERVER_DNS_NAMES = (
    "localhost",
    "kubernetes",
    "kubernetes.default",
    "kubernetes.default.svc",
    "kubernetes.default.svc.cluster.local",
)
CLUSTER_NAME = "tenantguard-dev"
ADMIN_USER = "tenantguard-admin"
TENANT_USER = "alice"
TENANT_GROUP = "acme-devs"


@dataclass(frozen=True, slots=True, kw_only=True)
class Identity:
    user: str
    groups: tuple[str, ...] = ()


# kubeconfig file stem -> who it authenticates as
COMPONENT_IDENTITIES = {
    "kube-controller-manager": Identity(user="system:kube-controller-manager"),
    "kube-scheduler": Identity(user="system:kube-scheduler"),
    "kwok": Identity(user="kwok-controller", groups=("system:masters",)),
}


def write_all(layout: Layout, server: str, webhook_port: int) -> None:
    layout.root.mkdir(parents=True, exist_ok=True)
    layout.root.chmod(0o700)
    ca = pki.new_authority("tenantguard-dev-cluster-ca")
    pki.write_pair(layout.pki, "ca", pki.KeyPair(cert_pem=ca.cert_pem, key_pem=ca.key_pem))
    # One loopback serving certificate for every component: they all listen on 127.0.0.1 only.
    serving = pki.issue_serving(
        ca, common_name="kube-apiserver", dns_names=APISERVER_DNS_NAMES, ip_addresses=(HOST, "10.96.0.1")
    )
    pki.write_pair(layout.pki, "serving", serving)
    signing = pki.new_signing_key()
    pki.write_public(layout.pki / "sa.pub", signing.cert_pem)
    pki.write_private(layout.pki / "sa.key", signing.key_pem)
    pki.write_pair(layout.pki, "front-proxy-client", pki.issue_client(ca, user="front-proxy-client"))

    def write_kubeconfig(path_stem: str, identity: Identity) -> None:
        pair = pki.issue_client(ca, user=identity.user, groups=identity.groups)
        pki.write_pair(layout.pki, path_stem, pair)
        text = kubeconfig.render(
            cluster=CLUSTER_NAME,
            server=server,
            ca_pem=ca.cert_pem,
            user=identity.user,
            cert_pem=pair.cert_pem,
            key_pem=pair.key_pem,
        )
        target = layout.root / f"{path_stem}.kubeconfig"
        pki.write_private(target, text.encode())

    write_kubeconfig("admin", Identity(user=ADMIN_USER, groups=("system:masters",)))
    write_kubeconfig(TENANT_USER, Identity(user=TENANT_USER, groups=(TENANT_GROUP,)))
    for component, identity in COMPONENT_IDENTITIES.items():
        write_kubeconfig(component, identity)
    kwok.write_config(layout.kwok_config)
    webhook_client.write(layout, webhook_port)


def write_user(layout: Layout, server: str, user: str, groups: tuple[str, ...]) -> Path:
    """A kubeconfig for another developer (`users/<user>.kubeconfig`), signed by the cluster CA: the API
    server reads the user from the certificate's CN and the groups from O, as for alice."""
    ca = pki.load_authority((layout.pki / "ca.crt").read_bytes(), (layout.pki / "ca.key").read_bytes())
    pair = pki.issue_client(ca, user=user, groups=groups)
    text = kubeconfig.render(
        cluster=CLUSTER_NAME, server=server, ca_pem=ca.cert_pem, user=user, cert_pem=pair.cert_pem, key_pem=pair.key_pem
    )
    target = layout.users / f"{user}.kubeconfig"
    pki.write_private(target, text.encode())
    return target
