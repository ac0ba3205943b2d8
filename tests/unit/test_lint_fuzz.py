"""Lint never prints a traceback, whatever the input: broken YAML, wrong shapes, binary, huge documents.

Every input either gives results or an input error with its file and line, and the exit code is 0, 1 or 2.
`tests/bench/fuzz.py` runs these properties with a large budget (TENANTGUARD_FUZZ_EXAMPLES).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tenantguard.audit.lint import lint
from tenantguard.audit.lint_cli import add_arguments, run
from tests.corpus import CORPUS, TENANTS

EXAMPLES = int(os.environ.get("TENANTGUARD_FUZZ_EXAMPLES", "100"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
SEED_TEXTS = [f.read_text() for f in sorted(CORPUS.glob("*.yaml"))]
YAML_NOISE = st.sampled_from(["\n", ": ", "- ", "---\n", "{", "}", "[", "]", "'", '"', "&a ", "*a ", "!!python/", "\t",
                              "? ", "%YAML 1.1\n", "<<: *a\n", "\x00", "\ufeff", "- - -", "key: [1, 2\n"])  # fmt: skip


@st.composite
def broken_manifests(draw: st.DrawFn) -> str:
    """A real manifest with slices cut out, noise inserted, or a value replaced."""
    text = draw(st.sampled_from(SEED_TEXTS))
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.integers(0, max(len(text) - 1, 0)))
        action = draw(st.sampled_from(["cut", "insert", "repeat"]))
        if action == "cut":
            text = text[:where] + text[where + draw(st.integers(1, 40)) :]
        elif action == "insert":
            text = text[:where] + draw(st.one_of(YAML_NOISE, st.text(max_size=10))) + text[where:]
        else:
            text = text + text[where : where + draw(st.integers(1, 200))]
    return text


INPUTS = st.one_of(
    broken_manifests(),
    st.text(max_size=300),
    st.recursive(
        st.one_of(st.none(), st.integers(), st.text(max_size=10)),
        lambda i: st.lists(i) | st.dictionaries(st.text(max_size=5), i),
        max_leaves=15,
    ).map(lambda v: yaml.safe_dump(v)),
)


@FUZZ
@given(text=INPUTS)
def test_lint_judges_or_reports_every_input(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    bad = folder / "input.yaml"
    bad.write_text(text, encoding="utf-8", errors="surrogatepass")
    good = folder / "good.yaml"
    good.write_text(SEED_TEXTS[0])
    report = lint([str(bad), str(good)], tenant_paths=[str(TENANTS)])
    assert str(good) in report.files
    for error in report.errors:
        assert error.file in (str(bad), str(good)) and error.line >= 0 and error.message


@FUZZ
@given(text=INPUTS)
def test_the_cli_exits_0_1_or_2_without_a_traceback(
    tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    import argparse

    folder = tmp_path_factory.mktemp("cli")
    path = folder / "input.yaml"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    code = run(parser.parse_args([str(path), "--tenants", str(TENANTS), "--format", "json"]))
    out = capsys.readouterr()
    assert code in (0, 1, 2)
    assert "Traceback" not in out.err + out.out


def test_binary_and_undecodable_files_are_input_errors(tmp_path: Path) -> None:
    blob = tmp_path / "blob.yaml"
    blob.write_bytes(b"\xff\xfe\x00\x01kind: Pod\n\x80\x81")
    report = lint([str(blob)], tenant_paths=[str(TENANTS)])
    assert report.errors and report.errors[0].file == str(blob)


def test_a_mapping_used_as_a_key_is_an_input_error_with_its_line(tmp_path: Path) -> None:
    """Found by the fuzz run: yaml_rs raised TypeError (unhashable dict) on a complex key, and lint crashed."""
    path = tmp_path / "complex-key.yaml"
    for i, key in enumerate(("? securityContext:\n      runAsNonRoot: true\n", "? {a: 1}\n  : x\n", "{a: 1}: x\n")):
        path = tmp_path / f"complex-key-{i}.yaml"
        path.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: acme-prod}\nspec:\n  " + key)
        report = lint([str(path)], tenant_paths=[str(TENANTS)])
        assert len(report.errors) == 1 and report.errors[0].line >= 4, (key, report.errors)
        assert "unhashable" in report.errors[0].message or "mapping" in report.errors[0].message
