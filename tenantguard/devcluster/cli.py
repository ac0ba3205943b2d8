"""`tenantguard dev-cluster up | down | status | env | user`.

Progress goes to stderr; stdout carries only what scripts consume: ``up`` ends with
``KUBECONFIG=<path>``, ``env`` prints ``export`` lines, ``status`` a table (or JSON).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

from tenantguard.devcluster import cluster, credentials, kind
from tenantguard.devcluster.binaries import BinariesError
from tenantguard.devcluster.layout import Layout, State, default_state_dir
from tenantguard.devcluster.processes import ComponentError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    # Accepted before or after the action; SUPPRESS keeps the subparser from resetting it.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--state-dir",
        type=Path,
        default=argparse.SUPPRESS,
        help="where certificates, kubeconfigs, logs and etcd data live"
        " (default: $TENANTGUARD_DEVCLUSTER_DIR or ~/.cache/tenantguard/dev-cluster)",
    )
    parser.add_argument("--state-dir", type=Path, default=None, help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    up = sub.add_parser(
        "up", parents=[common], help="start the cluster (a no-op when it runs) and print KUBECONFIG=<path>"
    )
    up.add_argument(
        "--provider",
        choices=(cluster.PROVIDER, kind.PROVIDER),
        default=cluster.PROVIDER,
        help="kwok: local processes with simulated nodes (default); kind: Docker containers",
    )
    up.add_argument(
        "--bin-dir",
        type=Path,
        default=None,
        help="directory with etcd, kube-apiserver, kube-controller-manager, kube-scheduler,"
        " kubectl and kwok (default: $KUBEBUILDER_ASSETS, else the build cache)",
    )
    up.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for each readiness step")
    up.add_argument("--kind-name", default=kind.DEFAULT_NAME, help="kind cluster name")
    up.add_argument("--kind-image", default=None, help="kind node image (default: kind's own)")
    sub.add_parser("down", parents=[common], help="stop every component and remove the state directory")
    status = sub.add_parser("status", parents=[common], help="what runs where: pids, ports, health")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    env = sub.add_parser("env", parents=[common], help="print shell exports for the cluster")
    env.add_argument("--user", action="store_true", help="the tenant developer's kubeconfig (alice)")
    user = sub.add_parser(
        "user", parents=[common], help="a kubeconfig for another developer; prints export KUBECONFIG=<path>"
    )
    user.add_argument("name", help="the user name (the certificate's CN)")
    user.add_argument(
        "--group", action="append", default=[], help="a group the user is in (the certificate's O); repeatable"
    )
    restart = sub.add_parser(
        "restart", parents=[common], help="stop one component and start it again (fault drills: watches are cut)"
    )
    restart.add_argument("component", help="etcd, kube-apiserver, kube-controller-manager, kube-scheduler or kwok")
    restart.add_argument("--crash", action="store_true", help="SIGKILL instead of SIGTERM: no graceful shutdown")


def _err(message: str) -> None:
    print(f"dev-cluster: {message}", file=sys.stderr)


def _up(args: argparse.Namespace, state_dir: Path) -> int:
    if args.provider == kind.PROVIDER:
        path = kind.up(state_dir, name=args.kind_name, image=args.kind_image)
        print(f"KUBECONFIG={path}")
        return 0
    info = cluster.up(state_dir, bin_dir=args.bin_dir, timeout=args.timeout, log=_err)
    _err(f"server {info.server}; tenant user kubeconfig (alice, group acme-devs): {info.user_kubeconfig}")
    _err(f"kubectl: {info.kubectl}")
    print(f"KUBECONFIG={info.kubeconfig}")
    return 0


def _down(args: argparse.Namespace, state_dir: Path) -> int:
    state = State.load(Layout(state_dir).state_file)
    if state is not None and state.provider == kind.PROVIDER:
        kind.down(state_dir, name=getattr(args, "kind_name", kind.DEFAULT_NAME))
        _err(f"deleted the kind cluster and {state_dir}")
        return 0
    stopped = cluster.down(state_dir)
    _err(f"stopped {', '.join(stopped) or 'nothing (no process was running)'}; removed {state_dir}")
    return 0


def _status(args: argparse.Namespace, state_dir: Path) -> int:
    state = State.load(Layout(state_dir).state_file)
    if state is None:
        _err(f"no cluster in {state_dir}")
        return 1
    if state.provider == kind.PROVIDER:
        print(f"provider kind, server {state.server}, kubeconfig {Layout(state_dir).kubeconfig}")
        return 0
    rows = cluster.status(state_dir)
    if args.json:
        print(
            json.dumps(
                {
                    "server": state.server,
                    "state_dir": str(state_dir),
                    "bin_dir": state.bin_dir,
                    "components": [asdict(row) for row in rows],
                },
                indent=2,
            )
        )
    else:
        print(f"server {state.server}  state {state_dir}  binaries {state.bin_dir}")
        print(f"{'COMPONENT':<25} {'PID':>8} {'PORT':>6}  HEALTH")
        for row in rows:
            print(f"{row.name:<25} {row.pid or '-':>8} {row.port or '-':>6}  {row.health}")
    return 0 if rows and all(row.health == "ok" for row in rows) else 1


def _env(args: argparse.Namespace, state_dir: Path) -> int:
    layout = Layout(state_dir)
    if State.load(layout.state_file) is None:
        _err(f"no cluster in {state_dir}; run `tenantguard dev-cluster up`")
        return 1
    print(f"export KUBECONFIG={layout.user_kubeconfig if args.user else layout.kubeconfig}")
    return 0


def _user(args: argparse.Namespace, state_dir: Path) -> int:
    layout = Layout(state_dir)
    state = State.load(layout.state_file)
    if state is None:
        _err(f"no cluster in {state_dir}; run `tenantguard dev-cluster up`")
        return 1
    if state.provider != cluster.PROVIDER:
        _err(f"`user` issues certificates with the local cluster's CA; the {state.provider} provider has none here")
        return 1
    path = credentials.write_user(layout, state.server, args.name, tuple(args.group))
    _err(f"user {args.name!r}, groups {', '.join(args.group) or '(none)'}: {path}")
    print(f"export KUBECONFIG={path}")
    return 0


def _restart(args: argparse.Namespace, state_dir: Path) -> int:
    started = time.monotonic()
    cluster.restart(state_dir, args.component, crash=args.crash)
    how = "killed" if args.crash else "stopped"
    _err(f"{args.component} {how} and healthy again in {time.monotonic() - started:.1f}s")
    return 0


def run(args: argparse.Namespace) -> int:
    state_dir = (args.state_dir or default_state_dir()).expanduser().resolve()
    actions = {"up": _up, "down": _down, "status": _status, "env": _env, "user": _user, "restart": _restart}
    try:
        return actions[args.action](args, state_dir)
    except (BinariesError, ComponentError, kind.KindError, RuntimeError, ValueError) as error:
        _err(str(error))
        return 1
