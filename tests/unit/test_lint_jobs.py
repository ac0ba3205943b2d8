"""`tenantguard lint --jobs N`: files read and judged in worker processes give what one process gives, byte for
byte, in every format, with the same exit code and stderr; the worker pool (`audit/workers.py`): its shares, its
order and its failures."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
import yaml

from tenantguard.audit import lint as lint_module
from tenantguard.audit import workers
from tenantguard.audit.lint import lint
from tenantguard.cli import main
from tenantguard.policies import registry
from tenantguard.policies.cluster import WORKLOAD_READERS, ClusterState
from tenantguard.policies.engine import review
from tenantguard.policies.ownership import OwnerKey
from tenantguard.policies.rule import Example
from tests.corpus import BREAKS, CORPUS, TENANTS, objects
from tests.support.fixtures import cluster_for, request
from tests.unit.test_lint_cli import MODEL_FROM_CONFIGMAP, SERVING_CONFIGMAP

EXE = Path(sys.executable).with_name("tenantguard")
pytestmark = pytest.mark.skipif(not workers.can_fork(), reason="lint runs workers only where it can fork")

HPA = (
    """\
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: vllm, namespace: acme-prod}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: vllm-target}
  maxReplicas: 9
---
"""
    + MODEL_FROM_CONFIGMAP
)
# What the objects above look up by name: in another file, which lands with the other worker.
TARGETS = (
    """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: vllm-target, namespace: acme-prod}
spec:
  selector: {matchLabels: {app: v}}
  template:
    metadata: {labels: {app: v}}
    spec:
      containers:
      - name: v
        image: nvcr.io/nvidia/vllm:1
        resources: {limits: {nvidia.com/gpu: 1}}
"""
    + SERVING_CONFIGMAP
)
MIXED = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: fine, namespace: acme-prod}
---
kind: [
---
apiVersion: v1
kind: ConfigMap
metadata: {name: stray, namespace: nobody}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: placed-by-n, labels: {tenantguard.io/tenant: globex}}
"""
SETTINGS = """\
exceptions:
- rule: "*"
  namespace: acme-prod
  kind: Service
  name: "redis*"
  reason: "waived, to show waived findings come through the workers"
  until: "2999-01-01"
"""


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example manifests, each of the corpus' breakages in a file of its own, cross-file look-ups (an
    autoscaler's target, a ConfigMap's model), a broken file, a file with a broken document among good ones, a
    JSON List, and a path that does not exist."""
    root = tmp_path_factory.mktemp("lint-jobs")
    inputs = root / "inputs"
    inputs.mkdir()
    for f in sorted(CORPUS.glob("*.yaml")):
        (inputs / f.name).write_text(f.read_text())
    for n, (_, name, index, edit, _) in enumerate(BREAKS):
        obj = copy.deepcopy(objects(name)[index])
        edit(obj)
        (inputs / f"break-{n:02d}.yaml").write_text(yaml.safe_dump(obj, sort_keys=False))
    # The largest two files: with two workers, each gets one of them (workers.split gives largest first).
    (inputs / "a-lookups.yaml").write_text(HPA + "#" * 40_000 + "\n")
    (inputs / "b-targets.yaml").write_text(TARGETS + "#" * 30_000 + "\n")
    (inputs / "broken.yaml").write_text("kind: [\n")
    (inputs / "mixed.yaml").write_text(MIXED)
    listed = {"apiVersion": "v1", "kind": "List", "items": [copy.deepcopy(o) for o in objects("redis-cache.yaml")]}
    (inputs / "list.json").write_text(json.dumps(listed))
    (root / "settings.yaml").write_text(SETTINGS)
    return root


def _run(tree: Path, jobs: str, *args: str) -> subprocess.CompletedProcess[str]:
    inputs = [str(tree / "inputs"), str(tree / "missing.yaml")]
    return subprocess.run(
        [
            str(EXE),
            "lint",
            *inputs,
            "--tenants",
            str(TENANTS),
            "--config",
            str(tree / "settings.yaml"),
            "-j",
            jobs,
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_tree_splits_its_lookups_over_two_workers(tree: Path) -> None:
    files = sorted(str(p) for p in (tree / "inputs").iterdir())
    sizes = [Path(f).stat().st_size for f in files]
    assert workers.count(2, sizes) == 2
    shares = workers.split(sizes, 2)
    where = {Path(files[i]).name: n for n, share in enumerate(shares) for i in share}
    assert where["a-lookups.yaml"] != where["b-targets.yaml"]


@pytest.mark.parametrize(
    "args",
    [
        *(pytest.param(("--format", fmt), id=fmt) for fmt in ("text", "json", "sarif", "junit", "github")),
        pytest.param(("--format", "json", "-n", "acme-dev", "--allow-unowned", "--fail-on", "info"), id="options"),
    ],
)
def test_two_workers_give_the_output_of_one_process(tree: Path, args: tuple[str, ...]) -> None:
    one, two = _run(tree, "1", *args), _run(tree, "2", *args)
    assert (two.returncode, two.stdout, two.stderr) == (one.returncode, one.stdout, one.stderr)
    assert one.returncode == 2  # the broken files and the missing path


def test_what_the_workers_judge_is_the_whole_report(tree: Path) -> None:
    """The report two workers give holds every kind of outcome, the cross-file look-ups included."""
    doc = json.loads(_run(tree, "2", "--format", "json").stdout)
    rules = {(r["rule"], r["kind"]) for r in doc["results"]}
    assert ("GPU006", "HorizontalPodAutoscaler") in rules, "9 replicas x 1 GPU of the target in the other file"
    assert ("SRV003", "Pod") in rules, "the model from the ConfigMap in the other file"
    assert {c for _, _, _, _, c in BREAKS} <= {r["category"] for r in doc["results"] + doc["waived"]}
    assert {r["kind"] for r in doc["waived"]} == {"Service"} and doc["notJudged"]
    assert [Path(e["file"]).name for e in doc["errors"]] == ["broken.yaml", "mixed.yaml", "missing.yaml"]


def test_auto_and_more_jobs_than_files_give_the_same_report(tree: Path) -> None:
    paths, tenants = [str(tree / "inputs")], [str(TENANTS)]
    serial = lint(paths, tenant_paths=tenants)
    for jobs in (0, 64):
        report = lint(paths, tenant_paths=tenants, jobs=jobs)
        assert report.results == serial.results and report.errors == serial.errors
        assert report.not_judged == serial.not_judged and report.objects == serial.objects


def test_stdin_is_read_by_one_process() -> None:
    text = (CORPUS / "redis-cache.yaml").read_text()
    proc = subprocess.run(
        [str(EXE), "lint", "-", str(CORPUS), "--tenants", str(TENANTS), "--jobs", "2", "--format", "json"],
        input=text,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["summary"]["objects"] == len(objects("redis-cache.yaml")) + sum(
        len(objects(f.name)) for f in CORPUS.glob("*.yaml")
    )


@pytest.mark.parametrize("jobs", ["0", "-1", "two"])
def test_jobs_must_be_auto_or_a_positive_count(jobs: str) -> None:
    proc = subprocess.run([str(EXE), "lint", str(CORPUS), "--jobs", jobs], capture_output=True, text=True, check=False)
    assert proc.returncode == 2 and "expected auto or a number of processes" in proc.stderr


def test_a_tree_without_autoscalers_gives_the_same_report() -> None:
    """No input reads workloads, so the workers do not pass them on; nothing the rules judge changes."""
    serial = lint([str(CORPUS)], tenant_paths=[str(TENANTS)])
    report = lint([str(CORPUS)], tenant_paths=[str(TENANTS)], jobs=2)
    assert (report.results, report.not_judged, report.objects) == (serial.results, serial.not_judged, serial.objects)


EXAMPLES = [
    pytest.param(example, id=f"{rule.id}-{i}")
    for rule in registry.RULES
    for i, example in enumerate((*rule.allowed, *rule.denied))
]


@pytest.mark.parametrize("example", EXAMPLES)
def test_only_workload_readers_look_workloads_up(example: Example, monkeypatch: pytest.MonkeyPatch) -> None:
    """What lets the workers leave the workloads out when no input is a WORKLOAD_READERS kind: judging (mutation
    and validation) of any other kind never asks the cluster for a workload."""
    asked: list[object] = []
    original = ClusterState.workload

    def workload(self: ClusterState, key: OwnerKey) -> object:
        asked.append(key)
        return original(self, key)

    monkeypatch.setattr(ClusterState, "workload", workload)
    cluster = cluster_for(example.tenant)
    for obj in example.related:
        cluster.learn(obj)
    review(example.object, cluster, request(example.operation, example.old, user=example.user, groups=example.groups))
    assert not asked or example.object.get("kind") in WORKLOAD_READERS


def test_a_failed_worker_exits_2_with_a_message_not_1(
    tree: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Exit 1 means violations: a worker that dies (here: raises while reading) must not look like one."""

    def broken(name: object) -> object:
        raise MemoryError("out of memory while reading")

    monkeypatch.setattr(lint_module, "_read", broken)
    code = main(["lint", str(tree / "inputs"), "--tenants", str(TENANTS), "--jobs", "2"])
    err = capsys.readouterr().err
    assert code == 2
    assert "a worker process failed (--jobs 1 runs in one process)" in err and "MemoryError: out of memory" in err


