"""docs/security.md names, for each claim, the test that proves it: every one it names must exist."""

from __future__ import annotations

import re
from pathlib import Path

from tests.e2e.attacks import CASES
from tests.e2e.attacks.case import Profile

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "security.md").read_text()
TEST = re.compile(r"(tests/[\w/]+\.py)::(\w+)")
CORPUS = re.compile(r"test_attack\[(\w+):([\w-]+)\]")


def test_every_named_test_exists() -> None:
    named = TEST.findall(DOC)
    assert len(named) >= 20
    missing = [
        f"{path}::{name}"
        for path, name in named
        if not (ROOT / path).is_file() or not re.search(rf"^def {name}\(", (ROOT / path).read_text(), re.M)
    ]
    assert missing == []


def test_every_named_corpus_case_runs_with_that_profile() -> None:
    cases = {c.id: c for c in CASES}
    named = CORPUS.findall(DOC)
    assert len(named) >= 30
    wrong = [f"{p}:{c}" for p, c in named if c not in cases or Profile(p) not in cases[c].profiles]
    assert wrong == []
