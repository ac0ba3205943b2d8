"""tenantguard against the tools people would pick instead, the same work timed side by side in one run.

    make bench-peers
    python tests/bench/bench_peers.py [--objects 10000 ...] [--runs 7] [--only lint,targets,admission,webhook,audit]

Writes docs/performance.md (tables) and docs/performance.json (every sample). Builds the peers first
(`scripts/build-peers.sh`, pinned versions, into the cache); a peer that cannot be built is skipped with the
build's own error recorded. Workloads:

- lint: the generated corpus of `bench_lint.py` (the realistic mix with the LLM-serving kinds), YAML streams only,
  every 7th heavy object made to ask for privilege escalation. tenantguard on the Pod Security restricted checks
  and on its full rule set; `kyverno apply` with a ClusterPolicy using its built-in `podSecurity` rule at
  restricted (tests/bench/peers/kyverno-restricted.yaml); `gator test` with a restricted ConstraintTemplate
  (tests/bench/peers/gator-restricted.yaml); `kube-linter lint` and `polaris audit` with their default checks
  (built from their source where the module proxy refuses them, see scripts/build-peers.sh). Rounds interleave
  the tools; wall time and peak RSS of each process (os.wait4), and each tool's set of violating objects against
  tenantguard's.
- targets: lint's own targets, `bench_lint.py --objects 10000 --runs 7` (median of 7, ratio to a bare parse).
- admission: pod creates through a dev cluster's kube-apiserver at concurrency 1, 8, 32 with no policy, Pod
  Security Admission enforce=restricted, a ValidatingAdmissionPolicy (tests/bench/peers/vap-restricted.yaml),
  tenantguard's webhook (1 process, and 2 behind haproxy in TCP mode, as a Service spreads connections).
- webhook: `tenantguard serve` alone, a latency/throughput curve from concurrency 1 to 256.
- audit: `bench_audit.py`'s snapshot (100k objects / 200 tenants) through `tenantguard audit --snapshot`, and the
  same objects as YAML streams through `kyverno apply` and `gator test` with the lint workload's restricted
  policies; rounds interleave the tools, wall time and peak RSS of each process. Then a live dev cluster with
  `bench_audit_live.py`'s 10,000 objects through `tenantguard audit --kubeconfig` and `kyverno apply --cluster`.

Figures, never assertions.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import http.client
import json
import os
import platform
import re
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench import bench_lint, bench_webhook  # noqa: E402
from tests.bench.peers_report import (  # noqa: E402
    ObjectKey,
    agreement,
    generated,
    paired_ratios,
    render_json,
    render_markdown,
    summary,
)
from tests.support import bytecode  # noqa: E402

PEERS_DIR = ROOT / "tests" / "bench" / "peers"
TENANTS = ROOT / "examples" / "tenants"
EXE = Path(sys.executable).with_name("tenantguard")
KYVERNO_VERSION = os.environ.get("TENANTGUARD_KYVERNO_VERSION", "v1.19.1")
GATEKEEPER_VERSION = os.environ.get("TENANTGUARD_GATEKEEPER_VERSION", "v3.23.1")
PEER_VERSIONS = {
    "kyverno": KYVERNO_VERSION,
    "kyverno-server": KYVERNO_VERSION,
    "gator": GATEKEEPER_VERSION,
    "kube-linter": os.environ.get("TENANTGUARD_KUBE_LINTER_VERSION", "v0.8.3"),
    "polaris": os.environ.get("TENANTGUARD_POLARIS_VERSION", "v10.2.2"),
}
# Polaris reads ~200 objects/s here: a 50,000-object corpus would take ~4 minutes a round.
POLARIS_MAX_OBJECTS = int(os.environ.get("TENANTGUARD_POLARIS_MAX_OBJECTS", "10000"))
BROKEN_EVERY = 7

# How to read the tables; written into every report (and re-rendered with --render).
NOTES = [
    "The machine is shared (2 cores; other test runs were going on): absolute figures move between runs by 2-3x, "
    "the same-round ratios much less. Compare ratios, not figures from different runs.",
    "Lint corpus: `tests/bench/bench_lint.py`'s generator (40% LLM-serving objects: Deployments, StatefulSets, "
    "KServe InferenceServices, LeaderWorkerSets, RayServices, NetworkPolicies, RBAC; 60% ConfigMaps, Services, "
    "ServiceAccounts, Secrets, PVCs) in YAML streams of 100 objects. Every 7th LLM-serving object asks for "
    "privilege escalation in every container. JSON `kind: List` files are left out here: `gator test` reads a "
    'List as one object named "" and drops the rest as duplicates, which would make it skip a quarter of the '
    "corpus for a reason other than the checks.",
    "tenantguard lint runs as the CLI does by default, with `--jobs auto`: one forked worker per CPU (2 here) once "
    "the input is large enough; its peak RSS is the largest process's (each worker holds its share of the files). "
    "gator and kyverno are Go programs and use both cores too.",
    "tenantguard's bytecode is written before anything is timed (`tests/support/bytecode.py`, `make bytecode`): "
    "this machine sets PYTHONDONTWRITEBYTECODE, so lint runs measured before 2026-12-06 11:53 UTC included "
    "compiling whichever modules had been edited since their bytecode was last written (up to ~0.1 s a process).",
    "Since 2026-12-06 13:10 UTC tenantguard reads a plain YAML stream in one yaml_rs call and clears it of YAML 1.1 "
    "scalars with RE2 in one pass (`tenantguard/manifests.py`; reading the 10k corpus 1.6x faster); lint figures "
    "from earlier runs used one call and three `re` scans per document.",
    "lint's own targets move with the host's load: on 2026-12-06, medians of 7 of 11,173 objects/s at 13:31 UTC, "
    "6,360 at 14:13 (right after the 50k rounds; the same runs' bare parse took 0.22 s and lint's reader 0.33 s, "
    "against 0.19 s and 0.20-0.21 s at the other times) and 11,312 at 14:16 (bench_lint.py alone). The figure "
    "under the lint table is the last `--only targets` run.",
    "kube-linter and Polaris: the module proxy refuses both (see Peers), so `scripts/build-peers.sh` builds each "
    "from its own source at the pinned tag, its dependencies from the proxy (TENANTGUARD_KUBE_LINTER_GIT / "
    "TENANTGUARD_POLARIS_GIT name a git repository of it; here the workplace's snapshots of "
    "github.com/stackrox/kube-linter and github.com/FairwindsOps/polaris). They run their default checks, most of "
    "which are not Pod Security checks (probes, resource limits, anti-affinity, Services without pods...), so "
    "their `x` is against tenantguard's full rule set, and which objects they find is compared on their "
    "privilege-escalation check. Polaris runs on corpora up to 10,000 objects (TENANTGUARD_POLARIS_MAX_OBJECTS).",
    "tenantguard lint mutates before it judges, as admission does (the Pod Security defaults are filled in), so "
    "an object that only omits a restricted field is not a violation for it but is one for kyverno and gator; the "
    "generated breakage sets the field explicitly, which every tool must report.",
    "Admission: the benchmark pod is restricted-compliant and admitted by every peer; a pod asking for privilege "
    "escalation is checked to be refused by each (PSA and the webhook answer 403, the VAP 422, Kyverno 400) before "
    "its cells. "
    "The pods are never scheduled (an unknown schedulerName), so the scheduler and kwok add no load. The "
    "webhook runs in cluster mode without the reconciler (which would put the Pod Security labels back).",
    "Kyverno's admission controller runs as a local process (`kyverno-server --kubeconfig --serverIP`, its CRDs and "
    "the chart's manifests without Deployments applied first) for the whole admission workload; its informers and "
    "background controllers share the 2 cores with the other peers' cells. Only its cells have the ClusterPolicy, "
    "so only then does kube-apiserver call it for pods.",
    "Audit snapshot: `tests/bench/bench_audit.py`'s generator, 200 tenants x 2 namespaces (Pods, Deployments, "
    "Services, ConfigMaps, Secrets, NetworkPolicies, RoleBindings, ServiceAccounts, ResourceQuotas, KServe "
    "InferenceServices; Tenants and Namespaces), as `kind: List` files for tenantguard and the same objects "
    "re-written as YAML streams of 500 for the peers (`gator test` takes a List as one object). The work differs: "
    "tenantguard's audit runs every rule over every object plus the isolation checks (network reachability between "
    "all tenants' pods, RBAC, mTLS, exposure) and writes its JSON report; kyverno and gator check only the restricted "
    "profile, on Pods and the built-in controllers. The generated workloads are restricted-compliant; the "
    "InferenceServices' containers set no securityContext, which only tenantguard reads.",
    "Audit of a live cluster: `tests/bench/bench_audit_live.py`'s objects (20 tenants x 300 ConfigMaps, 100 Services, "
    "100 Deployments with replicas 0, every 10th asking for privilege escalation) and the 2,000 ReplicaSets "
    "kube-controller-manager makes for them, in a dev cluster; `tenantguard audit --kubeconfig` and `kyverno apply "
    "--cluster` read them through kube-apiserver (gator cannot read a cluster). Kyverno lists only the kinds its "
    "policy names.",
    "The admission rows marked `serving pod as its controller creates it` send a pod with a port as kube-apiserver "
    "stored it with tenantguard registered (tenant label, the mTLS sidecar and its volume): the pods controllers "
    "create from templates the webhook mutated. kube-apiserver skips `/mutate` for those (one webhook call per create "
    "instead of two; `policies/mutation_cel.py`), so their `calls/create` is 1; their added latency is against the "
    "no-policy row with the same pod.",
    "The `do-nothing Go webhook` rows register tenantguard's own configurations (so the same calls per create) "
    "pointing at `tests/bench/floorhook`, a Go server that answers allowed after reading the uid: what those "
    "webhook calls cost kube-apiserver on this machine with no policy work. tenantguard's added latency minus the "
    "floor's is what its own handling adds.",
]


def log(message: str) -> None:
    print(f"[bench-peers {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def machine() -> dict[str, Any]:
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": mem,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


# ---------------------------------------------------------------------------------------------------- peers


def build_peers(names: list[str]) -> tuple[Path | None, dict[str, dict[str, Any]]]:
    """Build what is missing (scripts/build-peers.sh, one peer at a time so that one failure spares the rest);
    the bin directory of the Kyverno and Gatekeeper builds and, for each peer, built (its binary) or the build's
    own error. kube-linter and Polaris, which the module proxy refuses, are built from their source where
    TENANTGUARD_KUBE_LINTER_GIT / TENANTGUARD_POLARIS_GIT name it (scripts/build-peers.sh)."""
    status: dict[str, dict[str, Any]] = {}
    bin_dir: Path | None = None
    for name in names:
        log(f"build-peers.sh {name} (cached after the first build)")
        proc = subprocess.run(
            ["bash", str(ROOT / "scripts" / "build-peers.sh"), name], capture_output=True, text=True, check=False
        )
        if proc.returncode == 0:
            where = Path(proc.stdout.strip().splitlines()[-1])
            if name in ("gator", "kyverno", "kyverno-server"):
                bin_dir = where
            source = [ln for ln in proc.stderr.splitlines() if ln.startswith(f"{name}: built from tag")]
            built = "built from its source (the module proxy refuses it)" if source else "built"
            detail = str(where / name) + (f"; {source[-1].removeprefix(name + ': ')}" if source else "")
            status[name] = {
                "version": PEER_VERSIONS[name],
                "status": built,
                "detail": detail,
                "binary": str(where / name),
            }
        else:
            tail = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()][-6:]
            refused = "refuses" in proc.stderr
            status[name] = {
                "version": PEER_VERSIONS[name],
                "status": "refused" if refused else "not built",
                "detail": " / ".join(tail),
            }
    return bin_dir, status


def peer_binary(report: dict[str, Any], name: str) -> Path | None:
    """The binary of a peer this run built, None when it has none."""
    binary = report.get("peers", {}).get(name, {}).get("binary")
    return Path(binary) if binary else None


# ---------------------------------------------------------------------------------------------------- lint


# Runs the tool for `measured` from a freshly exec'd, small process. Linux carries a process's peak RSS across
# fork and exec (the child's high-water mark starts at the parent's at fork time), so a tool forked straight from
# this runner — which by the audit holds the generated snapshot — would report the runner's peak, not its own.
_RSS_WRAPPER = """
import os, sys, time
t0 = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(sys.argv[2], sys.argv[2:])
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as f:
    f.write(f"{time.perf_counter() - t0} {usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}")
