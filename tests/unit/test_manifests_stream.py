"""A YAML stream read in one yaml_rs call gives what reading its documents one at a time gives.

`manifests.documents` parses a plain multi-document file with one call and pairs the results with the documents
`_split_documents` found; anything that could pair wrongly, or that a document alone would read differently
(YAML 1.1 scalars, complex keys, a broken document), is read a document at a time, the reference these tests
compare against.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tenantguard import manifests
from tenantguard.manifests import InputError, _complex_key, _plain, _split_documents, _yaml11_only, documents
from tests.unit.test_lint_fuzz import EXAMPLES, SEED_TEXTS

FUZZ = settings(
    max_examples=EXAMPLES * 3,
    deadline=None,
    # The one fixture these use sets the same value for every example.
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def _reference(text: str) -> list[tuple[int, str, Any]]:
    return list(manifests.each_document(_split_documents(text), "f.yaml"))


def _same(got: Any, want: Any) -> bool:
    """Equal data, NaN equal to NaN (`.nan` is a valid document)."""
    if isinstance(got, float) and isinstance(want, float) and math.isnan(got) and math.isnan(want):
        return True
    if isinstance(got, dict) and isinstance(want, dict):
        return list(got) == list(want) and all(_same(got[k], want[k]) for k in got)
    if isinstance(got, list) and isinstance(want, list):
        return len(got) == len(want) and all(_same(a, b) for a, b in zip(got, want, strict=True))
    return type(got) is type(want) and got == want


def _agree(text: str) -> None:
    got, want = list(documents(text, "f.yaml")), _reference(text)
    assert [(line, doc) for line, doc, _ in got] == [(line, doc) for line, doc, _ in want]
    for (_, _, a), (_, _, b) in zip(got, want, strict=True):
        assert _same(a, b), (a, b)


DOCS = [
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata: {k: v}\n",
    "# Source: chart/templates/x.yaml\n",  # helm's comment-only document for an empty template
    "",  # an empty document
    "~\n",
    "null\n",
    "kind: Secret\nmetadata: {name: s}\nstringData: {x: 'yes'}\n",
    "kind: Pod\nspec:\n  enabled: on\n",  # YAML 1.1 boolean
    "mode: 0755\n",  # YAML 1.1 octal
    "a: 1\na: 2\n",  # duplicate key
    "a: [1, 2\n",  # broken
    "- 1\n- 2\n",
    "? {a: 1}\n: x\n",  # complex key
    "a: .nan\n",
    "a: 1\n...\nb: 2\n",  # an end marker inside a document
    "\ufeffa: 1\n",
    "%YAML 1.2\n",
    "script: |\n  echo ok\n  ...\n",
    "a: 'quoted\n  multi'\n",
    "kind: List\nitems:\n- {kind: ConfigMap, metadata: {name: x}}\n",
]
SEPARATORS = ["---\n", "--- \n", "---\t\n", "--- # c\n", "---\r\n", "\n---\n"]


@st.composite
def streams(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.sampled_from(DOCS) | st.sampled_from(SEED_TEXTS), min_size=1, max_size=6))
    text = draw(st.sampled_from(["", "# preamble\n", "---\n", "# preamble\n---\n"]))
    for i, part in enumerate(parts):
        text += (draw(st.sampled_from(SEPARATORS)) if i else "") + part
    return text + draw(st.sampled_from(["", "---\n", "\n"]))


@FUZZ
@given(text=streams())
def test_a_stream_reads_the_same_in_one_call_as_a_document_at_a_time(text: str) -> None:
    _agree(text)


@FUZZ
@given(text=st.text(alphabet=st.sampled_from(list("-.:#%?{}[]'\"ayno01 \t\n")), max_size=120))
def test_noise_reads_the_same_in_one_call_as_a_document_at_a_time(text: str) -> None:
    _agree(text)


@pytest.mark.parametrize(
    "text",
    [
        "# preamble\n---\na: 1\n---\nb: 2\n",  # a comment before the first separator is no document to yaml_rs
        "a: 1\n---\n---\nb: 2\n---\n",  # empty documents: none to `_split_documents`, None to yaml_rs
        "a: 1\n...\nb: 2\n---\n~\n",  # `...` splits a document yaml_rs's way; the null document would hide it
        "a: 1\n---\n\ufeffb: 2\n",
        "a: 1\n---\nb: on\n",  # the second document takes YAML 1.1's reading (True)
        "a: 1\n---\nb: 2\nb: 3\n---\nc: 3\n",  # a duplicate key is its document's error; the others parse
    ],
)
def test_streams_that_pair_differently_or_need_one_document_at_a_time(text: str) -> None:
    _agree(text)


def test_a_duplicate_key_is_reported_in_its_own_document_and_the_others_are_read() -> None:
    got = list(documents("a: 1\n---\nb: 2\nb: 3\n---\nc: 3\n", "f.yaml"))
    assert got[0][2] == {"a": 1} and got[2][2] == {"c": 3}
    assert isinstance(got[1][2], InputError) and got[1][2].line == 3 and "duplicate" in got[1][2].message


def test_a_plain_stream_is_parsed_in_one_call(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast path is taken (else it would be dead code that the tests above cannot tell from a working one)."""
    calls: list[str] = []
    loads = manifests.yaml_rs.loads

    def counted(s: str, **kw: Any) -> Any:
        calls.append(s)
        return loads(s, **kw)

    monkeypatch.setattr(manifests.yaml_rs, "loads", counted)
    text = SEED_TEXTS[0] + "---\n" + SEED_TEXTS[1]
    assert _plain(text)
    found = list(documents(text, "f.yaml"))
    assert len(calls) == 1 and calls[0].startswith(text) and len(found) > 1
    calls.clear()
    list(documents(text + "---\nb: on\n", "f.yaml"))  # a 1.1 boolean: one call per document
    assert len(calls) == len(found)  # the documents yaml_rs reads; the 1.1 one goes to PyYAML


@pytest.mark.parametrize("fast", [True, False], ids=["re2", "re"])
@FUZZ
@given(text=st.text(alphabet=st.sampled_from(list("-:,[]{}?#yYnNoOfFeEsS0123456789+_ \t\n")), max_size=80))
def test_the_whole_text_check_misses_nothing_a_document_check_finds(
    monkeypatch: pytest.MonkeyPatch, fast: bool, text: str
) -> None:
    """`_plain` (RE2 over the whole text, or `re` where RE2 is missing) clears only what every document's own
    checks clear: a cleared file may skip them."""
    if fast:
        assert manifests._SUSPECT is not None, "google-re2 is a dependency: it should be installed"
    else:
        monkeypatch.setattr(manifests, "_SUSPECT", None)
    flagged = any(_yaml11_only(doc) or _complex_key(doc) for _, doc in _split_documents(text))
    assert not (flagged and _plain(text))
