"""How long the reconciler's passes take in CPU: the first (everything written) and a steady one (nothing to write).

    python tests/bench/bench_reconciler.py [--tenants 500] [--namespaces 3] [--runs 3]

The world: `--tenants` Tenants like acme (native mTLS, GPUs, egress CIDRs) with `--namespaces` namespaces each,
over the unit tests' in-memory cluster (tests/support/fake_cluster.py): no API server, so what is timed is the
reconciler's own work — computing the desired objects, comparing, issuing and parsing certificates, the status.
A live cluster adds one server-side apply per changed object. Prints the medians of the runs: the first pass
over every tenant, and a steady pass (nothing changed), per tenant and in total.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tenantguard.webhook.reconciler.events import Recorder
from tenantguard.webhook.reconciler.reconcile import Reconciler
from tests.support.fake_cluster import FakeCluster
from tests.support.fixtures import ACME_SPEC


def world(tenants: int, namespaces: int) -> FakeCluster:
    cluster = FakeCluster()
    for ns in ("tenantguard-system", "llm-gateway"):
        cluster.add_namespace(ns)
    for t in range(tenants):
        names = [f"t{t}-ns{n}" for n in range(namespaces)]
        cluster.add_tenant(f"t{t}", {**ACME_SPEC, "namespaces": names, "allowedHostnames": [f"*.t{t}.example"]})
        for ns in names:
            cluster.add_namespace(ns)
    return cluster


def passes(tenants: int, namespaces: int) -> tuple[float, float]:
    cluster = world(tenants, namespaces)
    reconciler = Reconciler(cluster, cluster, recorder=Recorder(cluster, instance="bench"))
    names = sorted(cluster.tenant_objs)
    started = time.perf_counter()
    for name in names:
        reconciler.reconcile(name)
    first = time.perf_counter() - started
    cluster.writes.clear()
    started = time.perf_counter()
    for name in names:
        reconciler.reconcile(name)
    steady = time.perf_counter() - started
    assert not cluster.writes, "a steady pass writes nothing"
    return first, steady


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=500)
    parser.add_argument("--namespaces", type=int, default=3)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    results = [passes(args.tenants, args.namespaces) for _ in range(args.runs)]
    first = statistics.median(r[0] for r in results)
    steady = statistics.median(r[1] for r in results)
    n = args.tenants
    print(f"{n} tenants x {args.namespaces} namespaces, median of {args.runs} runs:")
    print(f"  first pass  {first:7.2f} s  ({1000 * first / n:.1f} ms per tenant: all written, certificates issued)")
    print(f"  steady pass {steady:7.2f} s  ({1000 * steady / n:.1f} ms per tenant: compared, nothing written)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