"""


def measured(argv: list[str], *, cwd: Path = ROOT, stdout: Path | None = None) -> tuple[float, float, int]:
    """Run a command to its end: (wall seconds, peak RSS MiB of its largest process, exit status)."""
    out = stdout.open("wb") if stdout is not None else subprocess.DEVNULL
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as result:
        try:
            proc = subprocess.run(
                [sys.executable, "-S", "-c", _RSS_WRAPPER, result.name, *argv],
                cwd=cwd,
                stdout=out,
                stderr=subprocess.PIPE,
                check=False,
            )
        finally:
            if stdout is not None and hasattr(out, "close"):
                out.close()
        seconds_text, rss_kib, status = result.read().split()
    returncode = int(status)
    if proc.returncode != 0 or returncode not in (0, 1):  # 1: violations found (gator, tenantguard lint, kyverno)
        err = proc.stderr.decode(errors="replace")
        raise RuntimeError(f"{argv[0]} exited {returncode}: {err[-2000:]}")
    return float(seconds_text), int(rss_kib) / 1024, returncode


def record_commands(report: dict[str, Any], tools: Sequence[tuple[str, str, list[str], Any, str]], tmp: Path) -> None:
    """Each tool's command line in the report, with the run's temporary folder and the checkout made relative."""
    for _, _, argv, _, _ in tools:
        report["commands"].append(" ".join(argv).replace(str(tmp), "$TMP").replace(str(ROOT) + "/", ""))


def _key(obj: dict[str, Any]) -> ObjectKey:
    meta = obj.get("metadata") or {}
    return (str(obj.get("kind", "")), str(meta.get("namespace") or ""), str(meta.get("name") or ""))


def tg_violating(out: Path) -> set[ObjectKey]:
    return {(k, ns, name) for k, ns, name in json.loads(out.read_text())["violating"]}


def tg_cli_violating(out: Path) -> set[ObjectKey]:
    return {(r["kind"], r["namespace"], r["name"]) for r in json.loads(out.read_text())["results"]}


def gator_violating(out: Path) -> set[ObjectKey]:
    text = out.read_text().strip()
    return {_key(v["violatingObject"]) for v in ((json.loads(text) if text else None) or [])}


def kyverno_violating(out: Path) -> set[ObjectKey]:
    """Kyverno's policy report (`--policy-report --output-format json`, or YAML): results that failed."""
    import yaml

    found: set[ObjectKey] = set()
    text = out.read_text()
    start = min((i for i in (text.find("{"), text.find("apiVersion")) if i >= 0), default=-1)
    if start < 0:
        return found
    body = text[start:]
    docs = [json.loads(body)] if body.startswith("{") else list(yaml.safe_load_all(body))
    for doc in docs:
        for item in (doc or {}).get("items", [doc]) if isinstance(doc, dict) else []:
            for result in item.get("results") or []:
                if result.get("result") not in ("fail", "error"):
                    continue
                for res in result.get("resources") or []:
                    found.add((res.get("kind", ""), res.get("namespace", ""), res.get("name", "")))
    return found


