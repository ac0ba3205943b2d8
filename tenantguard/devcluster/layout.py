"""The state directory's layout and the loopback ports a cluster uses.

Ports are asked of the kernel (bind to port 0) unless pinned through the environment, so a test
run's cluster and a user's cluster coexist. The state file records them; everything else about a
running cluster can be recomputed from the directory.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

STATE_DIR_ENV = "TENANTGUARD_DEVCLUSTER_DIR"
HOST = "127.0.0.1"
PORT_ENV_PREFIX = "TENANTGUARD_DEVCLUSTER_PORT_"  # e.g. TENANTGUARD_DEVCLUSTER_PORT_APISERVER=6443


def default_state_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get(STATE_DIR_ENV):
        return Path(env[STATE_DIR_ENV]).expanduser()
    return Path(env.get("HOME", "~")).expanduser() / ".cache" / "tenantguard" / "dev-cluster"


@dataclass(frozen=True, slots=True, kw_only=True)
class Ports:
    etcd_client: int
    etcd_peer: int
    apiserver: int
    controller_manager: int
    scheduler: int
    kwok: int
    # Not a component's: the port of the webhook kube-apiserver presents its client certificate to (an admission
    # configuration names a webhook by host:port, read once at start; webhook_client.py).
    webhook: int = 0  # 0 in the state of a cluster started before there was one

    @classmethod
    def allocate(cls, env: Mapping[str, str] | None = None) -> Ports:
        env = os.environ if env is None else env
        names = [f for f in cls.__dataclass_fields__]
        pinned = {
            name: int(env[PORT_ENV_PREFIX + name.upper()]) for name in names if env.get(PORT_ENV_PREFIX + name.upper())
        }
        free = free_ports(len(names) - len(pinned), exclude=set(pinned.values()))
        values = {name: pinned[name] if name in pinned else free.pop() for name in names}
        return cls(**values)


def free_ports(count: int, *, exclude: Collection[int] = ()) -> list[int]:
    """Distinct free loopback ports. Sockets stay open until all are chosen so none repeats."""
    sockets: list[socket.socket] = []
    ports: list[int] = []
    try:
        while len(ports) < count:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sockets.append(sock)
            sock.bind((HOST, 0))
            port = int(sock.getsockname()[1])
            if port not in exclude:
                ports.append(port)
    finally:
        for sock in sockets:
            sock.close()
    return ports


@dataclass(frozen=True, slots=True)
class Layout:
    """Paths inside one state directory."""

    root: Path

    @property
    def pki(self) -> Path:
        return self.root / "pki"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def run(self) -> Path:
        return self.root / "run"

    @property
    def etcd_data(self) -> Path:
        return self.root / "etcd"

    @property
    def state_file(self) -> Path:
        return self.root / "cluster.json"

    @property
    def kubeconfig(self) -> Path:
        return self.root / "admin.kubeconfig"

    @property
    def user_kubeconfig(self) -> Path:
        return self.root / "alice.kubeconfig"

    @property
    def users(self) -> Path:
        """Kubeconfigs of further developers (`tenantguard dev-cluster user NAME`)."""
        return self.root / "users"

    @property
    def ca_file(self) -> Path:
        return self.pki / "ca.crt"

    @property
    def kwok_config(self) -> Path:
        return self.root / "kwok.yaml"

    @property
    def admission_config(self) -> Path:
        """kube-apiserver's --admission-control-config-file."""
        return self.root / "admission.yaml"

    @property
    def webhook_client_kubeconfig(self) -> Path:
        """The credentials kube-apiserver presents to webhooks (named by the admission configuration)."""
        return self.root / "webhook-client.kubeconfig"

    @property
    def webhook_client_ca(self) -> Path:
        """The CA a webhook trusts for kube-apiserver's client certificate (`serve --client-ca`)."""
        return self.pki / "webhook-client-ca.crt"

    def component_kubeconfig(self, component: str) -> Path:
        return self.root / f"{component}.kubeconfig"

    def log(self, component: str) -> Path:
        return self.logs / f"{component}.log"

    def pid_file(self, component: str) -> Path:
        return self.run / f"{component}.pid"


@dataclass(frozen=True, slots=True, kw_only=True)
class State:
    """What ``up`` recorded about the running cluster (``cluster.json``)."""

    provider: str
    server: str
    bin_dir: str
    ports: dict[str, int]

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def load(cls, path: Path) -> State | None:
        try:
            raw = json.loads(path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        return cls(
            provider=raw["provider"],
            server=raw["server"],
            bin_dir=raw["bin_dir"],
            ports={str(k): int(v) for k, v in raw.get("ports", {}).items()},
        )