# --- the pool -----------------------------------------------------------------------------------------------


def test_split_balances_sizes_and_keeps_each_share_in_order() -> None:
    shares = workers.split([5, 1, 1, 1, 1, 1], 2)
    assert shares == [[0], [1, 2, 3, 4, 5]]
    assert workers.split([1, 1, 1], 5) == [[0], [1], [2]]


def test_auto_runs_one_process_for_small_inputs() -> None:
    assert workers.count(0, [1000] * 50) == 1
    assert workers.count(0, [workers.BYTES_PER_WORKER] * 50) == min(workers.cpus(), 50)
    assert workers.count(4, [10]) == 1 and workers.count(4, [10, 10]) == 2


def _first(share: Sequence[int]) -> tuple[int, list[int]]:
    return sum(share), list(share)


def _second(kept: list[int], combined: int) -> list[int]:
    return [combined * i for i in kept]


def test_run_exchanges_once_and_answers_in_share_order() -> None:
    seen: list[list[int]] = []

    def combine(sums: list[int]) -> int:
        seen.append(sums)
        return sum(sums)

    shares = [[0, 2], [1, 3, 5], [4]]
    assert workers.run(shares, _first, combine, _second) == [[0, 30], [15, 45, 75], [60]]
    assert seen == [[2, 9, 4]]
    assert workers.in_order(shares, [[0, 30], [15, 45, 75], [60]]) == [0, 15, 30, 45, 60, 75]


def _total(sums: list[int]) -> int:
    return sum(sums)


def _fails(share: Sequence[int]) -> tuple[int, list[int]]:
    if 1 in share:
        raise ValueError("the file broke the worker")
    return _first(share)


def test_a_failing_worker_is_reported_with_its_traceback() -> None:
    with pytest.raises(workers.WorkerError, match="ValueError: the file broke the worker"):
        workers.run([[0], [1]], _fails, _total, _second)