def kube_linter_violating(out: Path) -> set[ObjectKey]:
    """The objects kube-linter's `privilege-escalation-container` check reports (the breakage the corpus carries,
    the restricted check every tool shares)."""
    found: set[ObjectKey] = set()
    for r in json.loads(out.read_text()).get("Reports") or []:
        if r.get("Check") == "privilege-escalation-container":
            o = r["Object"]["K8sObject"]
            found.add((o["GroupVersionKind"]["Kind"], o.get("Namespace") or "", o.get("Name") or ""))
    return found


def polaris_violating(out: Path) -> set[ObjectKey]:
    """The objects with a container Polaris's `privilegeEscalationAllowed` check fails."""
    found: set[ObjectKey] = set()
    for r in json.loads(out.read_text()).get("Results") or []:
        for c in (r.get("PodResult") or {}).get("ContainerResults") or []:
            check = (c.get("Results") or {}).get("privilegeEscalationAllowed")
            if check is not None and not check.get("Success"):
                found.add((r["Kind"], r.get("Namespace") or "", r["Name"]))
    return found


BUILT_IN = "built-in checks"


def lint_workload(args: argparse.Namespace, bin_dir: Path | None, report: dict[str, Any], tmp: Path) -> None:
    gator = bin_dir / "gator" if bin_dir else None
    kyverno = bin_dir / "kyverno" if bin_dir else None
    kube_linter, polaris = peer_binary(report, "kube-linter"), peer_binary(report, "polaris")
    for n in args.objects:
        corpus = tmp / f"corpus-{n}"
        corpus.mkdir()
        bench_lint.generate(corpus, n, broken_every=BROKEN_EVERY, json_every=0)
        out = tmp / "out"
        out.mkdir(exist_ok=True)
        tools: list[tuple[str, str, list[str], Callable[[Path], set[ObjectKey]], str]] = [
            (
                "tenantguard",
                "Pod Security restricted",
                [sys.executable, str(PEERS_DIR / "tg_lint.py"), "--restricted", str(corpus), str(TENANTS)],
                tg_violating,
                "rule set narrowed to PSS001-PSS019 (tests/bench/peers/tg_lint.py); every kind with a pod template",
            ),
            (
                "tenantguard",
                "full rule set",
                [str(EXE), "lint", str(corpus), "--tenants", str(TENANTS), "--format", "json", "-o"],
                tg_cli_violating,
                "`tenantguard lint` as CI runs it",
            ),
        ]
        if gator is not None and gator.exists():
            tools.append(
                (
                    "gator test",
                    "Pod Security restricted",
                    [
                        str(gator),
                        "test",
                        "-f",
                        str(corpus),
                        "-f",
                        str(PEERS_DIR / "gator-restricted.yaml"),
                        "-o",
                        "json",
                    ],
                    gator_violating,
                    "ConstraintTemplate written for restricted; matches Pod and the built-in controllers only",
                )
            )
        if kyverno is not None and kyverno.exists():
            tools.append(
                (
                    "kyverno apply",
                    "Pod Security restricted",
                    [
                        str(kyverno),
                        "apply",
                        str(PEERS_DIR / "kyverno-restricted.yaml"),
                        "--resource",
                        str(corpus),
                        "--policy-report",
                        "--output-format",
                        "json",
                    ],
                    kyverno_violating,
                    "built-in podSecurity rule, level restricted; autogen for the built-in controllers",
                )
            )
        if kube_linter is not None:
            tools.append(
                (
                    "kube-linter lint",
                    BUILT_IN,
                    [str(kube_linter), "lint", str(corpus), "--format", "json"],
                    kube_linter_violating,
                    "its default checks (privilege-escalation-container among them); `x` against tenantguard's full "
                    "rule set; violating objects: its privilege-escalation findings",
                )
            )
        if polaris is not None and n <= POLARIS_MAX_OBJECTS:
            tools.append(
                (
                    "polaris audit",
                    BUILT_IN,
                    [str(polaris), "audit", "--audit-path", str(corpus), "--format", "json"],
                    polaris_violating,
                    "its default configuration's checks (privilegeEscalationAllowed among them); `x` against "
                    "tenantguard's full rule set; violating objects: its privilegeEscalationAllowed findings",
                )
            )
        elif polaris is not None:
            report["skipped"].append(
                f"lint {n:,}: polaris audit not run above {POLARIS_MAX_OBJECTS:,} objects (~200 objects/s here; "
                "TENANTGUARD_POLARIS_MAX_OBJECTS)"
            )
        samples: dict[int, dict[str, list[float]]] = {i: {"s": [], "rss": []} for i in range(len(tools))}
        violating: dict[int, set[ObjectKey]] = {}
        for rnd in range(args.runs):
            for i, (name, checks, argv, parse, _) in enumerate(tools):
                result = out / f"{i}.json"
                if argv[-1] == "-o" or "tg_lint.py" in argv[1]:  # the tenantguard CLI writes its report with -o
                    seconds, rss, _rc = measured([*argv, str(result)])
                else:
                    seconds, rss, _rc = measured(argv, stdout=result)
                samples[i]["s"].append(seconds)
                samples[i]["rss"].append(rss)
                if rnd == 0:
                    violating[i] = parse(result)
                log(f"lint {n}: round {rnd + 1}/{args.runs} {name} ({checks}): {seconds:.2f} s, {rss:.0f} MiB")
        ours, ours_full = samples[0]["s"], samples[1]["s"]
        for i, (name, checks, argv, _, note) in enumerate(tools):
            secs = samples[i]["s"]
            # Their time over ours = our speed over theirs: the restricted run against tools run on those checks,
            # the full rule set against tools run with all of their own.
            ratio = paired_ratios(secs, ours_full if checks == BUILT_IN else ours) if i else None
            row: dict[str, Any] = {
                "objects": n,
                "tool": name,
                "checks": checks,
                "command": " ".join(Path(a).name if a.startswith(str(tmp)) else a for a in argv),
                "seconds": summary(secs),
                "objectsPerSecond": summary([n / s for s in secs]),
                "rssMiB": summary(samples[i]["rss"]),
                "ratio": ratio,
                "agreement": agreement(violating[0], violating[i]) if checks != "full rule set" else None,
                "note": note,
            }
            if checks == "full rule set":
                row["agreement"] = {
                    "violating": len(violating[i]),
                    "same": violating[0] <= violating[i],
                    "missed": len(violating[0] - violating[i]),
                    "extra": 0,
                    "missedKinds": {},
                    "extraKinds": {},
                }
                row["note"] += f"; {len(violating[i])} objects violate some rule (the restricted ones included)"
            report["lint"].append(row)
        report["commands"].append(
            f"# lint corpus: bench_lint.generate(dir, {n}, broken_every={BROKEN_EVERY}, json_every=0)"
        )
        record_commands(report, tools, tmp)


