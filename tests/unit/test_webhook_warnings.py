"""Admission warnings stay whole: ≤ 120 characters where possible, cut only between words, rule ID and the
start of the fix always kept, and the whole set within kube-apiserver's 4,096-rune cap."""

from __future__ import annotations

import re

import orjson
import pytest

from tenantguard.policies.engine import evaluate
from tenantguard.policies.model import Category
from tenantguard.policies.settings import parse_settings
from tenantguard.webhook import handlers, warnings
from tests.support.fixtures import cluster_for, deployment, restricted_container

LONG = [
    (
        "PSS003",
        "spec.template.spec.containers[0].securityContext.privileged",
        'privileged (container "vllm-openai-server" must not set securityContext.privileged=true)',
        "remove securityContext.privileged or set it to false",
    ),
    (
        "SRV002",
        "spec.template.spec.containers[0].image",
        "image 'quay.io/evil/miner:1' (quay.io/evil/miner) of container 'miner' is not from a registry of tenant "
        "'acme' — allowed: registry.acme.example/, nvcr.io/nvidia/, docker.io/vllm/, docker.io/rayproject/",
        "use an image from one of the tenant's registries (spec.registries of the Tenant)",
    ),
    (
        "GPU001",
        'spec.jobTemplate.spec.template.spec.containers[0].resources.limits["nvidia.com/mig-2g.20gb"]',
        "not allowed for tenant 'acme' — allowed: nvidia.com/gpu, nvidia.com/mig-1g.10gb, nvidia.com/mig-3g.40gb",
        "request only the GPU or MIG resources listed in the Tenant's spec.gpu.allowedResources",
    ),
]


def _words(text: str) -> set[str]:
    return set(text.split())


def _assert_whole(warning: str, rule: str, path: str, message: str, fix: str) -> None:
    assert len(warning) <= warnings.LIMIT, warning
    assert warning.startswith(f"[{rule}] "), warning
    assert " — " + fix.split()[0] in warning, f"the fix hint's start is missing: {warning}"
    original = _words(f"{path}: {message} — {fix}")
    for token in warning.split()[1:]:
        if token.startswith("…") or re.fullmatch(r"\(\+\d+\)", token):
            continue  # a path tail, or a shortened list's count
        word = token.removesuffix("…")
        assert word in original or word.rstrip(",:") in original, f"{token!r} is not a whole word: {warning}"


@pytest.mark.parametrize(("rule", "path", "message", "fix"), LONG, ids=[c[0] for c in LONG])
def test_long_findings_are_fitted_whole(rule: str, path: str, message: str, fix: str) -> None:
    _assert_whole(warnings.fit(rule, path, message, fix), rule, path, message, fix)


def test_a_long_path_keeps_its_tail_and_a_list_keeps_its_head() -> None:
    warning = warnings.fit(
        "GPU001",
        'spec.jobTemplate.spec.template.spec.containers[0].resources.limits["nvidia.com/mig-2g.20gb"]',
        "allowed: nvidia.com/gpu, nvidia.com/mig-1g.10gb, nvidia.com/mig-3g.40gb, nvidia.com/mig-7g.80gb",
        "fix it",
    )
    assert warning == (
        '[GPU001] …limits["nvidia.com/mig-2g.20gb"]: allowed: nvidia.com/gpu, nvidia.com/mig-1g.10gb, … (+2) — fix it'
    )


def test_short_findings_are_left_alone_and_control_characters_never_reach_the_header() -> None:
    assert warnings.fit("GPU007", "spec.tolerations[0]", "tolerates the GPU taint", "remove it") == (
        "[GPU007] spec.tolerations[0]: tolerates the GPU taint — remove it"
    )
    assert "\n" not in warnings.fit("X001", "a", "line one\nline two", "fix")


def test_many_warnings_stay_within_the_total_and_say_how_many_were_left_out() -> None:
    many = [
        warnings.fit("PSS003", f"spec.containers[{i}].securityContext.privileged", "x " * 60, "fix") for i in range(60)
    ]
    kept = warnings.bounded(many)
    assert len(kept) <= warnings.COUNT_MAX and sum(len(w) for w in kept) <= warnings.TOTAL < 4096
    assert kept[-1].startswith(f"[tenantguard] {60 - len(kept) + 1} more warnings not shown")


def test_warn_mode_warnings_from_the_engine_are_whole() -> None:
    settings = parse_settings({"enforcement": {c.value: "warn" for c in Category}})
    long_name = "vllm-openai-server-with-a-long-name"
    app = restricted_container(long_name, image="quay.io/evil/miner:1")
    app["securityContext"]["privileged"] = True
    dep = deployment(containers=[app], hostNetwork=True)
    evaluation = evaluate(dep, cluster_for(settings=settings))
    assert evaluation.allowed and len(evaluation.warnings) >= 3
    decision = handlers.render("u", evaluation)
    sent = orjson.loads(decision.body)["response"]["warnings"]
    assert len(sent) == len(evaluation.warnings)
    for warning, v in zip(sent, evaluation.warnings, strict=True):
        _assert_whole(warning, v.rule, v.path, v.message, v.fix)
