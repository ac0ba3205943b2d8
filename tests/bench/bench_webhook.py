"""Admission throughput and latency per worker over TLS with keep-alive (issue 4's targets).

    python tests/bench/bench_webhook.py [--runs 3] [--duration 10]

Starts `tenantguard serve` (static mode, one process pinned to CPU 0) and drives it from a Go load
generator (tests/bench/loadgen, pinned to CPU 1) over HTTP/1.1 keep-alive TLS, as kube-apiserver calls
webhooks. For a typical Pod and a Deployment: closed-loop AdmissionReviews/s (/validate and /mutate),
and p50/p99 latency at a fixed 1,000 requests/s. Baseline in the same run: a POST to /validate of the same
size, taken through the same path (TLS, HTTP, body read, AdmissionReview parse, the engine's exempt-namespace
skip) but judged by no rule — the typical Pod in `kube-system` — so the ratio shows what judging costs.
Medians over the runs; figures only, never a pass or fail on a timing.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tenantguard.policies.engine import review as engine_review  # noqa: E402
from tenantguard.webhook import certs  # noqa: E402
from tests.corpus import cluster as corpus_cluster  # noqa: E402
from tests.corpus import objects  # noqa: E402
from tests.support.webhook_runner import free_port  # noqa: E402

CACHE = Path(os.environ.get("TENANTGUARD_CACHE", Path.home() / ".cache" / "tenantguard"))
LOADGEN_SRC = ROOT / "tests" / "bench" / "loadgen"
# Keyed by the source, so that a change to the load generator is built rather than an old binary reused.
LOADGEN = CACHE / "tools" / f"loadgen-{hashlib.sha256((LOADGEN_SRC / 'main.go').read_bytes()).hexdigest()[:12]}"


def build_loadgen() -> Path:
    if not LOADGEN.exists():
        LOADGEN.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["go", "build", "-o", f"{LOADGEN}.tmp", "."], cwd=LOADGEN_SRC, check=True)
        Path(f"{LOADGEN}.tmp").rename(LOADGEN)
    return LOADGEN


def review(obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj["metadata"]
    return {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": "bench",
            "kind": {"group": "apps", "version": "v1", "kind": obj["kind"]},
            "resource": {"group": "apps", "version": "v1", "resource": obj["kind"].lower() + "s"},
            "namespace": meta["namespace"],
            "name": meta["name"],
            "operation": "CREATE",
            "userInfo": {"username": "alice", "groups": ["acme-devs", "system:authenticated"]},
            "object": obj,
            "oldObject": None,
            "dryRun": False,
        },
    }


def typical_pod() -> dict[str, Any]:
    dep = objects("vllm-gpu.yaml")[0]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "vllm-llama3-7d9f-abcde",
            "namespace": "acme-prod",
            "labels": dict(dep["spec"]["template"]["metadata"]["labels"]),
        },
        "spec": dep["spec"]["template"]["spec"],
    }


def loadgen(url: str, ca: Path, body: Path | None, *, rate: float = 0, duration: int) -> dict[str, Any]:
    argv = [
        "taskset",
        "-c",
        "1",
        str(LOADGEN),
        "-url",
        url,
        "-ca",
        str(ca),
        "-duration",
        f"{duration}s",
        "-concurrency",
        "8",
    ]
    if body is not None:
        argv += ["-body", str(body)]
    if rate:
        argv += ["-rate", str(rate)]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    result: dict[str, Any] = json.loads(out)
    if result["errors"]:
        raise RuntimeError(f"{result['errors']} errors: {result['firstError']}")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10)
    args = parser.parse_args()
    build_loadgen()
    if not shutil.which("taskset"):
        print("taskset (util-linux) is needed to pin server and client to separate cores", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        port = free_port()
        certs.ensure(work / "certs", ["localhost"], ["127.0.0.1"])
        exe = Path(sys.executable).with_name("tenantguard")
        server = subprocess.Popen(
            [
                "taskset",
                "-c",
                "0",
                str(exe),
                "serve",
                "--tenants",
                str(ROOT / "examples" / "tenants"),
                "--cert-dir",
                str(work / "certs"),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            from tests.support.webhook_runner import WebhookProcess

            WebhookProcess(kubeconfig=work, work_dir=work, port=port, proc=server).wait_ready(30)
            base = f"https://127.0.0.1:{port}"
            ca = work / "certs" / "ca.crt"
            # kube-apiserver sends /mutate the object as written and /validate the mutated one; a denial (the
            # raw pod lacks the mTLS sidecar) also renders the message and counts per rule.
            pol = corpus_cluster()
            raw = {"pod": typical_pod(), "deployment": objects("vllm-gpu.yaml")[0]}
            bodies = {}
            for name, obj in raw.items():
                bodies[f"{name} /mutate"] = ("/mutate", obj)
                bodies[f"{name} /validate"] = ("/validate", engine_review(obj, pol).mutated)
            bodies["pod /validate denied"] = ("/validate", raw["pod"])
            exempt = engine_review(raw["pod"], pol).mutated
            exempt["metadata"] = {**exempt["metadata"], "namespace": "kube-system"}
            baseline_file = work / "body-baseline.json"
            baseline_file.write_text(json.dumps(review(exempt)))
            cases: list[tuple[str, str, Path | None]] = [
                ("pod /validate, exempt (baseline)", "/validate", baseline_file)
            ]
            for i, (label, (path, obj)) in enumerate(bodies.items()):
                file = work / f"body-{i}.json"
                file.write_text(json.dumps(review(obj)))
                cases.append((label, path, file))
            print(f"server: 1 process on CPU 0; load generator on CPU 1; {args.runs} runs x {args.duration}s each")
            baseline = 0.0
            for label, path, body in cases:
                tput = [loadgen(base + path, ca, body, duration=args.duration)["perSecond"] for _ in range(args.runs)]
                lat = [loadgen(base + path, ca, body, rate=1000, duration=args.duration) for _ in range(args.runs)]
                rps = statistics.median(tput)
                baseline = baseline or rps
                p50 = statistics.median(r["p50Ms"] for r in lat)
                p99 = statistics.median(r["p99Ms"] for r in lat)
                print(
                    f"{label:24s} {rps:8,.0f} req/s ({rps / baseline:.2f}x baseline)   at 1,000/s: "
                    f"p50 {p50:.2f} ms  p99 {p99:.2f} ms   (runs: {', '.join(f'{t:,.0f}' for t in tput)})"
                )
        finally:
            server.terminate()
            server.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
