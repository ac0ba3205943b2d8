"""`tenantguard audit`: isolation and usage reports from a live cluster or a snapshot.

Exit codes: 0 report written (and nothing at or above `--fail-on`), 1 rule violations or isolation findings
at or above `--fail-on` (counted by rule ID on stderr), 2 unusable input — settings, snapshot files, Tenants,
an unreachable cluster, a Prometheus given by `--prometheus-url` that does not answer — said on stderr, never as a
traceback. The report is still written when some snapshot files were unusable; it is not written when Prometheus
fails, since GPU-hours without it would be a lower bound passed off as a bill.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tenantguard import platform
from tenantguard.audit import history, options, policyreport, report, report_configmap
from tenantguard.audit.cluster import ClusterError, ClusterReader, LiveSource, connect
from tenantguard.audit.prometheus import PrometheusError
from tenantguard.audit.scan import ScanResult, Source, scan
from tenantguard.audit.snapshot import SnapshotReader
from tenantguard.audit.usage import Window, parse_duration, parse_time
from tenantguard.platform import load_settings
from tenantguard.policies.model import Severity
from tenantguard.policies.settings import SettingsError

EXIT_CLEAN, EXIT_VIOLATIONS, EXIT_INPUT = 0, 1, 2
FORMATS = ("json", "markdown", "html", "csv")


def add_arguments(p: argparse.ArgumentParser) -> None:
    where = p.add_argument_group("what to read (default: the current kubeconfig context, or in-cluster)")
    where.add_argument("--kubeconfig", metavar="FILE", help="kubeconfig file (default: $KUBECONFIG, ~/.kube/config)")
    where.add_argument("--context", help="kubeconfig context")
    where.add_argument("--snapshot", metavar="DIR", help="read YAML/JSON files (e.g. `kubectl get -A -o yaml`) instead")
    options.add_tenants(p, "extra Tenants (and Namespaces) from files, for snapshots without them; repeatable")
    options.add_config(p)
    options.add_output(p, FORMATS, "json")
    p.add_argument(
        "--output-configmap",
        metavar="NAMESPACE/NAME",
        help="also keep the report in this ConfigMap, under audit.<ext> (live only; at most 1 MiB)",
    )
    p.add_argument("--window", default="24h", help="usage window ending now, e.g. 24h, 7d (default: 24h)")
    p.add_argument(
        "--prometheus-url",
        metavar="URL",
        help="Prometheus: GPU-hours from history (pods deleted in the window included), GPU utilisation, tokens",
    )
    p.add_argument(
        "--prometheus-step",
        default="1m",
        metavar="DURATION",
        help="integration step of GPU-hours from history; at least the scrape interval (default: 1m)",
    )
    p.add_argument(
        "--history-source",
        choices=history.SOURCES,
        default=history.AUTO,
        help="where GPU-hours history comes from; auto: kube-state-metrics where Prometheus has it, else "
        "tenantguard's own gauges (default: auto)",
    )
    p.add_argument(
        "--write-policy-reports",
        action="store_true",
        help="write wgpolicyk8s.io/v1alpha2 PolicyReports back to the cluster",
    )
    options.add_fail_on(p, default=None, what="a rule violation or isolation finding")
    p.add_argument("--now", help=argparse.SUPPRESS)  # tests: a fixed clock (RFC 3339)


def _error(message: str) -> int:
    print(f"tenantguard audit: {message}", file=sys.stderr)
    return EXIT_INPUT


@contextmanager
def progress() -> Iterator[Callable[[dict[str, Any]], None] | None]:
    """A live count of objects read, on a terminal only (stderr), and never in CI."""
    if not sys.stderr.isatty() or os.environ.get("CI"):
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    counts = {"n": 0}
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("scanning", total=None)

        def tick(obj: dict[str, Any]) -> None:
            counts["n"] += 1
            if counts["n"] % 200 == 0:
                bar.update(task, description=f"scanned {counts['n']:,} objects ({obj.get('kind', '')})")

        yield tick


def _extra_context(paths: list[str], problems: list[str]) -> list[dict[str, Any]]:
    """Tenants and Namespaces from --tenants files; unusable files become problems."""
    found, errors = platform.read_context(paths)
    problems.extend(e.render() for e in errors)
    return [m.obj for m in found if m.obj.get("kind") in platform.CONTEXT_KINDS]


def _render(doc: dict[str, Any], fmt: str) -> str:
    if fmt == "csv":
        from tenantguard.audit.formats import showback_csv

        return showback_csv.render(doc)
    if fmt == "markdown":
        from tenantguard.audit.formats import markdown

        return markdown.render(doc)
    if fmt == "html":
        from tenantguard.audit.formats import html

        return html.render(doc)
    import orjson

    return orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode() + "\n"


def _prometheus_failed(err: PrometheusError) -> int:
    return _error(
        f"Prometheus: {err}; no report written — GPU-hours and metrics without it would be incomplete (without "
        "--prometheus-url the report counts only the pods that exist now, a lower bound)"
    )


def _step(text: str, window: Window) -> int:
    seconds = parse_duration(text).total_seconds()
    if seconds != int(seconds) or seconds < 1:
        raise ValueError(f"must be whole seconds, at least 1s: {text!r}")
    if seconds > window.hours * 3600:
        raise ValueError(f"longer than the window ({text!r})")
    return int(seconds)


def _history(args: argparse.Namespace, source: str, result: ScanResult, window: Window, step: int) -> history.History:
    ns_tenant = report.namespace_tenant(result)
    if source == history.TENANTGUARD:
        return history.from_tenantguard(args.prometheus_url, window, step_seconds=step)
    pricing = result.settings.pricing
    known = {r for u in result.usage for r, _ in u.devices} | {
        r for t in result.cluster.tenants.by_name.values() if t.gpu for r in t.gpu.allowed_resources
    }
    return history.from_kube_state_metrics(
        args.prometheus_url,
        window,
        step_seconds=step,
        namespace_tenant=ns_tenant,
        products=result.cluster.gpu_products,
        known_resources=known,
        cpu_memory=pricing is not None and pricing.prices_cpu_or_memory,
    )


def run(args: argparse.Namespace) -> int:
    # A scan allocates millions of short-lived, acyclic dicts: collecting the young generation every 700
    # allocations costs ~15 % of a large audit for nothing. This process only audits, then exits.
    gc.set_threshold(100_000, 50, 100)
    try:
        settings = load_settings(args.config)
    except SettingsError as err:
        return _error("; ".join(err.problems))
    try:
        length = parse_duration(args.window)
    except ValueError as err:
        return _error(f"--window: {err}")
    now = parse_time(args.now) if args.now else datetime.now(UTC)
    if now is None:
        return _error(f"--now: not an RFC 3339 time: {args.now!r}")
    now = now.replace(microsecond=0)  # whole seconds: the windows of Prometheus queries are exact in ms
    if args.snapshot and args.write_policy_reports:
        return _error("--write-policy-reports needs a live cluster, not --snapshot")
    target = None
    if args.output_configmap:
        if args.snapshot:
            return _error("--output-configmap needs a live cluster, not --snapshot")
        try:
            target = report_configmap.parse_target(args.output_configmap)
        except ValueError as err:
            return _error(str(err))
    window = Window.ending(now, length)
    try:
        step = _step(args.prometheus_step, window)
    except ValueError as err:
        return _error(f"--prometheus-step: {err}")
    chosen: str | None = None
    if args.prometheus_url:  # before the scan: an audit that cannot finish should fail in seconds
        try:
            chosen = history.choose(args.prometheus_url, args.history_source, window)
        except PrometheusError as err:
            return _prometheus_failed(err)
        if chosen is None:
            print(
                f"tenantguard audit: Prometheus at {args.prometheus_url} has neither kube-state-metrics' pod series "
                "nor tenantguard's allocation gauge in the window; GPU-hours count only the pods that exist now "
                "(a lower bound)",
                file=sys.stderr,
            )
    problems: list[str] = []
    context = _extra_context(args.tenants, problems)
    reader: ClusterReader | None = None
    snapshot: SnapshotReader | None = None
    live: LiveSource | None = None
    try:
        source: Source
        if args.snapshot:
            if not Path(args.snapshot).exists():
                return _error(f"--snapshot {args.snapshot}: no such file or directory")
            source = snapshot = SnapshotReader([args.snapshot])
            origin: dict[str, Any] = {"type": "snapshot", "path": args.snapshot}
        else:
            reader = ClusterReader(connect(args.kubeconfig, args.context))
            source = live = LiveSource(reader)
            origin = {"type": "cluster", "server": reader.server}
            if "Tenant" not in live.kinds and not args.tenants:
                print(
                    "tenantguard audit: the cluster serves no Tenants (tenants.tenantguard.io); no namespace "
                    "belongs to a tenant, so only cluster-wide objects are judged",
                    file=sys.stderr,
                )
        with progress() as tick:
            result = scan(source, settings, now=now.replace(tzinfo=None), context=context, tick=tick)
    except ClusterError as err:
        return _error(str(err))
    if snapshot is not None:
        problems.extend(e.render() for e in snapshot.errors)
    if live is not None and live.forbidden:
        origin["forbidden"] = live.forbidden
        print(f"tenantguard audit: not allowed to list {', '.join(live.forbidden)}; left out", file=sys.stderr)
    problems.extend(result.problems)
    ns_tenant = report.namespace_tenant(result)
    metrics, past = None, None
    if args.prometheus_url:
        from tenantguard.audit.prometheus import usage_metrics

        try:
            past = _history(args, chosen, result, window, step) if chosen is not None else None
            metrics = usage_metrics(
                args.prometheus_url, ns_tenant, start=window.start, end=window.end, timeout=history.TIMEOUT
            )
        except PrometheusError as err:
            return _prometheus_failed(err)
    audit = report.assemble(result, source=origin, window=window, generated=now, metrics=metrics, history=past)
    rendered = _render(audit.doc, args.format)
    if args.output:
        Path(args.output).write_text(rendered, encoding="utf-8")
    elif target is None:
        sys.stdout.write(rendered)
    if reader is not None and target is not None:
        key = report_configmap.key_for(args.format)
        try:
            size = report_configmap.write(reader, target, key, rendered)
        except (ClusterError, ValueError) as err:
            return _error(f"writing the report to ConfigMap {args.output_configmap}: {err}")
        print(f"tenantguard audit: wrote {key} ({size:,} bytes) to ConfigMap {args.output_configmap}", file=sys.stderr)
    if reader is not None and args.write_policy_reports:
        existing = [ns for ns in ns_tenant if ns in result.cluster.namespaces]
        docs = policyreport.build([*result.results, *audit.findings], result.kinds, existing, now)
        try:
            written = policyreport.write(reader, docs)
        except ClusterError as err:
            hint = " (are the wgpolicyk8s.io PolicyReport CRDs installed?)" if err.status == 404 else ""
            return _error(f"writing PolicyReports: {err}{hint}")
        print(f"tenantguard audit: wrote {written} policy reports", file=sys.stderr)
    for problem in problems:
        print(f"tenantguard audit: {problem}", file=sys.stderr)
    if problems:
        return EXIT_INPUT
    if args.fail_on is not None:
        counts = report.failing(result, audit, Severity(args.fail_on))
        if counts:
            total = sum(counts.values())
            by_rule = ", ".join(
                f"{n} {rule}" for rule, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
            )
            print(
                f"tenantguard audit: {total} finding{'s' * (total != 1)} at or above {args.fail_on} ({by_rule})",
                file=sys.stderr,
            )
            return EXIT_VIOLATIONS
    return EXIT_CLEAN
