"""The attack corpus (tests/e2e/attacks/): every case through kube-apiserver as the tenant developer alice.

Each case runs with the least-privilege example role; those that need more run again with the broad role
(escalate, bind) and with a platform over-grant of forbidden powers (status subresources, namespace, quota and
endpoint writes): the attacks must fail with every one of them. A case is denied with its rules named (by
tenantguard, or by Pod Security Admission with the same rule's reason and detail), refused by RBAC where the role
does not reach, or admitted when it is legitimate — and where its object can exist as a manifest, lint and the
audit (judging it as the cluster would store it) name the same rules.

Requests are dry runs wherever kube-apiserver supports one; the objects patched, scaled and deleted
(`attacks/targets.py`) are created once and removed at the end. The requests of one profile are independent of
each other, so they are sent together (kubectl's round trips, not CPU, are what a case costs); each test then
judges its own case's answer.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tenantguard.platform import settings_from_text
from tenantguard.policies.settings import Settings
from tests.e2e.attacks import CASES
from tests.e2e.attacks.case import Case, Outcome, Profile
from tests.e2e.attacks.objects import NS
from tests.e2e.attacks.profiles import Profiles
from tests.e2e.attacks.runner import Verdict, as_stored, by_audit, by_lint, pod_security_rules, through_apiserver
from tests.e2e.attacks.targets import GPU_DEPLOYMENT, TARGET_POD, TARGETS
from tests.e2e.webhook_fixtures import SETTINGS_YAML
from tests.support.devcluster import DevCluster, wait_established, wait_for
from tests.support.webhook_runner import WebhookProcess

pytestmark = pytest.mark.e2e

CRDS = Path(__file__).parent / "crds"
SETTINGS: Settings = settings_from_text(SETTINGS_YAML, "tests/e2e/webhook_fixtures.py")
RUNS = [
    pytest.param(profile, case, id=f"{profile}:{case.id}")
    for profile in Profile
    for case in CASES
    if profile in case.profiles
]


def _targets() -> str:
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": list(TARGETS)})


class Verdicts:
    """kube-apiserver's answers, asked for every case of a profile at once (in parallel) under that profile."""

    def __init__(self, cluster: DevCluster, profiles: Profiles, workers: int = 6) -> None:
        self.cluster, self.profiles, self.workers = cluster, profiles, workers
        self.answers: dict[tuple[Profile, str], Verdict | AssertionError] = {}

    def of(self, profile: Profile, case: Case) -> Verdict:
        if (profile, case.id) not in self.answers:
            self.profiles.use(profile)
            cases = [c for c in CASES if profile in c.profiles]
            with ThreadPoolExecutor(self.workers) as pool:
                for c, answer in zip(cases, pool.map(self._ask, cases), strict=True):
                    self.answers[(profile, c.id)] = answer
        answer = self.answers[(profile, case.id)]
        if isinstance(answer, AssertionError):
            raise answer
        return answer

    def _ask(self, case: Case) -> Verdict | AssertionError:
        try:
            return through_apiserver(self.cluster, case)
        except AssertionError as err:  # kubectl failed for another reason: that case's test reports it
            return err


@pytest.fixture(scope="module")
def verdicts(dev_cluster: DevCluster, webhook: WebhookProcess) -> Iterator[Verdicts]:
    """Gateway API installed, the targets in acme-dev (a GPU Deployment running), alice with the example role."""
    dev_cluster.kubectl("apply", "-f", str(CRDS))
    for name in ("httproutes", "grpcroutes", "referencegrants"):
        wait_established(dev_cluster.kubectl, f"crd/{name}.gateway.networking.k8s.io")
    dev_cluster.kubectl("apply", "-f", "-", input=_targets())
    name = GPU_DEPLOYMENT["metadata"]["name"]
    wait_for(
        lambda: dev_cluster.get("deployment", name, "-n", NS)["status"].get("readyReplicas") == 1,
        what=f"{name} running",
    )
    wait_for(
        lambda: dev_cluster.get("pod", TARGET_POD["metadata"]["name"], "-n", NS)["status"].get("phase") == "Running",
        what="the target pod running",
    )
    switch = Profiles(dev_cluster)
    try:
        yield Verdicts(dev_cluster, switch)
    finally:
        switch.reset()
        # Foreground: the Deployments' ReplicaSets and pods (and the GPUs they hold) are gone when this returns,
        # so the tests after this module see acme as it was.
        dev_cluster.kubectl(
            "delete",
            "-f",
            "-",
            "--ignore-not-found",
            "--cascade=foreground",
            input=_targets(),
            timeout=120,
            check=False,
        )


def _expect_denial(case: Case, expected: frozenset[str], verdict_rules: frozenset[str], pod_security: bool) -> None:
    if pod_security:  # Pod Security Admission refused the Pod before the webhook was asked: its rules only
        expected = frozenset(r for r in expected if r.startswith("PSS"))
        assert expected, f"{case.id}: refused by Pod Security Admission, but no pod-security rule was expected"
        assert verdict_rules == expected, f"{case.id}: Pod Security Admission named {sorted(verdict_rules)}"
    else:
        assert verdict_rules == expected, f"{case.id}: denied by {sorted(verdict_rules)}, expected {sorted(expected)}"


@pytest.mark.parametrize(("profile", "case"), RUNS)
def test_attack(profile: Profile, case: Case, verdicts: Verdicts, tmp_path: Path) -> None:
    verdict = verdicts.of(profile, case)
    expected = case.expected(profile)
    assert verdict.outcome is expected, f"{case.id} ({case.what}): {verdict.outcome}, expected {expected}"
    linted = by_lint(case.manifest, SETTINGS, tmp_path) if case.judges_object and case.manifest else None
    if verdict.outcome is Outcome.DENIED:
        rules = verdict.rules
        if verdict.pod_security:
            rules = pod_security_rules(verdict, linted, case.expected_rules(verdicts.profiles.namespace_psa_labelled))
        _expect_denial(
            case, case.expected_rules(verdicts.profiles.namespace_psa_labelled), rules, bool(verdict.pod_security)
        )
    if verdict.outcome is not Outcome.FORBIDDEN and not verdict.pod_security:
        assert verdict.warns == case.warns, f"{case.id}: warned {sorted(verdict.warns)}, expected {sorted(case.warns)}"
    if verdict.stored is not None:  # what kube-apiserver would store stays the tenant's
        labels = verdict.stored["metadata"].get("labels") or {}
        assert labels.get(SETTINGS.tenant_label) == "acme", f"{case.id}: stored with labels {labels}"
    if linted is None or profile is not Profile.LEAST:
        return
    assert case.manifest is not None
    assert (linted.denied, linted.warned) == (case.rules, case.warns), f"{case.id}: lint says {linted}"
    stored = verdict.stored or as_stored(case.manifest, SETTINGS)
    audited = by_audit(stored, SETTINGS)
    assert (audited.denied, audited.warned) == (case.rules, case.warns), f"{case.id}: the audit says {audited}"
