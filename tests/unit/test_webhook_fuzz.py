"""Property-based tests of the admission edge: whatever arrives, the answer is a valid AdmissionReview or a 4xx.

The structural fuzz starts from real AdmissionReviews (the example corpus, as kube-apiserver would send them) and
replaces one field anywhere in the document with a value of any JSON type; the contract: no 5xx, never a crash,
and the server answers the next request. `tests/bench/fuzz_webhook.py` runs the same properties with a large
budget; here the budget is small enough for every run of the suite.
"""

from __future__ import annotations

import copy
import json
import os
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tenantguard.policies.engine import mutate, review
from tenantguard.webhook.app import create_app
from tests.corpus import all_objects, cluster
from tests.support.fixtures import request
from tests.unit.test_webhook_app import Source

CORPUS = [obj for _, obj in all_objects()]
JSON_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**63), max_value=2**63), st.floats(allow_nan=False),
    st.text(max_size=40),
)  # fmt: skip
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=12,
)
# tests/bench/fuzz.py raises the budget through this variable; the suite keeps it small.
EXAMPLES = int(os.environ.get("TENANTGUARD_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def admission_review(obj: dict[str, Any], operation: str = "CREATE") -> dict[str, Any]:
    meta = obj.get("metadata") or {}
    return {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": "fuzz-uid",
            "kind": {"group": "", "version": "v1", "kind": obj.get("kind", "Pod")},
            "resource": {"group": "", "version": "v1", "resource": "pods"},
            "namespace": meta.get("namespace", "acme-prod"),
            "name": meta.get("name", "x"),
            "operation": operation,
            "userInfo": {"username": "alice", "groups": ["acme-devs"]},
            "object": obj,
            "oldObject": copy.deepcopy(obj) if operation == "UPDATE" else None,
            "dryRun": False,
        },
    }


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


def _replace(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return doc


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(Source(cluster())), raise_server_exceptions=False)


def _check_answer(client: TestClient, path: str, body: bytes) -> None:
    resp = client.post(path, content=body, headers={"content-type": "application/json"})
    assert resp.status_code < 500 or resp.status_code == 200, resp.text
    assert resp.status_code in (200, 400, 413, 415), (resp.status_code, resp.text)
    doc = resp.json()
    if resp.status_code == 200:
        assert doc["apiVersion"] == "admission.k8s.io/v1" and doc["kind"] == "AdmissionReview"
        answer = doc["response"]
        assert isinstance(answer["uid"], str) and isinstance(answer["allowed"], bool)
        if not answer["allowed"]:
            assert isinstance(answer["status"]["message"], str) and answer["status"]["code"] in (400, 403, 500)


@FUZZ
@given(
    index=st.integers(min_value=0, max_value=len(CORPUS) - 1),
    operation=st.sampled_from(["CREATE", "UPDATE", "DELETE"]),
    pick=st.integers(min_value=0),
    value=JSON_VALUES,
    endpoint=st.sampled_from(["/validate", "/mutate"]),
)
def test_one_field_replaced_anywhere_never_breaks_the_server(
    client: TestClient, index: int, operation: str, pick: int, value: Any, endpoint: str
) -> None:
    doc = admission_review(copy.deepcopy(CORPUS[index]), operation)
    paths = _paths(doc)
    path = paths[pick % len(paths)]
    _check_answer(client, endpoint, json.dumps(_replace(doc, path, value)).encode())
    _check_answer(client, endpoint, json.dumps(admission_review(copy.deepcopy(CORPUS[0]))).encode())


@FUZZ
@given(body=st.one_of(st.binary(max_size=200), JSON_VALUES.map(lambda v: json.dumps(v).encode())))
def test_any_body_is_a_400_or_an_answer(client: TestClient, body: bytes) -> None:
    _check_answer(client, "/validate", body)


POD_FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "hostNetwork": st.booleans(),
        "hostPID": st.booleans(),
        "securityContext": st.fixed_dictionaries(
            {}, optional={"runAsNonRoot": st.booleans(), "runAsUser": st.integers(0, 70000)}
        ),
    },
)
CONTAINER_SC = st.fixed_dictionaries(
    {},
    optional={
        "allowPrivilegeEscalation": st.booleans(),
        "runAsNonRoot": st.booleans(),
        "capabilities": st.fixed_dictionaries({}, optional={"drop": st.just(["ALL"]), "add": st.just(["NET_RAW"])}),
        "seccompProfile": st.sampled_from([{"type": "RuntimeDefault"}, {"type": "Unconfined"}]),
    },
)


@FUZZ
@given(
    spec=POD_FIELDS,
    sc=CONTAINER_SC,
    port=st.one_of(st.none(), st.integers(1, 65535)),
    labelled=st.booleans(),
    defaults=st.booleans(),
)
def test_validation_after_mutation_never_denies_what_the_mutation_prevents(
    spec: dict[str, Any], sc: dict[str, Any], port: int | None, labelled: bool, defaults: bool
) -> None:
    """What admission does in two calls (mutate, then validate the mutated object) never denies a rule that the
    mutation exists to satisfy: the tenant label (TEN004), the mTLS sidecar (MTLS001), and — for tenants that opt
    in to secure defaults — the restricted fields the defaults fill when the user left them unset."""
    container: dict[str, Any] = {"name": "app", "image": "registry.acme.example/app:1"}
    if sc:
        container["securityContext"] = sc
    if port is not None:
        container["ports"] = [{"containerPort": port}]
    meta: dict[str, Any] = {"name": "p", "namespace": "acme-prod"}
    if labelled:
        meta["labels"] = {"tenantguard.io/tenant": "acme"}
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": {**spec, "containers": [container]}}
    from tests.support.fixtures import cluster_for

    state = cluster_for({"podSecurityDefaults": defaults})
    mutated = mutate(pod, state, request()).mutated
    rules = {v.rule for v in review(mutated, state, request()).evaluation.violations}
    assert not rules & {"TEN004", "MTLS001"}, rules
    if defaults:
        unset = {
            "PSS014": "allowPrivilegeEscalation" not in sc,
            "PSS018": "capabilities" not in sc,
            "PSS017": "seccompProfile" not in sc and "securityContext" not in spec,
        }
        assert not {rule for rule, was_unset in unset.items() if was_unset} & rules, rules
