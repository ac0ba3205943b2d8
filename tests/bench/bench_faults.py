"""Load with faults through kube-apiserver, 60 s: the figures of issue 11's load-and-fault run.

    python tests/bench/bench_faults.py [--duration 60] [--rate 10] [--no-apiserver-restart] [--state-dir DIR]

Brings up a dev cluster in a temporary directory (or uses --state-dir), seeds the example tenants, and runs the rig
of tests/support/load_faults.py (the e2e test tests/e2e/test_load_faults.py is its short version): two
`tenantguard serve --reconcile` replicas behind HAProxy, alice's dry-run creates of admitted and denied objects at
a fixed rate, while the Lease holder is killed and restarted, the serving certificate is rotated, the replicas'
watches are cut and kube-apiserver is restarted. Prints the requests, wrong allows, errors with their time from
each fault, each fault's recovery, the replicas' RSS before and after, the generated objects and the log lines
holding the load's secret values; exits 1 when a criterion fails: a wrong allow or deny, an error outside a fault
window or of a kind the fault does not explain, a recovery over 10 s (the killed replica back in HAProxy's rotation
included), RSS of a replica that ran the whole load over 10 % above before, a generated object lost or duplicated,
a secret value in a log.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tenantguard.devcluster import cluster  # noqa: E402
from tests.support import load_faults, webhook_runner  # noqa: E402
from tests.support.devcluster import DevCluster, wait_for  # noqa: E402

RECOVERY = 10.0
RSS_GROWTH = 0.10


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def failures(report: load_faults.Report) -> list[str]:
    found = []
    if report.wrong_allows:
        found.append(f"{len(report.wrong_allows)} wrong allows")
    if report.wrong_denies:
        found.append(f"{len(report.wrong_denies)} wrong denies")
    if report.unexplained_errors():
        found.append(f"{len(report.unexplained_errors())} errors outside a fault window or of an unexplained kind")
    for fault in report.faults:
        if fault.recovered > RECOVERY:
            found.append(f"{fault.name} recovered in {fault.recovered:.2f} s")
        if float(fault.notes.get("back-up-s", 0)) > RECOVERY:
            found.append(f"the killed replica was back in rotation after {fault.notes['back-up-s']} s")
    for name, change in report.rss_change().items():
        if change > RSS_GROWTH:
            found.append(f"replica-{name} RSS grew {change:+.1%}")
    if report.generated_after != report.generated_before:
        found.append(f"generated objects changed: {report.generated_before} -> {report.generated_after}")
    for name, values in report.leaked.items():
        if values:
            found.append(f"{name}'s log holds {len(values)} of the load's secret values or object contents")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load (default 60)")
    parser.add_argument("--rate", type=float, default=10.0, help="requests a second (default 10)")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds of load before RSS is measured")
    parser.add_argument("--no-apiserver-restart", action="store_true", help="leave kube-apiserver running")
    parser.add_argument("--state-dir", type=Path, help="dev cluster state directory (default: a temporary one)")
    args = parser.parse_args()
    faults: tuple[str, ...] = ("replica-kill", "cert-rotation", "watch-cut")
    if not args.no_apiserver_restart:
        faults += ("apiserver-restart",)
    with tempfile.TemporaryDirectory() as tmp:
        state = args.state_dir or Path(tmp) / "cluster"
        log("starting a dev cluster")
        dev = DevCluster.from_info(cluster.up(state, timeout=180))
        try:

            def wait_namespace(ns: str) -> None:
                wait_for(
                    lambda: dev.kubectl("get", "sa", "default", "-n", ns, check=False).returncode == 0,
                    what=f"ServiceAccount {ns}/default",
                )

            webhook_runner.seed_platform(dev.kubectl, wait_namespace)
            log("starting two replicas behind HAProxy")
            with load_faults.rig(dev, Path(tmp) / "load") as rig:
                report = load_faults.run(
                    rig, duration=args.duration, rate=args.rate, faults=faults, warmup=args.warmup, log=log
                )
        finally:
            if args.state_dir is None:
                cluster.down(state)
    print(report.summary())
    errors = report.errors
    if errors:
        print("errors (time from the load's start, case, outcome, HTTP status, message):")
        for r in errors:
            fault = report.fault_of(r)
            where = f"{fault.name} {r.sent - fault.at:+.2f}s" if fault else "outside every fault window"
            print(f"  {r.sent:6.2f}s [{where}] {r.case} {r.outcome} {r.status}: {r.message[:160]}")
    bad = failures(report)
    print("criteria: " + ("all met" if not bad else "FAILED: " + "; ".join(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
