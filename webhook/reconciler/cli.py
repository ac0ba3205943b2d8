"""`tenantguard controller` (the reconciler in a process of its own) and the reconciler beside `serve --reconcile`.

Both compete for the same Lease, so any number of replicas of either may run: one writes. The controller
serves plain HTTP for Prometheus and probes: `/metrics`, `/healthz` (the process is up) and `/readyz` (its
watches have synced).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from tenantguard.policies.settings import Settings
from tenantguard.webhook import logs
from tenantguard.webhook.reconciler.leader import LeaseConfig
from tenantguard.webhook.settings_file import SettingsFile
from tenantguard.webhook.static import ConfigError, load_settings

if TYPE_CHECKING:
    from tenantguard.webhook.cache import ClusterCache
    from tenantguard.webhook.reconciler.controller import Controller

log = logging.getLogger("tenantguard.reconciler")


def add_lease_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("reconciler")
    g.add_argument("--identity", help="this replica's name in the Lease (default: host name and a random suffix)")
    g.add_argument("--lease-namespace", help="namespace of the Lease (default: the settings' webhookNamespace)")
    g.add_argument("--lease-name", default="tenantguard-reconciler")
    g.add_argument("--lease-duration", type=float, default=15.0, help="seconds a leader's Lease is valid")
    g.add_argument("--renew-deadline", type=float, default=10.0, help="seconds a leader may fail to renew")
    g.add_argument("--retry-period", type=float, default=2.0, help="seconds between attempts to acquire or renew")
    g.add_argument("--resync", type=float, default=300.0, help="seconds between full passes over every tenant")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--kubeconfig", help="kubeconfig (default: in-cluster, else ~/.kube/config)")
    p.add_argument("--context", help="kubeconfig context")
    p.add_argument("--config", help="global settings YAML (every field has a default); reloaded on change")
    p.add_argument("--metrics-host", default="0.0.0.0")
    p.add_argument("--metrics-port", type=int, default=8080, help="/metrics, /healthz, /readyz (plain HTTP)")
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    add_lease_arguments(p)


def lease_config(args: argparse.Namespace, settings: Settings) -> LeaseConfig:
    identity = args.identity or f"{socket.gethostname()}_{uuid.uuid4().hex[:8]}"
    config = LeaseConfig(
        namespace=args.lease_namespace or settings.webhook_namespace,
        name=args.lease_name,
        identity=identity,
        duration=args.lease_duration,
        renew_deadline=args.renew_deadline,
        retry_period=args.retry_period,
    )
    problems = config.problems()
    if problems:
        raise ConfigError("; ".join(problems))
    return config


def start_controller(args: argparse.Namespace, cache: ClusterCache, registry: CollectorRegistry) -> Controller:
    """The reconciler beside a started cache (its ApiClient configuration: the default one loaded before)."""
    from kubernetes import client

    from tenantguard.webhook.reconciler.controller import Controller

    cfg = client.Configuration.get_default_copy()
    cfg.connection_pool_maxsize = 16  # five watches, the worker, the election and Events
    controller = Controller(
        client.ApiClient(cfg),
        cache,
        lease=lease_config(args, cache.state.settings),
        registry=registry,
        resync=args.resync,
    )
    controller.start()
    return controller


def _load_kube_config(args: argparse.Namespace) -> None:
    from kubernetes import config

    try:
        if args.kubeconfig:
            config.load_kube_config(config_file=args.kubeconfig, context=args.context)
        else:
            try:
                config.load_incluster_config()
            except config.ConfigException:
                config.load_kube_config(context=args.context)
    except (config.ConfigException, OSError) as err:
        raise ConfigError(f"cannot load Kubernetes configuration: {err}") from err


def _http(host: str, port: int, registry: CollectorRegistry, ready: threading.Event) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/metrics":
                body, ctype, code = generate_latest(registry), CONTENT_TYPE_LATEST, 200
            elif self.path == "/healthz":
                body, ctype, code = b"ok\n", "text/plain", 200
            elif self.path == "/readyz":
                up = ready.is_set()
                body, ctype, code = (b"ok\n" if up else b"syncing\n"), "text/plain", 200 if up else 503
            else:
                body, ctype, code = b"not found\n", "text/plain", 404
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer((host, port), Handler)
    threading.Thread(target=server.serve_forever, name="metrics-http", daemon=True).start()
    return server


def run(args: argparse.Namespace) -> int:
    logs.setup(args.log_level)
    from tenantguard.webhook.cache import ClusterCache

    try:
        settings = load_settings(args.config)
        _load_kube_config(args)
        lease_config(args, settings)  # refuse bad timings before starting anything
    except (ConfigError, OSError) as err:
        print(f"tenantguard controller: {err}", file=sys.stderr)
        return 2
    from kubernetes import client

    registry = CollectorRegistry()
    cfg = client.Configuration.get_default_copy()
    cache = ClusterCache(client.ApiClient(cfg), settings)
    controller = start_controller(args, cache, registry)
    cache.start()
    stop = threading.Event()
    if args.config:
        SettingsFile(Path(args.config), cache.state.replace_settings).watch(stop)
    try:
        server = _http(args.metrics_host, args.metrics_port, registry, controller.synced)
    except OSError as err:
        where = f"{args.metrics_host}:{args.metrics_port}"
        print(f"tenantguard controller: cannot listen on {where}: {err}", file=sys.stderr)
        controller.stop()
        return 2
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    identity = controller.elector.config.identity
    log.info("controller started", extra={"fields": {"identity": identity, "pid": os.getpid()}})
    stop.wait()
    log.info("stopping")
    controller.stop()
    cache.stop()
    server.shutdown()
    return 0