def own_lint_targets(args: argparse.Namespace, report: dict[str, Any]) -> None:
    """bench_lint.py's median of 7 and its same-run ratio to a bare yaml_rs parse."""
    runs = args.target_runs
    argv = [sys.executable, str(ROOT / "tests" / "bench" / "bench_lint.py"), "--objects", "10000", "--runs", str(runs)]
    log(f"bench_lint.py --objects 10000 --runs {runs}")
    out = subprocess.run(argv, capture_output=True, text=True, check=True, cwd=ROOT).stdout
    rates_m = re.search(r"\(runs: ([^)]*)\)", out)
    bare_m = re.search(r"same-run ratios: ([^;]*);", out)
    assert rates_m and bare_m, out
    rates = [float(x.replace(",", "")) for x in rates_m.group(1).split(", ")]
    bare = [float(x) for x in bare_m.group(1).split(", ")]
    report["lintTargets"] = {
        "objects": 10000,
        "runs": runs,
        "objectsPerSecond": summary(rates),
        "bareRatio": summary(bare),
        "output": out.strip().splitlines(),
    }
    report["commands"].append(f"python tests/bench/bench_lint.py --objects 10000 --runs {runs}")


# ---------------------------------------------------------------------------------------------------- admission

NS = "acme-dev"
PSA_LABEL = "pod-security.kubernetes.io/enforce"


def bench_pod() -> dict[str, Any]:
    """A pod every peer admits: restricted-compliant, from the tenant's registry; generateName so that a load
    generator can send the same body again and again."""
    pod: dict[str, Any] = json.loads(bench_admission_pod())
    pod["metadata"] = {"generateName": "peer-", "namespace": NS}
    pod["spec"]["schedulerName"] = "tenantguard-bench-none"  # never scheduled: no scheduler or kwok work per pod
    return pod


def bench_admission_pod() -> bytes:
    from tests.bench import bench_admission_latency

    return bench_admission_latency.pod(0)


class Api:
    """kube-apiserver with the admin client certificate."""

    def __init__(self, server: str, ca: Path, cert: Path, key: Path) -> None:
        self.host, port = server.removeprefix("https://").rsplit(":", 1)
        self.port = int(port)
        self.ctx = ssl.create_default_context(cafile=str(ca))
        self.ctx.load_cert_chain(str(cert), str(key))

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        conn = http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=120)
        try:
            data = json.dumps(body).encode() if body is not None else None
            conn.request(method, path, body=data, headers={"Content-Type": "application/json"})
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def webhook_seconds(self) -> tuple[float, float]:
        """kube-apiserver's apiserver_admission_webhook_admission_duration_seconds: (sum, count) over CREATEs."""
        _, text = self.call("GET", "/metrics")
        total = count = 0.0
        for line in text.decode().splitlines():
            if (
                line.startswith("apiserver_admission_webhook_admission_duration_seconds_")
                and 'operation="CREATE"' in line
            ):
                value = float(line.rsplit(" ", 1)[1])
                if line.startswith("apiserver_admission_webhook_admission_duration_seconds_sum"):
                    total += value
                elif line.startswith("apiserver_admission_webhook_admission_duration_seconds_count"):
                    count += value
        return total, count


HAPROXY_CFG = """global
    maxconn 4096
defaults
    mode tcp
    timeout connect 5s
    timeout client 60s
    timeout server 60s
frontend webhook
    bind 127.0.0.1:{port}
    default_backend workers
backend workers
    balance leastconn
{servers}
"""


