"""Whether a container listens on a port it does not declare, and which one.

A probe on a port (`httpGet`, `tcpSocket`, `grpc` of the readiness, liveness or startup probe) says the
container listens there; so does a model server of the CLI table (`serving/servers.py`), on the value of
its port flag or env, or else its default port. `containerPort` is optional in Kubernetes, so a server
that declares none must still get the mTLS sidecar.
"""

from __future__ import annotations

from tenantguard.policies.rules.serving.commands import Env, command_lines
from tenantguard.policies.rules.serving.servers import for_image, match
from tenantguard.policies.visit import ContainerRef

PROBES = ("readinessProbe", "livenessProbe", "startupProbe")


def _probe_port(ref: ContainerRef) -> int | None:
    """The port a probe checks; 0 for a named port the container does not declare."""
    for probe in PROBES:
        spec = ref.container.get(probe)
        for handler in ("httpGet", "tcpSocket", "grpc"):
            action = spec.get(handler) if isinstance(spec, dict) else None
            port = action.get("port") if isinstance(action, dict) else None
            if isinstance(port, int) and not isinstance(port, bool):
                return port
            if isinstance(port, str) and port:
                return int(port) if port.isdigit() else 0
    return None


def listening_port(ref: ContainerRef) -> int | None:
    """The port the container listens on though it declares none (0: a port it does not say); None: none."""
    probe = _probe_port(ref)
    if probe is not None:
        return probe
    image = ref.container.get("image")
    default = for_image(image) if isinstance(image, str) else None
    entrypoint = [*default.commands[0]] if default and default.commands else []
    if default and not entrypoint:
        entrypoint = ["python", "-m", default.modules[0]]
    env = Env(ref, lambda name: None)
    for line in command_lines(ref, env, entrypoint):
        words = [w.text for w in line]
        found = match(words)
        if found is None:
            continue
        server, start = found
        args = words[start:]
        for i, word in enumerate(args):
            flag, eq, value = word.partition("=")
            if flag in server.port_flags:
                value = value if eq else (args[i + 1] if i + 1 < len(args) else "")
                return int(value) if value.isdigit() else 0
        for name in server.port_env:
            var = env.get(name)
            if var is not None:
                return int(var.value) if var.value and var.value.isdigit() else 0
        return server.default_port or 0
    return None
