"""One policy set, three entry points: lint, /validate called directly, and kube-apiserver agree.

Every corpus object and every one-field breakage of it is judged three ways; the rule IDs that deny and
the rule IDs that warn must be identical.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import ssl
import urllib.request
from typing import Any

import jsonpatch
import pytest

from tenantguard.policies.cluster import ClusterState
from tenantguard.policies.engine import review
from tenantguard.policies.model import Mode
from tests.corpus import BREAKS, all_objects, cluster, objects
from tests.support.devcluster import DevCluster
from tests.support.webhook_runner import WebhookProcess

pytestmark = pytest.mark.e2e

RULE = re.compile(r"\[([A-Z]+\d{3})\]")
Verdict = tuple[frozenset[str], frozenset[str]]  # (denying rules, warning rules)


def _cases() -> list[Any]:
    cases = [pytest.param(obj, id=f"{file}:{obj['kind']}/{obj['metadata']['name']}") for file, obj in all_objects()]
    for name, file, index, edit, _ in BREAKS:
        obj = copy.deepcopy(objects(file)[index])
        edit(obj)
        cases.append(pytest.param(obj, id=f"broken:{name}"))
    return cases


def by_lint(obj: dict[str, Any], pol: ClusterState) -> Verdict:
    violations = review(obj, pol).evaluation.violations
    return (
        frozenset(v.rule for v in violations if v.mode is Mode.ENFORCE),
        frozenset(v.rule for v in violations if v.mode is Mode.WARN),
    )


def _post(hook: WebhookProcess, path: str, obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj["metadata"]
    body = {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": "verdicts",
            "kind": {"group": "", "version": "v1", "kind": obj["kind"]},
            "resource": {"group": "", "version": "v1", "resource": "x"},
            "namespace": meta.get("namespace", ""),
            "name": meta["name"],
            "operation": "CREATE",
            "userInfo": {"username": "alice", "groups": ["acme-devs"]},
            "object": obj,
        },
    }
    ctx = ssl.create_default_context(cafile=str(hook.cert_dir / "ca.crt"))
    req = urllib.request.Request(
        hook.url + path, data=json.dumps(body).encode(), headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(req, context=ctx, timeout=10) as resp:
        response: dict[str, Any] = json.loads(resp.read())["response"]
        return response


def by_webhook(obj: dict[str, Any], hook: WebhookProcess) -> Verdict:
    mutation = _post(hook, "/mutate", obj)
    if "patch" in mutation:
        obj = jsonpatch.apply_patch(obj, json.loads(base64.b64decode(mutation["patch"])))
    resp = _post(hook, "/validate", obj)
    denied = frozenset(RULE.findall(resp.get("status", {}).get("message", ""))) if not resp["allowed"] else frozenset()
    return denied, frozenset(RULE.findall(" ".join(resp.get("warnings", []))))


def by_apiserver(obj: dict[str, Any], cluster: DevCluster) -> Verdict:
    proc = cluster.kubectl("apply", "--dry-run=server", "-f", "-", input=json.dumps(obj), check=False)
    warnings = " ".join(line for line in proc.stderr.splitlines() if line.startswith("Warning:"))
    errors = " ".join(line for line in proc.stderr.splitlines() if not line.startswith("Warning:"))
    if proc.returncode != 0:
        assert "denied the request" in errors, f"rejected by something else than tenantguard: {errors}"
    return frozenset(RULE.findall(errors)), frozenset(RULE.findall(warnings))


@pytest.mark.parametrize("obj", _cases())
def test_lint_webhook_and_apiserver_agree(
    obj: dict[str, Any], dev_cluster: DevCluster, webhook: WebhookProcess
) -> None:
    expected = by_lint(obj, cluster())
    assert by_webhook(obj, webhook) == expected
    assert by_apiserver(obj, dev_cluster) == expected
