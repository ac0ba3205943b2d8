"""The KWOK provider: bring the control plane up, report on it, take it down.

``up`` is idempotent: on a healthy cluster it returns at once; leftovers of a dead one (a reboot,
a killed test run) are cleaned away first. Every wait watches the processes it waits on, so a
component that dies fails ``up`` at once with its log's tail instead of at the timeout.
"""

from __future__ import annotations

import functools
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tenantguard.devcluster import binaries as binaries_module
from tenantguard.devcluster import components, credentials, dra, processes
from tenantguard.devcluster.api import ApiError, Client
from tenantguard.devcluster.layout import HOST, Layout, Ports, State
from tenantguard.devcluster.nodes import DEFAULT_NODES

PROVIDER = "kwok"
Check = Callable[[], str | None]  # None when satisfied, else what is still missing


@dataclass(frozen=True, slots=True, kw_only=True)
class ClusterInfo:
    """How to reach a running cluster."""

    state_dir: Path
    kubeconfig: Path
    user_kubeconfig: Path
    server: str
    ca_file: Path
    bin_dir: Path
    webhook_port: int  # kube-apiserver presents its client certificate to a webhook here (webhook_client.py)
    webhook_client_ca: Path  # which signed it: what such a webhook trusts (`serve --client-ca`)

    @property
    def kubectl(self) -> Path:
        return self.bin_dir / "kubectl"


@dataclass(frozen=True, slots=True, kw_only=True)
class ComponentStatus:
    name: str
    pid: int | None
    port: int | None
    health: str  # "ok", "not running" or the probe's failure


def _admin_client(layout: Layout) -> Client:
    pki = layout.pki
    return Client(ca_file=layout.ca_file, cert_file=pki / "admin.crt", key_file=pki / "admin.key")


def _info(layout: Layout, state: State) -> ClusterInfo:
    return ClusterInfo(
        state_dir=layout.root,
        kubeconfig=layout.kubeconfig,
        user_kubeconfig=layout.user_kubeconfig,
        server=state.server,
        ca_file=layout.ca_file,
        bin_dir=Path(state.bin_dir),
        webhook_port=state.ports.get("webhook", 0),
        webhook_client_ca=layout.webhook_client_ca,
    )


def _components(layout: Layout, state: State) -> tuple[components.Component, ...]:
    bins = binaries_module.Binaries(directory=Path(state.bin_dir), source="state")
    return components.control_plane(bins, layout, Ports(**state.ports))


def status(state_dir: Path) -> list[ComponentStatus]:
    layout = Layout(state_dir)
    state = State.load(layout.state_file)
    if state is None:
        return []
    client = _admin_client(layout)
    result = []
    for component in _components(layout, state):
        pid = processes.running_pid(layout, component.name, component.argv[0])
        health = "not running" if pid is None else (client.probe(component.health_url) or "ok")
        result.append(ComponentStatus(name=component.name, pid=pid, port=component.port, health=health))
    return result


def running(state_dir: Path) -> ClusterInfo | None:
    """The cluster in ``state_dir`` if every component runs and answers its health check."""
    layout = Layout(state_dir)
    state = State.load(layout.state_file)
    if state is None or state.provider != PROVIDER:
        return None
    if all(s.health == "ok" for s in status(state_dir)):
        return _info(layout, state)
    return None


def _wait(layout: Layout, checks: dict[str, Check], watched: dict[str, tuple[int, str]], timeout: float) -> None:
    """Poll ``checks`` until all pass; fail at once if a watched process (name -> pid, binary) dies."""
    deadline = time.monotonic() + timeout
    pending = dict(checks)
    reasons: dict[str, str] = {}
    while True:
        for name, (pid, binary) in watched.items():
            if not processes.is_running(pid, binary):
                how = processes.exit_status(pid)
                problem = processes.describe_failure(layout, name, f"{how} during startup")
                raise processes.ComponentError(problem)
        for name, check in list(pending.items()):
            reason = check()
            if reason is None:
                del pending[name]
            else:
                reasons[name] = reason
        if not pending:
            return
        if time.monotonic() > deadline:
            name = next(iter(pending))
            problem = f'"{name}" still unmet after {timeout:.0f}s ({reasons.get(name, "no answer")})'
            # A check is named after the component whose log explains it: "kwok nodes Ready".
            owner = name.split()[0]
            raise processes.ComponentError(processes.describe_failure(layout, owner, problem))
        time.sleep(0.1)


def _nodes_ready(client: Client, server: str) -> Check:
    expected = {node.name for node in DEFAULT_NODES}

    def check() -> str | None:
        try:
            items = client.get_json(f"{server}/api/v1/nodes?labelSelector=type%3Dkwok")["items"]
        except (OSError, ApiError) as error:
            return str(error)
        ready = {
            item["metadata"]["name"]
            for item in items
            for condition in item.get("status", {}).get("conditions", [])
            if condition["type"] == "Ready" and condition["status"] == "True"
        }
        missing = sorted(expected - ready)
        return f"nodes not Ready: {', '.join(missing)}" if missing else None

    return check


def _exists(client: Client, url: str) -> Check:
    def check() -> str | None:
        try:
            client.get_json(url)
        except (OSError, ApiError) as error:
            return str(error)
        return None

    return check


