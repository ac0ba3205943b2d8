"""Lint throughput: ≥ 10,000 mixed objects, objects/s and peak RSS; startup to first result.

    python tests/bench/bench_lint.py [--objects 10000] [--runs 5] [--jobs auto|N]

Prints medians over the runs and, as a baseline measured in the same run, the time lint's own reader
(`tenantguard.manifests`, the same parser) needs to read the same files without judging them. Figures, not
assertions.
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tenantguard.audit import workers  # noqa: E402
from tests.corpus import all_objects  # noqa: E402
from tests.support import bytecode  # noqa: E402

EXE = Path(sys.executable).with_name("tenantguard")
TENANTS = ROOT / "examples" / "tenants"


def _light(i: int) -> dict[str, Any]:
    """The objects a chart renders beside its workloads: config, services, accounts, secrets, claims."""
    meta = {"name": f"obj-{i}", "labels": {"app.kubernetes.io/name": "llm", "app.kubernetes.io/instance": f"r{i}"}}
    kind = i % 5
    if kind == 0:
        return {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": meta,
            "data": {"config.yaml": "max_model_len: 8192\ngpu_memory_utilization: 0.9\n", "LOG_LEVEL": "info"},
        }
    if kind == 1:
        return {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": meta,
            "spec": {"selector": {"app": f"r{i}"}, "ports": [{"name": "https", "port": 443, "targetPort": 8443}]},
        }
    if kind == 2:
        return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta}
    if kind == 3:
        return {"apiVersion": "v1", "kind": "Secret", "metadata": meta, "type": "Opaque", "data": {"token": "c2VjcmV0"}}
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": meta,
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "100Gi"}}},
    }


def break_pod_security(obj: Any) -> bool:
    """Make every container of every pod spec in `obj` ask for privilege escalation (a Pod Security restricted
    violation), wherever the kind keeps its pod specs (Deployments, KServe, LeaderWorkerSet, Ray...). True when
    there was a container to break."""
    broken = False
    if isinstance(obj, dict):
        containers = obj.get("containers")
        if isinstance(containers, list):
            for c in containers:
                if isinstance(c, dict) and "image" in c:
                    c.setdefault("securityContext", {})["allowPrivilegeEscalation"] = True
                    broken = True
        for value in obj.values():
            broken = break_pod_security(value) or broken
    elif isinstance(obj, list):
        for value in obj:
            broken = break_pod_security(value) or broken
    return broken


def generate(target: Path, count: int, *, broken_every: int = 0, json_every: int = 4) -> int:
    """A rendered-chart mix in both acme namespaces: 40% the LLM-serving corpus (workloads, KServe, LWS, Ray,
    NetworkPolicies, RBAC), 60% config/services/accounts/secrets/claims. YAML streams of 100 objects a file,
    every `json_every`th file a JSON List (0: none). With `broken_every` N, every Nth heavy object asks for
    privilege escalation (`break_pod_security`), so that tools can be compared on the objects they find."""
    heavy = [obj for _, obj in all_objects()]
    written = 0
    batch: list[dict[str, Any]] = []
    file_no = 0
    while written < count:
        # Two heavy objects in five, cycling through every corpus object; three light ones cycling every light kind.
        group, slot = divmod(written, 5)
        obj = copy.deepcopy(heavy[(group * 2 + slot) % len(heavy)]) if slot < 2 else _light(group * 3 + slot - 2)
        if broken_every and slot < 2 and (group * 2 + slot) % broken_every == 0:
            break_pod_security(obj)
        obj["metadata"]["name"] = f"{obj['metadata']['name']}-{written}"
        obj["metadata"]["namespace"] = ("acme-prod", "acme-dev")[written % 2]
        batch.append(obj)
        written += 1
        if len(batch) == 100 or written == count:
            if json_every and file_no % json_every == json_every - 1:
                (target / f"batch-{file_no:04d}.json").write_text(
                    json.dumps({"apiVersion": "v1", "kind": "List", "items": batch})
                )
            else:
                (target / f"batch-{file_no:04d}.yaml").write_text(yaml.safe_dump_all(batch, sort_keys=False))
            batch, file_no = [], file_no + 1
    return written


_CHILD = """
import gc, resource, sys, time
t0 = time.perf_counter()
gc.disable()  # as `tenantguard` imports its subcommand
from tenantguard.audit.lint import lint
gc.enable(); gc.collect(); gc.freeze(); gc.set_threshold(50_000, 50, 100)  # as `tenantguard lint` runs
report = lint([sys.argv[1]], tenant_paths=[sys.argv[2]], jobs=int(sys.argv[3]))
t1 = time.perf_counter()
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the largest --jobs worker, 0 without any
print(report.objects, len(report.results), len(report.errors), t1 - t0, rss, workers)
"""

# The floor: the same reader lint uses (tenantguard.manifests: yaml_rs, YAML 1.1 fallback, file:line), no judging.
_BASELINE = """
import sys, time
from tenantguard import manifests
t0 = time.perf_counter()
n = sum(1 for m in manifests.read([sys.argv[1]]) if not isinstance(m, manifests.InputError))
print(n, time.perf_counter() - t0)
"""

# The bare parse the target is stated against: yaml_rs on every document of the same files (JSON is YAML; the
# List files go through yaml_rs too), no 1.1 checks, no file:line, no judging.
_BARE = """
import re, sys, time
from pathlib import Path
import yaml_rs
files = sorted(Path(sys.argv[1]).iterdir())
split = re.compile(r"^---(?:\\s|$)", re.MULTILINE)
t0 = time.perf_counter()
n = 0
for f in files:
    text = f.read_text(encoding="utf-8")
    for doc in split.split(text) if f.suffix == ".yaml" else [text]:
        if doc.strip():
            data = yaml_rs.loads(doc, parse_datetime=False)
            n += len(data["items"]) if data.get("kind") == "List" else 1
