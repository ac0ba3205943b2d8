"""`tenantguard serve`: the admission webhook over TLS, in static or cluster mode."""

from __future__ import annotations

import argparse
import gc
import logging
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from tenantguard.policies.settings import Settings
from tenantguard.webhook import certs, logs
from tenantguard.webhook.reconciler.cli import add_lease_arguments, lease_config
from tenantguard.webhook.settings_file import SettingsFile
from tenantguard.webhook.static import ConfigError, StaticSource, load_settings

if TYPE_CHECKING:
    from tenantguard.webhook.app import ClusterSource
    from tenantguard.webhook.cache import ClusterCache
    from tenantguard.webhook.denial_events import DenialEvents
    from tenantguard.webhook.metrics import Metrics

log = logging.getLogger("tenantguard.serve")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="0.0.0.0")
    p.add_argument("--port", type=int, default=8443)
    p.add_argument(
        "--cert-dir",
        default="/etc/tenantguard/tls",
        help="holds tls.crt, tls.key and ca.crt; generated there (CA + serving cert) when empty",
    )
    p.add_argument(
        "--dns-name",
        action="append",
        default=[],
        help="DNS name for a generated serving certificate (repeatable; 127.0.0.1 is always added)",
    )
    p.add_argument(
        "--client-ca",
        metavar="FILE",
        help="require a client certificate signed by this CA (PEM) on every connection: kube-apiserver's, configured "
        "with --admission-control-config-file (docs/webhook.md); reloaded with the serving pair",
    )
    p.add_argument("--config", help="global settings YAML (every field has a default)")
    source = p.add_mutually_exclusive_group()
    source.add_argument("--kubeconfig", help="cluster mode with this kubeconfig (default: in-cluster or ~/.kube)")
    source.add_argument(
        "--tenants",
        action="append",
        metavar="PATH",
        help="static mode: Tenants (and Namespaces) from files or folders; no cluster needed",
    )
    p.add_argument("--context", help="kubeconfig context")
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    p.add_argument("--access-log", action="store_true", help="uvicorn access log (one line per request)")
    p.add_argument(
        "--reconcile",
        action="store_true",
        help="cluster mode: also run the reconciler (generated objects; leader-elected, see `tenantguard controller`)",
    )
    add_lease_arguments(p)


def run(args: argparse.Namespace) -> int:
    logs.setup(args.log_level)
    try:
        settings = load_settings(args.config)
        cert_dir = Path(args.cert_dir)
        names = args.dns_name or ["tenantguard-webhook.tenantguard-system.svc", "localhost"]
        if certs.ensure(cert_dir, names):
            log.info("generated a CA and serving certificate", extra={"fields": {"dir": str(cert_dir)}})
        if args.reconcile and args.tenants:
            raise ConfigError("--reconcile needs cluster mode (--kubeconfig or in-cluster), not --tenants")
        if args.reconcile:
            lease_config(args, settings)  # refuse bad timings before starting anything
        source: ClusterSource = (
            StaticSource(settings, args.tenants) if args.tenants else _cluster_source(args, settings)
        )
    except (ConfigError, OSError) as err:
        print(f"tenantguard serve: {err}", file=sys.stderr)
        return 2
    return _serve(args, source, cert_dir)


def _cluster_source(args: argparse.Namespace, settings: Settings) -> ClusterCache:
    # Imported here so static mode and --help never load the Kubernetes client.
    from kubernetes import client, config

    from tenantguard.webhook.cache import ClusterCache

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
    cache = ClusterCache(client.ApiClient(), settings)
    cache.start()
    return cache


def _serve(args: argparse.Namespace, source: ClusterSource, cert_dir: Path) -> int:
    import uvicorn

    from tenantguard.webhook.app import create_app
    from tenantguard.webhook.metrics import Metrics
    from tenantguard.webhook.tls import ReloadingContext

    client_ca = Path(args.client_ca) if args.client_ca else None
    tls = ReloadingContext(cert_dir / "tls.crt", cert_dir / "tls.key", client_ca)
    metrics = Metrics(cache_counts=source.counts, cluster=source.cluster)
    metrics.cert_expiry.set_function(lambda: tls.not_after)
    metrics.cache_synced.set_function(lambda: 1.0 if source.ready()[0] else 0.0)
    events = _denial_events(source, metrics)
    app = create_app(source, metrics, tls_ready=lambda: tls.loaded, events=events)
    if not tls.loaded:
        _stop(source)
        what = f"the serving certificate from {cert_dir}" + (f" with the client CA {client_ca}" if client_ca else "")
        print(f"tenantguard serve: cannot load {what}: {tls.problem}", file=sys.stderr)
        return 2
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        ssl_certfile=str(cert_dir / "tls.crt"),
        ssl_keyfile=str(cert_dir / "tls.key"),
        log_config=None,
        access_log=args.access_log,
        timeout_keep_alive=75,
        lifespan="off",
        server_header=False,
    )
    config.load()
    config.ssl = tls.context  # ours: TLS >= 1.2, each handshake gets the pair last loaded (webhook/tls.py)
    # Everything loaded so far lives for the whole process: keep it out of the collector's scans, and collect
    # young objects less often — each request allocates thousands of short-lived dicts (p99 at 1,000/s).
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 50, 100)
    stop = threading.Event()
    tls.watch(stop)
    if events is not None:
        events.start(stop)
    if args.config:
        SettingsFile(Path(args.config), source.cluster().replace_settings).watch(stop)
    controller = None
    if args.reconcile:
        from tenantguard.webhook.cache import ClusterCache
        from tenantguard.webhook.reconciler.cli import start_controller

        assert isinstance(source, ClusterCache)  # --reconcile with --tenants is refused in run()
        controller = start_controller(args, source, metrics.registry)
    log.info("serving", extra={"fields": {"host": args.host, "port": args.port, "reconcile": args.reconcile}})
    try:
        uvicorn.Server(config).run()
    finally:
        stop.set()
        if controller is not None:
            controller.stop()
        _stop(source)
    return 0


def _denial_events(source: ClusterSource, metrics: Metrics) -> DenialEvents | None:
    """Events for denied controller writes, in cluster mode (static mode has no API server to write to)."""
    from tenantguard.webhook.cache import ClusterCache
    from tenantguard.webhook.denial_events import DenialEvents
    from tenantguard.webhook.event_sink import ApiEventSink

    if not isinstance(source, ClusterCache):
        return None
    return DenialEvents(ApiEventSink(source.api, source), record=lambda o: metrics.denial_events.labels(o).inc())


def _stop(source: object) -> None:
    stop_source = getattr(source, "stop", None)
    if callable(stop_source):
        stop_source()