def up(
    state_dir: Path,
    *,
    bin_dir: Path | None = None,
    timeout: float = 120.0,
    log: Callable[[str], None] = lambda _: None,
    die_with_parent: bool = False,
) -> ClusterInfo:
    layout = Layout(state_dir)
    existing = running(state_dir)
    if existing is not None:
        return existing
    previous = State.load(layout.state_file)
    if previous is not None and previous.provider != PROVIDER:
        raise RuntimeError(f"{layout.root} holds a {previous.provider} cluster; run `down` first")
    if layout.root.exists() and any(layout.root.iterdir()):
        log(f"cleaning up a stopped cluster in {layout.root}")
        down(state_dir)
    bins = binaries_module.resolve(bin_dir=bin_dir)
    ports = Ports.allocate()
    server = f"https://{HOST}:{ports.apiserver}"
    credentials.write_all(layout, server, ports.webhook)
    state = State(
        provider=PROVIDER,
        server=server,
        bin_dir=str(bins.directory),
        ports={name: getattr(ports, name) for name in Ports.__dataclass_fields__},
    )
    state.save(layout.state_file)
    plane = {c.name: c for c in components.control_plane(bins, layout, ports)}
    client = _admin_client(layout)
    watched: dict[str, tuple[int, str]] = {}

    def launch(name: str) -> None:
        log(f"starting {name} on {HOST}:{plane[name].port}")
        pid = processes.start(layout, name, plane[name].argv, die_with_parent=die_with_parent)
        watched[name] = (pid, plane[name].argv[0])

    try:
        launch("etcd")
        launch("kube-apiserver")
        _wait(
            layout,
            {"kube-apiserver": lambda: client.probe(plane["kube-apiserver"].health_url)},
            watched,
            timeout,
        )
        for name in ("kube-controller-manager", "kube-scheduler", "kwok"):
            launch(name)
        for node in DEFAULT_NODES:
            client.create(f"{server}/api/v1/nodes", node.manifest())
        for device_class in dra.device_classes():
            client.create(f"{server}/apis/{dra.API_VERSION}/deviceclasses", device_class)
        for resource_slice in dra.resource_slices(DEFAULT_NODES):
            client.create(f"{server}/apis/{dra.API_VERSION}/resourceslices", resource_slice)
        checks: dict[str, Check] = {
            name: functools.partial(client.probe, plane[name].health_url)
            for name in ("kube-controller-manager", "kube-scheduler", "kwok")
        }
        checks["kwok nodes Ready"] = _nodes_ready(client, server)
        # The ServiceAccount controller's first work: pods in "default" are admitted only after it.
        checks["kube-controller-manager default ServiceAccount"] = _exists(
            client, f"{server}/api/v1/namespaces/default/serviceaccounts/default"
        )
        _wait(layout, checks, watched, timeout)
    except BaseException:
        for pid, _binary in reversed(watched.values()):
            processes.stop(pid)
        raise
    log(f"ready: {server}")
    return _info(layout, state)


def restart(
    state_dir: Path, name: str, *, crash: bool = False, timeout: float = 120.0, die_with_parent: bool = False
) -> None:
    """Stop one component — SIGTERM as a rolling upgrade does, or SIGKILL with ``crash`` — and start it again with
    the command line its state gives, then wait until it answers its health check: control-plane faults for tests.
    With ``die_with_parent`` call it from a long-lived thread (see ``processes.start``)."""
    layout = Layout(state_dir)
    state = State.load(layout.state_file)
    if state is None or state.provider != PROVIDER:
        raise RuntimeError(f"no {PROVIDER} cluster in {layout.root}")
    plane = {c.name: c for c in _components(layout, state)}
    if name not in plane:
        raise ValueError(f"unknown component {name!r}; one of {', '.join(plane)}")
    component = plane[name]
    pid = processes.running_pid(layout, name, component.argv[0])
    if pid is not None:
        processes.stop(pid, crash=crash)
    pid = processes.start(layout, name, component.argv, die_with_parent=die_with_parent)
    client = _admin_client(layout)
    _wait(layout, {name: lambda: client.probe(component.health_url)}, {name: (pid, component.argv[0])}, timeout)


def down(state_dir: Path) -> list[str]:
    """Stop every component, remove the state directory; return the names of what was stopped."""
    layout = Layout(state_dir)
    if not layout.root.exists():
        return []
    if not any(layout.root.iterdir()):
        layout.root.rmdir()
        return []
    if not (layout.state_file.exists() or layout.pki.exists() or layout.run.exists()):
        raise RuntimeError(f"{layout.root} does not look like a dev-cluster state directory; not removing it")
    stopped = []
    state = State.load(layout.state_file)
    ours = state is not None and state.provider == PROVIDER
    named = {c.name: c.argv[0] for c in _components(layout, state)} if state and ours else {}
    names = list(named) or [p.stem for p in layout.run.glob("*.pid")]
    for name in reversed(names):
        pid = processes.running_pid(layout, name, named.get(name, name))
        if pid is not None:
            processes.stop(pid)
            stopped.append(name)
    shutil.rmtree(layout.root)
    return stopped