print(n, time.perf_counter() - t0)
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--objects", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--jobs", default="auto", help="lint's worker processes, as `tenantguard lint --jobs` (default: auto)"
    )
    parser.add_argument("--profile", metavar="FILE", help="also write a cProfile of one lint run to FILE (--jobs 1)")
    args = parser.parse_args()
    jobs = "0" if args.jobs == "auto" else str(int(args.jobs))
    bytecode.ensure()  # else each run would time compiling whatever modules were edited since their bytecode
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp)
        n = generate(corpus, args.objects)
        rates, rss, worker_rss, parse_times, bare_times = [], [], [], [], []
        for _ in range(args.runs):
            out = subprocess.run(
                [sys.executable, "-c", _CHILD, str(corpus), str(TENANTS), jobs],
                capture_output=True,
                text=True,
                check=True,
                cwd=ROOT,
            ).stdout.split()
            objects, violations, errors, seconds, maxrss = (
                int(out[0]),
                int(out[1]),
                int(out[2]),
                float(out[3]),
                int(out[4]),
            )
            assert objects == n and errors == 0, out
            rates.append(objects / seconds)
            rss.append(maxrss / 1024)
            worker_rss.append(int(out[5]) / 1024)
            base = subprocess.run(
                [sys.executable, "-c", _BASELINE, str(corpus)], capture_output=True, text=True, check=True
            ).stdout.split()
            parse_times.append(float(base[1]))
            bare = subprocess.run(
                [sys.executable, "-c", _BARE, str(corpus)], capture_output=True, text=True, check=True
            ).stdout.split()
            assert int(bare[0]) == n, bare
            bare_times.append(float(bare[1]))
        if args.profile:
            script = Path(args.profile).with_suffix(".child.py")
            script.write_text(_CHILD)
            subprocess.run(
                [sys.executable, "-m", "cProfile", "-o", args.profile, str(script), str(corpus), str(TENANTS), "1"],
                capture_output=True,
                check=True,
                cwd=ROOT,
            )
        small = corpus / "batch-0000.yaml"
        starts = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            subprocess.run([str(EXE), "lint", str(small), "--tenants", str(TENANTS)], capture_output=True, check=False)
            starts.append((time.perf_counter() - t0) * 1000)
        lint_s = n / statistics.median(rates)
        processes = workers.count(int(jobs), [f.stat().st_size for f in corpus.iterdir()])
        print(f"objects: {n} ({violations} violations); lint --jobs {args.jobs}: {processes} process(es)")
        print(
            f"lint: {statistics.median(rates):,.0f} objects/s median of {args.runs} "
            f"(runs: {', '.join(f'{r:,.0f}' for r in rates)}); {lint_s:.2f} s"
        )
        print(
            f"baseline, lint's own reader, parse only: {statistics.median(parse_times):.2f} s "
            f"-> lint costs {lint_s / statistics.median(parse_times):.2f}x parsing alone"
        )
        ratios = [(n / r) / b for r, b in zip(rates, bare_times, strict=True)]
        print(
            f"baseline, bare yaml_rs parse of the same documents: {statistics.median(bare_times):.2f} s "
            f"-> lint costs {lint_s / statistics.median(bare_times):.2f}x a bare parse "
            f"(same-run ratios: {', '.join(f'{x:.2f}' for x in ratios)}; median {statistics.median(ratios):.2f})"
        )
        print(
            f"peak RSS: {statistics.median(rss):.0f} MiB median"
            + (f", and {statistics.median(worker_rss):.0f} MiB the largest worker" if max(worker_rss) else "")
        )
        print(
            f"startup to first result (tenantguard lint on 100 objects): {statistics.median(starts):.0f} ms median "
            f"(runs: {', '.join(f'{s:.0f}' for s in starts)})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