def admission_workload(args: argparse.Namespace, bin_dir: Path | None, report: dict[str, Any], tmp: Path) -> None:
    import yaml

    from tenantguard.devcluster import cluster
    from tenantguard.devcluster.layout import Layout
    from tenantguard.policies.settings import DEFAULT_SETTINGS
    from tenantguard.webhook.configuration import configurations
    from tests.support import webhook_runner
    from tests.support.devcluster import DevCluster, wait_for

    loadgen = bench_webhook.build_loadgen()
    state = tmp / "cluster"
    log("dev cluster up")
    info = cluster.up(state, timeout=300)
    dev = DevCluster.from_info(info)
    layout = Layout(state)
    api = Api(info.server, info.ca_file, layout.pki / "admin.crt", layout.pki / "admin.key")
    hooks = [webhook_runner.WebhookProcess(kubeconfig=info.kubeconfig, work_dir=tmp / f"webhook-{i}") for i in range(2)]
    haproxy: subprocess.Popen[bytes] | None = None
    kyverno: subprocess.Popen[bytes] | None = None
    floor: subprocess.Popen[bytes] | None = None
    try:

        def wait_namespace(ns: str) -> None:
            wait_for(
                lambda: dev.kubectl("get", "sa", "default", "-n", ns, check=False).returncode == 0,
                what=f"ServiceAccount {ns}/default",
            )

        webhook_runner.seed_platform(dev.kubectl, wait_namespace)
        # The reconciler writes the tenant's baseline NetworkPolicies (NET005 denies pods without them); it also
        # keeps the namespaces' Pod Security labels, so it runs only until the policies exist.
        hooks[0].extra_args = ("--reconcile",)
        hooks[0].start()
        wait_for(
            lambda: (
                dev.kubectl("get", "networkpolicy", "tenantguard-default-deny", "-n", NS, check=False).returncode == 0
            ),
            what=f"the baseline NetworkPolicies in {NS}",
            timeout=120,
        )
        hooks[0].stop()
        hooks[0].extra_args = ()
        hooks[0].start()
        shutil.copytree(hooks[0].cert_dir, hooks[1].cert_dir)  # one serving certificate for both workers
        hooks[1].start()
        proxy_port = webhook_runner.free_port()
        cfg = tmp / "haproxy.cfg"
        cfg.write_text(
            HAPROXY_CFG.format(
                port=proxy_port,
                servers="\n".join(f"    server w{i} 127.0.0.1:{h.port}" for i, h in enumerate(hooks)),
            )
        )
        haproxy = subprocess.Popen(
            ["haproxy", "-db", "-f", str(cfg)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        ca_bundle = (hooks[0].cert_dir / "ca.crt").read_bytes()
        floor_port = webhook_runner.free_port()
        floor = subprocess.Popen(
            [str(build_floorhook()), "-addr", f"127.0.0.1:{floor_port}", "-cert", str(hooks[0].cert_dir / "tls.crt"),
             "-key", str(hooks[0].cert_dir / "tls.key")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip

        def hook_yaml(url: str) -> str:
            return yaml.safe_dump_all(configurations(DEFAULT_SETTINGS, ca_bundle=ca_bundle, url=url), sort_keys=False)

        body = tmp / "pod.json"
        body.write_text(json.dumps(bench_pod()))

        if args.kyverno_admission:
            try:
                kyverno = start_kyverno(dev, info.kubeconfig, bin_dir, tmp)
                wait_for(
                    lambda: (
                        dev.kubectl(
                            "get",
                            "validatingwebhookconfiguration",
                            "kyverno-resource-validating-webhook-cfg",
                            check=False,
                        ).returncode
                        == 0
                    ),
                    what="Kyverno's webhook configurations",
                    timeout=180,
                )
            except Exception as err:  # a peer that does not start is recorded, the others still run
                report["skipped"].append(f"Kyverno's admission controller: {type(err).__name__}: {err}"[:600])
                kyverno = None

        def no_policy() -> None:
            if kyverno is not None:
                dev.kubectl("delete", "clusterpolicy", "pss-restricted", "--ignore-not-found")
            dev.kubectl("label", "namespace", NS, f"{PSA_LABEL}-", "--overwrite")
            dev.kubectl(
                "delete",
                "validatingadmissionpolicy,validatingadmissionpolicybinding",
                "bench-pss-restricted",
                "--ignore-not-found",
            )
            dev.kubectl(
                "delete",
                "mutatingwebhookconfiguration,validatingwebhookconfiguration",
                "tenantguard",
                "--ignore-not-found",
            )

        def psa() -> None:
            no_policy()
            dev.kubectl(
                "label", "namespace", NS, f"{PSA_LABEL}=restricted", f"{PSA_LABEL}-version=latest", "--overwrite"
            )

        def vap() -> None:
            no_policy()
            dev.kubectl("apply", "-f", str(PEERS_DIR / "vap-restricted.yaml"))

        def kyverno_policy() -> None:
            no_policy()
            dev.kubectl("apply", "-f", str(PEERS_DIR / "kyverno-restricted.yaml"))
            wait_for(
                lambda: dev.kubectl(
                    "get", "validatingwebhookconfiguration", "kyverno-resource-validating-webhook-cfg",
                    "-o", "jsonpath={.webhooks[*].name}", check=False,
                ).stdout.strip(),
                what="Kyverno's resource webhook for the policy",
                timeout=60,
            )  # fmt: skip

        def webhook(url: str) -> Callable[[], None]:
            def setup() -> None:
                no_policy()
                dev.kubectl("apply", "-f", "-", input=hook_yaml(url))

            return setup

        # Most pods are made by controllers from a template the webhook has mutated: kube-apiserver skips /mutate
        # for them (policies.mutation_cel). The serving pod below is the bare one with a port, as admission
        # stored it with tenantguard registered (tenant label, mTLS sidecar and its volume).
        webhook(hooks[0].url)()
        time.sleep(3)
        made = controller_made_pod(api)
        made_body = tmp / "pod-controller-made.json"
        made_body.write_text(json.dumps(made))
        made_base = "no policy (serving pod as its controller creates it)"
        # (name, setup, request body, the row its added latency is measured against)
        peers: list[tuple[str, Callable[[], None], Path, str]] = [
            ("no policy", no_policy, body, "no policy"),
            ("Pod Security Admission (enforce=restricted)", psa, body, "no policy"),
            ("ValidatingAdmissionPolicy (CEL, restricted)", vap, body, "no policy"),
            *(
                [("Kyverno admission controller (podSecurity restricted)", kyverno_policy, body, "no policy")]
                if kyverno
                else []
            ),
            ("tenantguard webhook, 1 worker", webhook(hooks[0].url), body, "no policy"),
            ("tenantguard webhook, 2 workers (haproxy)", webhook(f"https://127.0.0.1:{proxy_port}"), body, "no policy"),
            (FLOOR, webhook(f"https://127.0.0.1:{floor_port}"), body, "no policy"),
            (made_base, no_policy, made_body, made_base),
            (
                "tenantguard webhook, 1 worker (serving pod as its controller creates it: /mutate skipped)",
                webhook(hooks[0].url),
                made_body,
                made_base,
            ),
            (f"{FLOOR} (serving pod as its controller creates it)", webhook(f"https://127.0.0.1:{floor_port}"),
             made_body, made_base),
        ]  # fmt: skip
        # Does each peer admit the pod and deny a privileged one? (A benchmark of a policy that is not on measures
        # nothing.)
        cells: dict[tuple[str, int], list[dict[str, Any]]] = {}
        for rnd in range(args.rounds):
            for name, setup, peer_body, _ in peers:
                setup()
                time.sleep(3)  # kube-apiserver picks configurations and labels up from its informers
                if rnd == 0:
                    status, text = api.call("POST", f"/api/v1/namespaces/{NS}/pods?dryRun=All", bench_pod())
                    if status != 201:
                        raise RuntimeError(f"{name}: the benchmark pod is refused: HTTP {status} {text[:600]!r}")
                    bad = bench_pod()
                    bad["spec"]["containers"][0]["securityContext"]["allowPrivilegeEscalation"] = True
                    status, _ = api.call("POST", f"/api/v1/namespaces/{NS}/pods?dryRun=All", bad)
                    log(f"admission: {name}: a pod asking for privilege escalation gets HTTP {status}")
                    report.setdefault("admissionChecks", {})[name] = status
                for conc in args.concurrency:
                    before = api.webhook_seconds()
                    res = run_loadgen(loadgen, info, layout, peer_body, conc, args.duration)
                    after = api.webhook_seconds()
                    res["webhookMsPerCreate"] = (
                        (after[0] - before[0]) * 1000 / res["requests"] if after[1] > before[1] else None
                    )
                    res["callsPerCreate"] = (after[1] - before[1]) / res["requests"] if res["requests"] else None
                    cells.setdefault((name, conc), []).append(res)
                    log(
                        f"admission round {rnd + 1}: {name} c={conc}: {res['perSecond']:.0f}/s "
                        f"p50 {res['p50Ms']:.2f} p99 {res['p99Ms']:.2f} ms"
                    )
                    status, text = api.call(
                        "DELETE",
                        f"/api/v1/namespaces/{NS}/pods",
                        {"kind": "DeleteOptions", "apiVersion": "v1", "gracePeriodSeconds": 0},
                    )
                    if status >= 300:
                        log(f"delete pods: HTTP {status} {text[:200]!r}")
        no_policy()
        for name, _, _, baseline in peers:
            for conc in args.concurrency:
                runs = cells[(name, conc)]
                base = cells[(baseline, conc)]
                report["admission"].append(
                    {
                        "peer": name,
                        "concurrency": conc,
                        "perSecond": summary([r["perSecond"] for r in runs]),
                        "p50Ms": summary([r["p50Ms"] for r in runs]),
                        "p95Ms": summary([r["p95Ms"] for r in runs]),
                        "p99Ms": summary([r["p99Ms"] for r in runs]),
                        "addedP50Ms": summary([r["p50Ms"] - b["p50Ms"] for r, b in zip(runs, base, strict=True)]),
                        "addedP99Ms": summary([r["p99Ms"] - b["p99Ms"] for r, b in zip(runs, base, strict=True)]),
                        "webhookMsPerCreate": summary(
                            [r["webhookMsPerCreate"] for r in runs if r["webhookMsPerCreate"] is not None]
                        ),
                        "callsPerCreate": summary([r["callsPerCreate"] for r in runs if r["callsPerCreate"]]),
                        "samples": runs,
                    }
                )
        report["commands"].append(
            f"{loadgen.name} -url $APISERVER/api/v1/namespaces/{NS}/pods -body pod.json -cert admin.crt -key "
            f"admin.key -status 201 -concurrency C -duration {args.duration}s   # C in {args.concurrency}, "
            f"{args.rounds} rounds, peers interleaved"
        )
    finally:
        if kyverno is not None:
            os.killpg(kyverno.pid, 15)
            kyverno.wait(30)
        if floor is not None:
            floor.terminate()
            floor.wait(10)
        if haproxy is not None:
            haproxy.terminate()
            haproxy.wait(10)
        for h in hooks:
            h.stop()
        cluster.down(state)


def _helm() -> Path | None:
    found = shutil.which("helm")
    if found:
        return Path(found)
    cached = sorted((Path.home() / ".cache" / "tenantguard").glob("helm-v3*/bin/helm"))
    return cached[-1] if cached else None


def start_kyverno(dev: Any, kubeconfig: Path, bin_dir: Path | None, tmp: Path) -> subprocess.Popen[bytes]:
    """Kyverno's admission controller as a local process against the dev cluster, as Kyverno's DEVELOPMENT.md
    describes: its CRDs and the chart's manifests without the Deployments (`global.templating.debug`), then the
    binary with --kubeconfig and --serverIP so that it registers its webhooks by URL."""
    server = bin_dir / "kyverno-server" if bin_dir else None
    helm = _helm()
    if server is None or not server.exists():
        raise RuntimeError("kyverno-server is not built")
    if helm is None:
        raise RuntimeError("no helm to render Kyverno's chart")
    module = Path(
        subprocess.run(
            ["go", "mod", "download", "-json", f"github.com/kyverno/kyverno@{KYVERNO_VERSION}"],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT / "tests" / "bench" / "loadgen",
        )
        .stdout.split('"Dir": "')[1]
        .split('"')[0]
    )
    chart = tmp / "kyverno-chart"
    shutil.copytree(module / "charts" / "kyverno", chart)
    for f in chart.rglob("*"):
        f.chmod(0o755 if f.is_dir() else 0o644)
    # The chart's remote dependencies (kyverno-api, openreports, reports-server) are not in the module; the CRDs
    # come from the module's config/crds instead.
    meta = (chart / "Chart.yaml").read_text()
    meta = re.sub(r"  - name: (kyverno-api|openreports|reports-server)\n(    .*\n)+?(?=  - name|\Z)", "", meta)
    (chart / "Chart.yaml").write_text(meta)
    (chart / "Chart.lock").unlink(missing_ok=True)
    rendered = subprocess.run(
        [str(helm), "template", "kyverno", "--namespace", "kyverno", "--skip-tests", str(chart),
         "--set", "crds.install=false", "--set", "global.templating.enabled=true",
         "--set", "global.templating.version=latest", "--set", "global.templating.debug=true"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    for crd in sorted((module / "config" / "crds").rglob("*.yaml")):
        dev.kubectl("apply", "--server-side", "-f", str(crd))
    dev.kubectl("apply", "--server-side", "-f", "-", input=rendered)
    port = _free_port()
    env = {
        **os.environ,
        "KYVERNO_NAMESPACE": "kyverno",
        "KYVERNO_SERVICEACCOUNT_NAME": "kyverno-admission-controller",
        "KYVERNO_DEPLOYMENT": "dummy",
        "KYVERNO_POD_NAME": "dummy",
        "INIT_CONFIG": "kyverno",
        "METRICS_CONFIG": "kyverno-metrics",
    }
    log_file = (tmp / "kyverno-server.log").open("wb")
    proc = subprocess.Popen(
        [str(server), f"--kubeconfig={kubeconfig}", f"--serverIP=127.0.0.1:{port}", f"--webhookServerPort={port}",
         "--backgroundServiceAccountName=system:serviceaccount:kyverno:kyverno-background-controller",
         "--reportsServiceAccountName=system:serviceaccount:kyverno:kyverno-reports-controller",
         "--caSecretName=kyverno-svc.kyverno.svc.kyverno-tls-ca",
         "--tlsSecretName=kyverno-svc.kyverno.svc.kyverno-tls-pair"],
        stdout=log_file, stderr=subprocess.STDOUT, env=env, start_new_session=True,
    )  # fmt: skip
    return proc


def _free_port() -> int:
    from tests.support.webhook_runner import free_port

    return free_port()


# A Go webhook that answers "allowed" after reading only the uid, registered with tenantguard's configurations: what
# the same webhook calls cost kube-apiserver with no policy work at all.
FLOOR = "do-nothing Go webhook, tenantguard's configurations (the floor)"
FLOORHOOK_SRC = ROOT / "tests" / "bench" / "floorhook"


def build_floorhook() -> Path:
    digest = hashlib.sha256((FLOORHOOK_SRC / "main.go").read_bytes()).hexdigest()[:12]
    exe = bench_webhook.CACHE / "tools" / f"floorhook-{digest}"
    if not exe.exists():
        exe.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["go", "build", "-o", f"{exe}.tmp", "."], cwd=FLOORHOOK_SRC, check=True)
        Path(f"{exe}.tmp").rename(exe)
    return exe


def controller_made_pod(api: Api) -> dict[str, Any]:
    """A serving pod (it declares a port) as kube-apiserver stores it with tenantguard registered, ready to be
    sent again: what a ReplicaSet creates from a template the webhook mutated."""
    pod = bench_pod()
    pod["spec"]["containers"][0]["ports"] = [{"containerPort": 8080}]
    status, text = api.call("POST", f"/api/v1/namespaces/{NS}/pods?dryRun=All", pod)
    if status != 201:
        raise RuntimeError(f"the serving pod is refused: HTTP {status} {text[:600]!r}")
    stored: dict[str, Any] = json.loads(text)
    stored.pop("status", None)
    meta = stored["metadata"]
    for key in ("name", "uid", "resourceVersion", "creationTimestamp", "managedFields"):
        meta.pop(key, None)
    if not any(c["name"] == "tenantguard-mtls" for c in stored["spec"].get("initContainers", [])):
        raise RuntimeError("the serving pod was not injected: is the webhook registered?")
    return stored


def run_loadgen(loadgen: Path, info: Any, layout: Any, body: Path, conc: int, duration: int) -> dict[str, Any]:
    argv = [
        str(loadgen),
        "-url", f"{info.server}/api/v1/namespaces/{NS}/pods",
        "-body", str(body),
        "-ca", str(info.ca_file),
        "-cert", str(layout.pki / "admin.crt"),
        "-key", str(layout.pki / "admin.key"),
        "-status", "201",
        "-concurrency", str(conc),
        "-duration", f"{duration}s",
    ]  # fmt: skip
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    result: dict[str, Any] = json.loads(out)
    if result["errors"]:
        raise RuntimeError(f"{result['errors']} errors: {result['firstError']}")
    return result


# ---------------------------------------------------------------------------------------------------- webhook


def webhook_workload(args: argparse.Namespace, report: dict[str, Any], tmp: Path) -> None:
    from tenantguard.policies.engine import review as engine_review
    from tenantguard.webhook import certs
    from tests.corpus import cluster as corpus_cluster
    from tests.support.webhook_runner import WebhookProcess, free_port

    loadgen = bench_webhook.build_loadgen()
    work = tmp / "webhook-alone"
    port = free_port()
    certs.ensure(work / "certs", ["localhost"], ["127.0.0.1"])
    server = subprocess.Popen(
        ["taskset", "-c", "0", str(EXE), "serve", "--tenants", str(TENANTS), "--cert-dir", str(work / "certs"),
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        WebhookProcess(kubeconfig=work, work_dir=work, port=port, proc=server).wait_ready(60)
        pod = bench_webhook.typical_pod()
        bodies = {
            "/mutate": bench_webhook.review(pod),
            "/validate": bench_webhook.review(engine_review(pod, corpus_cluster()).mutated),
        }
        for path, review in bodies.items():
            file = work / f"{path.strip('/')}.json"
            file.write_text(json.dumps(review))
            for conc in args.webhook_concurrency:
                runs = []
                for _ in range(args.webhook_runs):
                    argv = ["taskset", "-c", "1", str(loadgen), "-url", f"https://127.0.0.1:{port}{path}", "-ca",
                            str(work / "certs" / "ca.crt"), "-body", str(file), "-concurrency", str(conc),
                            "-duration", f"{args.duration}s"]  # fmt: skip
                    res = json.loads(subprocess.run(argv, capture_output=True, text=True, check=True).stdout)
                    runs.append(res)
                log(f"webhook {path} c={conc}: {statistics.median(r['perSecond'] for r in runs):.0f}/s")
                report["webhook"].append(
                    {
                        "path": path,
                        "concurrency": conc,
                        "perSecond": summary([r["perSecond"] for r in runs]),
                        "p50Ms": summary([r["p50Ms"] for r in runs]),
                        "p95Ms": summary([r["p95Ms"] for r in runs]),
                        "p99Ms": summary([r["p99Ms"] for r in runs]),
                        "errors": sum(r["errors"] for r in runs),
                    }
                )
        report["commands"].append(
            f"taskset -c 0 tenantguard serve --tenants examples/tenants ...; taskset -c 1 {loadgen.name} -url "
            f"https://127.0.0.1:PORT/{{mutate,validate}} -body review.json -concurrency C -duration {args.duration}s"
            f"   # C in {args.webhook_concurrency}, {args.webhook_runs} runs"
        )
    finally:
        server.terminate()
        server.wait(10)


# ---------------------------------------------------------------------------------------------------- audit


def peer_snapshot(snapshot: Path, out: Path, per_file: int = 500) -> int:
    """The snapshot's objects again as plain YAML streams (`---`-separated documents, `per_file` to a file), the form
    `kyverno apply --resource` and `gator test -f` read object by object (a `kind: List` is one object to gator)."""
    import orjson
    import yaml

    out.mkdir()
    objs: list[dict[str, Any]] = []
    for f in sorted(snapshot.iterdir()):
        doc = orjson.loads(f.read_bytes()) if f.suffix == ".json" else yaml.load(f.read_text(), Loader=yaml.CSafeLoader)
        objs += doc["items"] if doc.get("kind") == "List" else [doc]
    for i in range(0, len(objs), per_file):
        text = yaml.dump_all(objs[i : i + per_file], Dumper=yaml.CSafeDumper, width=1000, sort_keys=False)
        (out / f"objects-{i // per_file:04d}.yaml").write_text(text)
    return len(objs)


def tg_audit_violating(out: Path) -> set[ObjectKey]:
    """The objects `tenantguard audit --format json` reports under the restricted profile's rules (PSS001-PSS019,
    as tg_lint.py --restricted; PSS020 judges Namespace labels, which no peer does)."""
    report = json.loads(out.read_text())
    return {
        (v["kind"], v["namespace"], v["name"])
        for v in report["isolation"]["violations"]
        if re.fullmatch(r"PSS0(0[1-9]|1[0-9])", str(v["rule"]))
    }


AuditTool = tuple[str, str, list[str], Callable[[Path], set[ObjectKey]], str]  # name, checks, argv, parse, note


def audit_workload(args: argparse.Namespace, bin_dir: Path | None, report: dict[str, Any], tmp: Path) -> None:
    """tenantguard's audit over bench_audit.py's snapshot (~100k objects, 200 tenants), and `kyverno apply` and
    `gator test` over the same objects as YAML streams; rounds interleave the tools, as in lint."""
    from tests.bench import bench_audit

    snapshot = tmp / "audit-snapshot"
    snapshot.mkdir()
    total = bench_audit.generate(snapshot, args.audit_tenants)
    peer_dir = tmp / "audit-yaml"
    peer_total = peer_snapshot(snapshot, peer_dir)
    assert peer_total == total, (peer_total, total)
    log(f"audit: snapshot of {total:,} objects, {args.audit_tenants} tenants (and the same objects as YAML streams)")
    out = tmp / "audit-out"
    out.mkdir()
    gator = bin_dir / "gator" if bin_dir else None
    kyverno = bin_dir / "kyverno" if bin_dir else None
    tools: list[AuditTool] = [
        (
            "tenantguard audit",
            "every rule + isolation checks + usage",
            [str(EXE), "audit", "--snapshot", str(snapshot), "--format", "json", "-o"],
            tg_audit_violating,
            "`tenantguard audit --snapshot` over bench_audit.py's `kind: List` files (JSON, Tenants and Namespaces "
            f"as YAML); every rule over every object, the isolation checks (reachability between {args.audit_tenants} "
            "tenants), the usage report",
        )
    ]
    if gator is not None and gator.exists():
        tools.append(
            (
                "gator test",
                "Pod Security restricted",
                [str(gator), "test", "-f", str(peer_dir), "-f", str(PEERS_DIR / "gator-restricted.yaml"), "-o", "json"],
                gator_violating,
                "the same objects as YAML streams; restricted ConstraintTemplate only (Pod and built-in controllers)",
            )
        )
    if kyverno is not None and kyverno.exists():
        tools.append(
            (
                "kyverno apply",
                "Pod Security restricted",
                [
                    str(kyverno),
                    "apply",
                    str(PEERS_DIR / "kyverno-restricted.yaml"),
                    "--resource",
                    str(peer_dir),
                    "--policy-report",
                    "--output-format",
                    "json",
                ],
                kyverno_violating,
                "the same objects as YAML streams; built-in podSecurity rule at restricted only",
            )
        )
    audit_rounds(args, report, tools, out, workload=f"snapshot, {args.audit_tenants} tenants", objects=total)
    report["commands"].append(
        f"# audit snapshot: bench_audit.generate(dir, {args.audit_tenants}) ({total:,} objects); the peers read the "
        "same objects as YAML streams of 500 (bench_peers.peer_snapshot)"
    )
    record_commands(report, tools, tmp)
    audit_live_workload(args, bin_dir, report, tmp)


def audit_rounds(
    args: argparse.Namespace, report: dict[str, Any], tools: list[AuditTool], out: Path, *, workload: str, objects: int
) -> None:
    """Each tool once a round (interleaved), the first being tenantguard's audit: one report row per tool, ratios
    and agreement against tenantguard's in the same round."""
    samples: dict[int, dict[str, list[float]]] = {i: {"s": [], "rss": []} for i in range(len(tools))}
    violating: dict[int, set[ObjectKey]] = {}
    for rnd in range(args.audit_runs):
        for i, (name, _checks, argv, parse, _) in enumerate(tools):
            result = out / f"{i}.json"
            if argv[-1] == "-o":
                seconds, rss, _rc = measured([*argv, str(result)])
            else:
                seconds, rss, _rc = measured(argv, stdout=result)
            samples[i]["s"].append(seconds)
            samples[i]["rss"].append(rss)
            if rnd == 0:
                violating[i] = parse(result)
            log(f"audit ({workload}): round {rnd + 1}/{args.audit_runs} {name}: {seconds:.2f} s, {rss:.0f} MiB")
    ours = samples[0]["s"]
    for i, (name, checks, _, _, note) in enumerate(tools):
        secs = samples[i]["s"]
        report["audit"].append(
            {
                "workload": workload,
                "tool": name,
                "checks": checks,
                "objects": objects,
                "seconds": summary(secs),
                "objectsPerSecond": summary([objects / s for s in secs]),
                "rssMiB": summary(samples[i]["rss"]),
                "ratio": paired_ratios(secs, ours) if i else None,  # their time over ours, per round
                "agreement": agreement(violating[0], violating[i]),
                "note": note,
            }
        )


def audit_live_workload(args: argparse.Namespace, bin_dir: Path | None, report: dict[str, Any], tmp: Path) -> None:
    """The audit of a live cluster: bench_audit_live.py's 10,000 objects (20 tenants x 300 ConfigMaps, 100
    Services, 100 Deployments, every 10th Deployment asking for privilege escalation) and the Deployments'
    2,000 ReplicaSets in a dev cluster, read
    through kube-apiserver by `tenantguard audit --kubeconfig` and by `kyverno apply --cluster`; gator cannot read
    a cluster."""
    from tenantguard.devcluster import cluster
    from tests.bench import bench_audit_live
    from tests.support.devcluster import wait_for

    state = tmp / "audit-live-cluster"
    info = cluster.up(state, timeout=180)
    try:
        kubeconfig = Path(info.kubeconfig)
        kubectl = [str(info.kubectl), "--kubeconfig", str(kubeconfig)]
        loaded = bench_audit_live.load(kubectl, kubeconfig, tmp, 20, violating_every=10)
        deployments = 20 * bench_audit_live.PER_NAMESPACE["Deployment"]

        def replica_sets() -> int:
            listed = subprocess.run([*kubectl, "get", "rs", "-A", "--no-headers"], capture_output=True, text=True)
            return len(listed.stdout.splitlines())

        # kube-controller-manager makes a ReplicaSet per Deployment: measure once they exist, so every round
        # reads the same cluster.
        wait_for(lambda: replica_sets() >= deployments, what=f"{deployments} ReplicaSets", timeout=600, interval=5)
        loaded += replica_sets()
        log(f"audit (live): {loaded:,} objects in a dev cluster (the Deployments' ReplicaSets included)")
        out = tmp / "audit-live-out"
        out.mkdir()
        kyverno = bin_dir / "kyverno" if bin_dir else None
        tools: list[AuditTool] = [
            (
                "tenantguard audit",
                "every rule + isolation checks + usage",
                [str(EXE), "audit", "--kubeconfig", str(kubeconfig), "--format", "json", "-o"],
                tg_audit_violating,
                "`tenantguard audit --kubeconfig`: lists every kind it judges through kube-apiserver (paged, "
                "streamed), every rule, isolation and usage",
            )
        ]
        if kyverno is not None and kyverno.exists():
            policy = str(PEERS_DIR / "kyverno-restricted.yaml")
            argv = [str(kyverno), "apply", policy, "--cluster", "--kubeconfig", str(kubeconfig)]
            tools.append(
                (
                    "kyverno apply --cluster",
                    "Pod Security restricted",
                    [*argv, "--policy-report", "--output-format", "json"],
                    kyverno_violating,
                    "built-in podSecurity rule at restricted only; reads only the kinds its policy names (Pods and "
                    "their controllers), not the ConfigMaps and Services",
                )
            )
        audit_rounds(args, report, tools, out, workload=f"live cluster, {loaded:,} objects", objects=loaded)
        report["commands"].append(
            f"# audit live: bench_audit_live.load(kubectl, kubeconfig, dir, 20, violating_every=10) ({loaded:,} "
            "objects in a dev cluster)"
        )
        record_commands(report, tools, tmp)
    finally:
        cluster.down(state)


# ---------------------------------------------------------------------------------------------------- main

# lint's own targets are a section of their own: 30 s to measure again, where the peers' lint rounds take 30 minutes.
SECTIONS = {"lint": ("lint",), "targets": ("lintTargets",), "admission": ("admission", "admissionChecks"),
            "webhook": ("webhook",), "audit": ("audit",)}  # fmt: skip


def measured_here(command: str, only: set[str]) -> bool:
    """Whether a command kept by --merge belongs to a section this run measures again (the audit's are the ones
    named after it; lint, admission and webhook keep theirs as before)."""
    return "audit" in only and "audit" in command


def write_report(args: argparse.Namespace, report: dict[str, Any], times: dict[str, str]) -> None:
    """docs/performance.json and .md; the header says which run each section is from."""
    report["sectionTimes"] = dict(times)
    if times:
        report["generated"] = generated(times)
    args.json.write_text(render_json(report))
    args.md.write_text(render_markdown(report))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--objects", type=int, nargs="+", default=[10_000])
    parser.add_argument("--runs", type=int, default=5, help="lint rounds (tools interleaved)")
    parser.add_argument("--target-runs", type=int, default=7, help="bench_lint.py runs for lint's own targets")
    parser.add_argument("--only", default="lint,targets,admission,webhook,audit")
    parser.add_argument("--rounds", type=int, default=3, help="admission rounds (peers interleaved)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--duration", type=int, default=5, help="seconds per load-generator cell")
    parser.add_argument("--webhook-concurrency", type=int, nargs="+", default=[1, 4, 16, 64, 256])
    parser.add_argument("--webhook-runs", type=int, default=3)
    parser.add_argument("--audit-runs", type=int, default=3, help="audit rounds (tools interleaved)")
    parser.add_argument("--audit-tenants", type=int, default=200, help="audit snapshot: 200 tenants ≈ 100k objects")
    parser.add_argument("--md", type=Path, default=ROOT / "docs" / "performance.md")
    parser.add_argument("--json", type=Path, default=ROOT / "docs" / "performance.json")
    parser.add_argument("--render", action="store_true", help="only rewrite --md from --json (current notes)")
    parser.add_argument(
        "--merge", action="store_true", help="keep the sections of the existing --json that this run does not measure"
    )
    parser.add_argument(
        "--no-kyverno-admission", dest="kyverno_admission", action="store_false", help="leave Kyverno's server out"
    )
    args = parser.parse_args()
    if args.render:
        last = json.loads(args.json.read_text())
        last["notes"] = NOTES
        args.json.write_text(render_json(last))
        args.md.write_text(render_markdown(last))
        return 0
    bytecode.ensure()
    only = set(args.only.split(","))
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    report: dict[str, Any] = {
        "generated": now,
        "machine": machine(),
        "notes": NOTES,
        "peers": {},
        "lint": [],
        "admission": [],
        "webhook": [],
        "audit": [],
        "skipped": [],
        "commands": [f"python tests/bench/bench_peers.py {' '.join(sys.argv[1:])}".strip()],
    }
    bin_dir, report["peers"] = build_peers(["gator", "kyverno", "kyverno-server", "kube-linter", "polaris"])
    saved: dict[str, Any] = json.loads(args.json.read_text()) if args.merge and args.json.exists() else {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        steps: list[tuple[str, Callable[[], None]]] = [
            ("lint", lambda: lint_workload(args, bin_dir, report, tmp)),
            ("targets", lambda: own_lint_targets(args, report)),
            ("admission", lambda: admission_workload(args, bin_dir, report, tmp)),
            ("webhook", lambda: webhook_workload(args, report, tmp)),
            ("audit", lambda: audit_workload(args, bin_dir, report, tmp)),
        ]
        # When each section was measured: this run's sections now, --merge's the earlier run's (its own times if
        # it kept them, else its header).
        times: dict[str, str] = {}
        for name, step in steps:
            if name not in only:
                if saved:  # --merge: this section as the earlier run measured it
                    for key in SECTIONS[name]:
                        if key in saved:
                            report[key] = saved[key]
                    kept = [c for c in saved.get("commands", []) if not measured_here(c, only)]
                    report["commands"] += [c for c in kept if c not in report["commands"]]
                    times[name] = saved.get("sectionTimes", {}).get(name) or str(saved.get("generated"))
                else:
                    report["skipped"].append(f"{name}: not selected (--only)")
                continue
            times[name] = now
            try:
                step()
            except Exception as err:
                report["skipped"].append(f"{name}: failed: {type(err).__name__}: {err}"[:600])
                log(f"{name} failed: {err}")
            write_report(args, report, times)  # what is measured so far survives a later failure
        write_report(args, report, times)  # sections merged after the last measured one too
    log(f"wrote {args.md} and {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
