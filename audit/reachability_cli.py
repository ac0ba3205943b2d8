"""`tenantguard reachability diff | explain | matrix`: who can reach whom, from manifests, a snapshot or a cluster.

    tenantguard reachability diff BASE HEAD --tenants T         # two manifest trees (files or folders)
    tenantguard reachability diff HEAD --kubeconfig K           # the cluster, and the cluster with HEAD applied
    tenantguard reachability explain SRC DST PORT [PATH...]     # SRC/DST: ns/pod, ns/workload, ns/name[Kind]
    tenantguard reachability matrix [PATH...] --tenants T       # the matrices of what is about to be applied

Exit codes — diff: 0 the change opens no connection across tenants and publishes nothing outside the gateway,
1 it does, 2 unusable input; explain and matrix: 0, or 2 for unusable input. Messages go to stderr, never a
traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import orjson

from tenantguard.audit import options
from tenantguard.audit.cluster import ClusterError
from tenantguard.audit.reachability import Located, Sources, build, load_sources, read_files
from tenantguard.manifests import InputError
from tenantguard.platform import load_settings
from tenantguard.policies.netpol import PodInfo
from tenantguard.policies.settings import Settings, SettingsError

EXIT_CLEAN, EXIT_FAILING, EXIT_INPUT = 0, 1, 2


def _sources(p: argparse.ArgumentParser) -> None:
    options.add_tenants(p, "Tenants (and the Namespaces they own, for their labels) from files or folders; repeatable")
    p.add_argument(
        "--platform",
        action="append",
        default=[],
        metavar="PATH",
        help="objects on both sides that the manifests do not hold (the platform's baseline NetworkPolicies, "
        "its gateway); repeatable",
    )
    options.add_config(p)
    p.add_argument("-n", "--namespace", help="namespace for objects that do not set one (like kubectl apply -n)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--snapshot", metavar="DIR", help="what exists: YAML/JSON files (`kubectl get -A -o yaml`)")
    where.add_argument("--kubeconfig", metavar="FILE", help="what exists: the cluster of this kubeconfig")
    p.add_argument("--context", help="kubeconfig context (implies a live cluster)")


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    diff = sub.add_parser("diff", help="connections a change opens and closes; exit 1 when one crosses tenants")
    diff.add_argument("paths", nargs="+", metavar="PATH", help="BASE HEAD (files or folders), or HEAD with a cluster")
    _sources(diff)
    options.add_output(diff, ("text", "json", "github"), "text")
    explain = sub.add_parser("explain", help="the policies and rules that allow or deny one connection")
    explain.add_argument("source", metavar="SRC", help="namespace/pod, namespace/workload or namespace/name[Kind]")
    explain.add_argument("destination", metavar="DST")
    explain.add_argument("port", metavar="PORT", help="8000, TCP/8000 or 53/UDP")
    explain.add_argument("paths", nargs="*", metavar="PATH", help="manifests applied on top of what exists")
    _sources(explain)
    options.add_output(explain, ("text", "json"), "text")
    matrix = sub.add_parser("matrix", help="tenant and namespace matrices, cross-tenant paths, exposure")
    matrix.add_argument("paths", nargs="*", metavar="PATH", help="manifests applied on top of what exists")
    _sources(matrix)
    options.add_output(matrix, ("text", "json", "markdown"), "text")


def _error(message: str) -> int:
    print(f"tenantguard reachability: {message}", file=sys.stderr)
    return EXIT_INPUT


def _write(args: argparse.Namespace, rendered: str) -> None:
    if args.output:
        Path(args.output).write_text(rendered, encoding="utf-8")
    else:
        sys.stdout.write(rendered)


def _live(args: argparse.Namespace) -> bool:
    return args.kubeconfig is not None or args.context is not None


def _problems(errors: list[InputError] | tuple[InputError, ...]) -> int | None:
    for e in errors:
        print(f"tenantguard reachability: {e.render()}", file=sys.stderr)
    return EXIT_INPUT if errors else None


def _load(args: argparse.Namespace) -> tuple[Settings, Sources] | int:
    try:
        settings = load_settings(args.config)
    except SettingsError as err:
        return _error("; ".join(err.problems))
    if args.snapshot and not Path(args.snapshot).exists():
        return _error(f"--snapshot {args.snapshot}: no such file or directory")
    try:
        sources = load_sources(
            tenants=args.tenants,
            platform_paths=args.platform,
            snapshot=args.snapshot,
            kubeconfig=args.kubeconfig,
            context=args.context,
            live=_live(args),
        )
    except ClusterError as err:
        return _error(str(err))
    return settings, sources


def _diff(args: argparse.Namespace) -> int:
    from tenantguard.audit.formats.reach_diff import RENDERERS
    from tenantguard.policies.isolation.diff import diff

    existing = args.snapshot is not None or _live(args)
    if len(args.paths) != (1 if existing else 2):
        wanted = (
            "HEAD (with --snapshot or a cluster)"
            if existing
            else "BASE and HEAD (or HEAD with --snapshot/--kubeconfig)"
        )
        return _error(f"diff takes {wanted}, got {len(args.paths)} path(s)")
    loaded = _load(args)
    if isinstance(loaded, int):
        return loaded
    settings, sources = loaded
    errors = list(sources.errors)
    head_files = read_files(args.paths[-1:], errors)
    base_files = [] if existing else read_files(args.paths[:1], errors)
    base = build(sources, base_files, settings, namespace=args.namespace)
    head = build(sources, head_files, settings, namespace=args.namespace)
    failed = _problems([*errors, *base.errors, *head.errors])
    if failed is not None:
        return failed
    if not base.world.tenant_of and not head.world.tenant_of:
        return _error("no Tenants found (--tenants PATH, or Tenants among the inputs): no tenant can be told apart")
    found = diff(base.world, head.world)
    _write(args, RENDERERS[args.format](found, head.locate, head.locate_object))
    return EXIT_FAILING if found.failing else EXIT_CLEAN


def _located(args: argparse.Namespace) -> Located | int:
    """The manifests of `args.paths` placed in the cluster the sources describe; an exit code on bad input."""
    loaded = _load(args)
    if isinstance(loaded, int):
        return loaded
    settings, sources = loaded
    errors = list(sources.errors)
    located = build(sources, read_files(args.paths, errors), settings, namespace=args.namespace)
    failed = _problems([*errors, *located.errors])
    return located if failed is None else failed


def _port(text: str) -> tuple[int, str] | None:
    left, _, right = text.upper().partition("/")
    number, protocol = (right, left) if left in ("TCP", "UDP", "SCTP") else (left, right or "TCP")
    if not number.isdigit() or protocol not in ("TCP", "UDP", "SCTP") or not 1 <= int(number) <= 65535:
        return None
    return int(number), protocol


def _pods(located: Located, ref: str) -> list[PodInfo]:
    """The pods `ref` names: `ns/pod`, `ns/name[Kind]` (a workload), or `ns/name` of a workload of any kind."""
    namespace, _, name = ref.partition("/")
    pods = [p for p in located.world.pods if p.namespace == namespace]
    exact = [p for p in pods if p.name == name or p.owner == ref]
    if exact:
        return exact
    return [p for p in pods if p.owner.partition("/")[2].rpartition("[")[0] == name]


def _explain(args: argparse.Namespace) -> int:
    port = _port(args.port)
    if port is None:
        return _error(f"PORT: expected 8000, TCP/8000 or 53/UDP, got {args.port!r}")
    located = _located(args)
    if isinstance(located, int):
        return located
    ends = {}
    for role, ref in (("SRC", args.source), ("DST", args.destination)):
        found = _pods(located, ref)
        if not found:
            known = sorted({p.owner for p in located.world.pods})[:10]
            return _error(f"{role} {ref!r}: no pod or workload of that name (known: {', '.join(known) or 'none'})")
        ends[role] = found
    analysis = located.world.analyze()
    seen: dict[tuple[int, int], Any] = {}
    for src in ends["SRC"]:
        for dst in ends["DST"]:
            key = (id(analysis.class_of(src)), id(analysis.class_of(dst)))
            if key not in seen:
                seen[key] = analysis.explain(src, dst, *port)
    explanations = list(seen.values())
    if args.format == "json":
        _write(args, orjson.dumps([e.as_dict() for e in explanations], option=orjson.OPT_INDENT_2).decode() + "\n")
        return EXIT_CLEAN
    lines: list[str] = []
    for e in explanations:
        lines += [*e.lines(), *(f"  at {ref}: {where[0]}:{where[1]}" for ref in e.opening
                                if (where := located.locate(ref)) is not None)]  # fmt: skip
    _write(args, "\n".join(lines) + "\n")
    return EXIT_CLEAN


def _matrix(args: argparse.Namespace) -> int:
    from tenantguard.audit.formats.reach_matrix import render
    from tenantguard.policies.isolation.views import views

    located = _located(args)
    if isinstance(located, int):
        return located
    _write(args, render(views(located.world, located.world.analyze()), args.format))
    return EXIT_CLEAN


def run(args: argparse.Namespace) -> int:
    return {"diff": _diff, "explain": _explain, "matrix": _matrix}[args.action](args)
