from pathlib import Path

import pytest

from tenantguard.devcluster import components
from tenantguard.devcluster.binaries import Binaries
from tenantguard.devcluster.layout import Layout, Ports

BINS = Binaries(directory=Path("/opt/k8s"), source="test")
LAYOUT = Layout(Path("/state"))
PORTS = Ports(
    etcd_client=2001, etcd_peer=2002, apiserver=2003, controller_manager=2004, scheduler=2005, kwok=2006, webhook=2007
)


def _flags(component: components.Component) -> dict[str, str]:
    return dict(arg.removeprefix("--").split("=", 1) for arg in component.argv[1:])


def test_apiserver_serves_securely_on_loopback_with_node_and_rbac() -> None:
    apiserver = components.kube_apiserver(BINS, LAYOUT, PORTS)
    flags = _flags(apiserver)
    assert apiserver.argv[0] == "/opt/k8s/kube-apiserver"
    assert flags["bind-address"] == "127.0.0.1"
    assert flags["secure-port"] == "2003"
    assert flags["etcd-servers"] == "http://127.0.0.1:2001"
    assert flags["authorization-mode"] == "Node,RBAC"
    assert flags["client-ca-file"] == "/state/pki/ca.crt"
    assert flags["service-account-signing-key-file"] == "/state/pki/sa.key"
    assert flags["admission-control-config-file"] == "/state/admission.yaml"
    assert not any(arg.startswith("--insecure") for arg in apiserver.argv)
    assert apiserver.health_url == "https://127.0.0.1:2003/readyz"


@pytest.mark.parametrize(
    "plugin",
    [
        "MutatingAdmissionWebhook",
        "ValidatingAdmissionWebhook",
        "PodSecurity",
        "ResourceQuota",
        "ValidatingAdmissionPolicy",
        "NamespaceLifecycle",
        "ServiceAccount",
        "NodeRestriction",
    ],
)
def test_apiserver_enables_admission_plugin(plugin: str) -> None:
    enabled = _flags(components.kube_apiserver(BINS, LAYOUT, PORTS))["enable-admission-plugins"].split(",")
    assert plugin in enabled


def test_etcd_listens_on_its_two_ports() -> None:
    flags = _flags(components.etcd(BINS, LAYOUT, PORTS))
    assert flags["listen-client-urls"] == "http://127.0.0.1:2001"
    assert flags["listen-peer-urls"] == "http://127.0.0.1:2002"
    assert flags["data-dir"] == "/state/etcd"


@pytest.mark.parametrize(
    ("build", "kubeconfig", "port"),
    [
        (components.kube_controller_manager, "/state/kube-controller-manager.kubeconfig", "2004"),
        (components.kube_scheduler, "/state/kube-scheduler.kubeconfig", "2005"),
    ],
    ids=["controller-manager", "scheduler"],
)
def test_apiserver_clients_have_own_identity_and_port(build: components.Builder, kubeconfig: str, port: str) -> None:
    flags = _flags(build(BINS, LAYOUT, PORTS))
    assert flags["kubeconfig"] == kubeconfig
    assert flags["secure-port"] == port
    assert flags["bind-address"] == "127.0.0.1"
    assert flags["leader-elect"] == "false"


def test_controller_manager_uses_service_account_credentials_and_signs_with_the_ca() -> None:
    flags = _flags(components.kube_controller_manager(BINS, LAYOUT, PORTS))
    assert flags["use-service-account-credentials"] == "true"
    assert flags["cluster-signing-key-file"] == "/state/pki/ca.key"


def test_kwok_manages_only_annotated_nodes_with_stages_from_its_config() -> None:
    kwok = components.kwok(BINS, LAYOUT, PORTS)
    flags = _flags(kwok)
    assert flags["manage-all-nodes"] == "false"
    assert flags["manage-nodes-with-annotation-selector"] == "kwok.x-k8s.io/node=fake"
    assert flags["config"] == "/state/kwok.yaml"
    assert flags["server-address"] == "127.0.0.1:2006"


def test_control_plane_starts_etcd_then_apiserver() -> None:
    names = [c.name for c in components.control_plane(BINS, LAYOUT, PORTS)]
    assert names == ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"]
