"""Exceptions: they follow ownership, refuse unknown rule IDs at load, and say when they have expired."""

from __future__ import annotations

import copy
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tenantguard.platform import load_settings
from tenantguard.policies.engine import Evaluation, evaluate
from tenantguard.policies.model import Obj
from tenantguard.policies.request import Request
from tenantguard.policies.settings import SettingsError, parse_settings
from tests.support.fixtures import cluster_for, deployment, pod

BEFORE = datetime(2026, 11, 30, 12, 0)
AFTER = datetime(2026, 12, 2, 12, 0)


def _judge(obj: Obj, *, now: datetime = BEFORE, **exception: str) -> Evaluation:
    raw = {"rule": "PSS002", "reason": "INC-7: NCCL over the host network", "until": "2026-12-01", **exception}
    settings = parse_settings({"exceptions": [raw]})
    return evaluate(obj, cluster_for(settings=settings), Request(now=now))


def _controlled(obj: Obj, kind: str, name: str, **labels: str) -> Obj:
    """`obj` as its controller creates it: a controller ownerReference and the controller's labels."""
    out = copy.deepcopy(obj)
    meta: dict[str, Any] = out["metadata"]
    meta["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": kind, "name": name, "uid": "u", "controller": True}]
    meta["labels"] = {**meta.get("labels", {}), **labels}
    return out


def _replicaset(dep: Obj, pod_hash: str) -> Obj:
    rs = copy.deepcopy(dep)
    rs["kind"] = "ReplicaSet"
    rs["metadata"]["name"] = f"{dep['metadata']['name']}-{pod_hash}"
    return _controlled(rs, "Deployment", dep["metadata"]["name"], **{"pod-template-hash": pod_hash})


def _pod_of(dep: Obj, pod_hash: str) -> Obj:
    p = pod(name=f"{dep['metadata']['name']}-{pod_hash}-x7k2p", hostNetwork=True)
    return _controlled(p, "ReplicaSet", f"{dep['metadata']['name']}-{pod_hash}", **{"pod-template-hash": pod_hash})


def _rules(violations: tuple[Any, ...]) -> set[str]:
    return {v.rule for v in violations}


def test_an_exception_for_a_deployment_covers_its_replicasets_and_their_pods() -> None:
    dep = deployment(name="mixtral", hostNetwork=True)
    for obj in (dep, _replicaset(dep, "5d8f9c7b6"), _pod_of(dep, "5d8f9c7b6")):
        evaluation = _judge(obj, kind="Deployment", name="mixtral")
        assert "PSS002" in _rules(evaluation.waived), obj["kind"]
        assert "PSS002" not in _rules(evaluation.violations), obj["kind"]


def test_an_exception_for_a_cronjob_covers_its_jobs_and_their_pods() -> None:
    template = pod(hostNetwork=True, restartPolicy="Never")
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": "nightly-eval-29000000",
            "namespace": "acme-prod",
            "labels": template["metadata"]["labels"],
        },
        "spec": {"template": {"metadata": {"labels": template["metadata"]["labels"]}, "spec": template["spec"]}},
    }
    job = _controlled(job, "CronJob", "nightly-eval")
    p = _controlled(pod(name="nightly-eval-29000000-abcde", hostNetwork=True), "Job", "nightly-eval-29000000")
    for obj in (job, p):
        assert "PSS002" in _rules(_judge(obj, kind="CronJob", name="nightly-eval").waived), obj["kind"]


@pytest.mark.parametrize(
    "obj",
    [
        pod(name="mixtral", hostNetwork=True),  # a Pod named like the Deployment is not its pod
        _controlled(pod(name="mixtral-x", hostNetwork=True), "ReplicaSet", "mixtral-5d8f9c7b6"),  # no hash label
        _controlled(
            pod(name="other-x", hostNetwork=True), "ReplicaSet", "other-5d8f9c7b6", **{"pod-template-hash": "5d8f9c7b6"}
        ),
    ],
    ids=["same-name-pod", "replicaset-without-hash-label", "another-deployments-pod"],
)
def test_ownership_is_the_controllers_not_a_name_or_label(obj: Obj) -> None:
    evaluation = _judge(obj, kind="Deployment", name="mixtral")
    assert "PSS002" in _rules(evaluation.violations) and not evaluation.waived


def test_an_expired_waiver_is_reported_as_expired_not_silently_an_error_again() -> None:
    (v,) = [v for v in _judge(pod(hostNetwork=True), now=AFTER, kind="Pod").violations if v.rule == "PSS002"]
    assert v.waiver is not None and v.waiver.expired and v.waiver.until_text == "2026-12-01"
    assert v.render().endswith("(waiver for PSS002 expired 2026-12-01)")


def test_a_waived_violation_carries_the_exceptions_reason_and_expiry() -> None:
    (v,) = _judge(pod(hostNetwork=True), kind="Pod").waived
    assert v.waiver is not None and not v.waiver.expired
    assert v.waiver.describe("PSS002") == "waived until 2026-12-01: INC-7: NCCL over the host network"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            'exceptions:\n- {rule: PSS02, reason: x, until: "2026-12-01"}\n',
            "exceptions[0].rule: unknown rule 'PSS02' — did you mean 'PSS002'? rule IDs are TEN, GPU, PSS, NET, "
            "MTLS, RBAC, SRV and three digits",
        ),
        ("ruleModes: {gpu7: warn}\n", "ruleModes.gpu7: unknown rule 'gpu7' — did you mean 'GPU007'?"),
        ("ruleModes: {XYZ123: warn}\n", "ruleModes.XYZ123: unknown rule 'XYZ123' — rule IDs are TEN, GPU, PSS"),
    ],
    ids=["exception", "rule-mode", "no-near-match"],
)
def test_unknown_rule_ids_are_refused_at_load_with_the_file(tmp_path: Path, text: str, problem: str) -> None:
    cfg = tmp_path / "settings.yaml"
    cfg.write_text(text)
    with pytest.raises(SettingsError) as err:
        load_settings(str(cfg))
    (message,) = err.value.problems
    assert message.startswith(f"{cfg}: {problem}"), message


def test_a_wildcard_exception_and_known_ids_load(tmp_path: Path) -> None:
    cfg = tmp_path / "settings.yaml"
    cfg.write_text('ruleModes: {SRV005: warn}\nexceptions:\n- {rule: "*", reason: x, until: "2026-12-01"}\n')
    assert load_settings(str(cfg)).rule_modes == {"SRV005": "warn"}
