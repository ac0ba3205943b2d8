"""audit.snapshot: files, multi-document YAML, `kind: List` as kubectl writes it, JSON, errors."""

from __future__ import annotations

from pathlib import Path

import orjson

from tenantguard.audit.snapshot import SnapshotReader, parse
from tenantguard.manifests import InputError

KUBECTL_LIST = """\
apiVersion: v1
items:
- apiVersion: v1
  kind: Pod
  metadata:
    name: vllm-0
    namespace: acme-prod
  spec:
    containers: [{name: c, image: x}]
- apiVersion: v1
  kind: Service
  metadata:
    name: vllm
    namespace: acme-prod
kind: List
metadata:
  resourceVersion: ""
"""


def _kinds(objs: list[dict[str, object]]) -> list[tuple[object, object]]:
    return [(o["kind"], o["metadata"]["name"]) for o in objs]  # type: ignore[index]


def test_kubectl_list_yaml_is_flattened() -> None:
    errors: list[InputError] = []
    objs = parse(KUBECTL_LIST.encode(), "pods.yaml", errors)
    assert _kinds(objs) == [("Pod", "vllm-0"), ("Service", "vllm")]
    assert errors == []


def test_multi_document_and_json_list() -> None:
    errors: list[InputError] = []
    yaml_docs = b"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: n}\n---\n---\n" + b"kind: X\n"
    assert _kinds(parse(yaml_docs, "a.yaml", errors)) == [("ConfigMap", "a")]
    assert len(errors) == 1 and "without kind or metadata.name" in errors[0].message
    doc = {"kind": "List", "items": [{"kind": "Namespace", "apiVersion": "v1", "metadata": {"name": "acme-prod"}}]}
    assert _kinds(parse(orjson.dumps(doc), "ns.json", errors)) == [("Namespace", "acme-prod")]


def test_bad_files_are_errors_and_the_rest_is_read(tmp_path: Path) -> None:
    (tmp_path / "pods.yaml").write_text(KUBECTL_LIST)
    (tmp_path / "broken.yaml").write_text("kind: Pod\nmetadata: {name: [\n")
    (tmp_path / "broken.json").write_text("{nope")
    (tmp_path / "notes.txt").write_text("ignored")
    reader = SnapshotReader([str(tmp_path)])
    assert _kinds(list(reader.objects())) == [("Pod", "vllm-0"), ("Service", "vllm")]
    assert sorted(Path(e.file).name for e in reader.errors) == ["broken.json", "broken.yaml"]
    assert any("invalid YAML" in e.message for e in reader.errors)


def test_context_reads_only_files_that_can_hold_tenants_namespaces_pods(tmp_path: Path) -> None:
    (tmp_path / "a-pods.yaml").write_text(KUBECTL_LIST)
    (tmp_path / "b-configmaps.yaml").write_text("kind: ConfigMap\napiVersion: v1\nmetadata: {name: c, namespace: n}\n")
    (tmp_path / "c-pdb.json").write_text('{"kind": "PodDisruptionBudget", "apiVersion": "policy/v1", "metadata": {}}')
    (tmp_path / "d-tenant.json").write_text(
        '{"kind":"Tenant","apiVersion":"tenantguard.io/v1alpha1","metadata":{"name":"acme"},"spec":{}}'
    )
    reader = SnapshotReader([str(tmp_path)])
    assert _kinds(list(reader.context())) == [("Pod", "vllm-0"), ("Tenant", "acme")]
    assert reader.errors == []  # context() leaves problems to objects()
