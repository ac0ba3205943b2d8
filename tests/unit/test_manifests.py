"""Reading manifests: multi-document streams, List objects, JSON, stdin, and errors with file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tenantguard.manifests import InputError, Manifest, locate, parse, read, split_path

STREAM = """\
# rendered by helm template
---
# Source: chart/templates/cm.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: one
data: {a: b}
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: two}
- apiVersion: v1
  kind: Secret
  metadata: {name: three}
---
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: four
spec:
  template:
    spec:
      containers:
      - name: app
        image: x
"""


def _ok(items: list[Manifest | InputError]) -> list[Manifest]:
    return [m for m in items if isinstance(m, Manifest)]


def test_multi_document_stream_keeps_each_objects_first_line() -> None:
    found = _ok(list(parse(STREAM, "rendered.yaml")))
    assert [(m.obj["metadata"]["name"], m.line) for m in found] == [
        ("one", 4),
        ("two", 13),
        ("three", 16),
        ("four", 21),
    ]


def test_locate_finds_the_line_of_a_field_path() -> None:
    four = _ok(list(parse(STREAM, "rendered.yaml")))[-1]
    assert locate(four, "spec.template.spec.containers[0].image") == 30
    assert locate(four, "spec.template.spec.containers[0].missing.field") == 29
    assert locate(four, "") == 21


def test_split_path_reads_quoted_keys() -> None:
    assert split_path('spec.containers[0].resources.limits["nvidia.com/gpu"]') == [
        "spec",
        "containers",
        0,
        "resources",
        "limits",
        "nvidia.com/gpu",
    ]


def test_broken_document_reports_its_line_and_the_rest_is_still_read() -> None:
    text = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\nkind: [oops\n---\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"
    )
    items = list(parse(text, "mixed.yaml"))
    errors = [i for i in items if isinstance(i, InputError)]
    assert [m.obj["metadata"]["name"] for m in _ok(items)] == ["a", "c"]
    assert len(errors) == 1 and errors[0].file == "mixed.yaml" and errors[0].line in (5, 6)
    assert "invalid YAML" in errors[0].message


BROKEN_VLLM = Path(__file__).parent / "manifests" / "broken-vllm.yaml"


def test_a_missing_closing_quote_is_reported_where_it_starts_not_where_the_parser_gave_up() -> None:
    # broken-vllm.yaml line 27: `args: [..., "127.0.0.1]` — the string runs on to line 31's first quote.
    lines = BROKEN_VLLM.read_text().splitlines()
    assert lines[26].lstrip().startswith("args:") and lines[26].endswith('"127.0.0.1]')
    items = list(read([str(BROKEN_VLLM)]))
    (error,) = [i for i in items if isinstance(i, InputError)]
    assert error.line == 27, error
    assert error.message.startswith("invalid YAML: while parsing a flow sequence")
    assert error.message.endswith("(parser stopped at line 31)")
    assert [m.obj["kind"] for m in _ok(items)] == ["Service"], "the next document is still read"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('metadata:\n  name: "x\n  namespace: y\ndata:\n  a: b\n', 2),
        ("metadata:\n  labels: {a: b\ndata:\n  a: b\n", 2),
        # A block context marks the enclosing block's first line: the problem mark (the offending line) is nearer.
        ("metadata:\n  name: x\n bad: 1\ndata: {}\n", 3),
        ("spec:\n  containers:\n  - name: a\n     image: b\n", 4),
    ],
    ids=["unclosed-quote", "unclosed-flow-mapping", "bad-indent", "mapping-values"],
)
def test_yaml_errors_point_at_the_line_to_fix(text: str, line: int) -> None:
    (error,) = parse(text, "x.yaml")
    assert isinstance(error, InputError) and error.line == line, error


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("kind: ConfigMap\nmetadata: {name: a}\n", "ConfigMap has no apiVersion"),
        ("apiVersion: v1\nmetadata: {name: a}\n", "object has no kind"),
        ("apiVersion: v1\nkind: Pod\n", "Pod has no metadata.name"),
        # found by tests/bench/fuzz.py: a mapping as the namespace reached the tenant lookup and raised TypeError
        (
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a, namespace: {app: x}}\n",
            "Deployment metadata.namespace must be a string, not a mapping",
        ),
        ("apiVersion: v1\nkind: Pod\nmetadata: {name: [a]}\n", "Pod metadata.name must be a string, not a list"),
        (
            "apiVersion: v1\nkind: Pod\nmetadata: {generateName: 7}\n",
            "Pod metadata.generateName must be a string, not a number",
        ),
        ("- a\n- b\n", "expected a Kubernetes object, got list"),
    ],
)
def test_shapeless_documents_are_unusable_input(text: str, message: str) -> None:
    (item,) = parse(text, "x.yaml")
    assert isinstance(item, InputError) and item.message == message and item.line == 1


def test_json_object_and_invalid_json() -> None:
    (m,) = parse('{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "j"}}', "o.json")
    assert isinstance(m, Manifest) and m.obj["metadata"]["name"] == "j"
    (err,) = parse('{"apiVersion": "v1",\n "kind": }', "bad.json")
    assert isinstance(err, InputError) and err.line == 2


def test_folders_are_walked_and_missing_paths_reported(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.yml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n")
    (tmp_path / "notes.txt").write_text("ignored")
    items = list(read([str(tmp_path), str(tmp_path / "nope.yaml")]))
    assert sorted(m.obj["metadata"]["name"] for m in _ok(items)) == ["a", "b"]
    assert [i.message for i in items if isinstance(i, InputError)] == ["no such file or directory"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: on", {"a": True}),  # YAML 1.1 boolean, as kubectl's go-yaml reads it
        ("a: 'on'", {"a": "on"}),
        ("a: 010", {"a": 8}),  # 1.1 octal
        ("image: nginx:1.20", {"image": "nginx:1.20"}),
        ("t: 2026-01-01T00:00:00Z", {"t": "2026-01-01T00:00:00Z"}),  # timestamps stay strings, as in JSON
        ("args: [--flag, off]", {"args": ["--flag", False]}),
    ],
)
def test_scalars_resolve_as_kubectl_reads_them(text: str, expected: dict[str, object]) -> None:
    (m,) = parse(text.replace("a:", "a:") + "\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", "s.yaml")
    assert isinstance(m, Manifest)
    assert {k: v for k, v in m.obj.items() if k in expected} == expected


def test_duplicate_keys_are_unusable_input() -> None:
    (err,) = parse("apiVersion: v1\nkind: ConfigMap\nkind: Secret\nmetadata: {name: x}\n", "dup.yaml")
    assert isinstance(err, InputError) and "duplicate mapping key" in err.message


def test_leading_zero_numbers_take_the_yaml_1_1_path() -> None:
    (m,) = parse("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: 08}\n", "z.yaml")
    assert isinstance(m, Manifest) and m.obj["data"] == {"a": "08"}
