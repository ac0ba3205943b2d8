"""The realistic LLM-serving corpus lints clean; one wrong field makes it fail in the expected category."""

from __future__ import annotations

import copy

import pytest

from tenantguard.audit.lint import lint
from tenantguard.policies.engine import review
from tests.corpus import BREAKS, CORPUS, TENANTS, Edit, cluster, objects


def test_corpus_lints_clean() -> None:
    report = lint([str(CORPUS)], tenant_paths=[str(TENANTS)])
    assert report.errors == []
    assert report.objects >= 10
    assert [f"{r.file}:{r.line} {r.rule} {r.message}" for r in report.results] == []


@pytest.mark.parametrize(
    ("file", "index", "edit", "category"), [pytest.param(f, i, e, c, id=name) for name, f, i, e, c in BREAKS]
)
def test_one_wrong_field_is_a_violation_of_the_expected_category(
    file: str, index: int, edit: Edit, category: str
) -> None:
    obj = copy.deepcopy(objects(file)[index])
    assert review(obj, cluster()).evaluation.violations == ()
    edit(obj)
    categories = {v.category.value for v in review(obj, cluster()).evaluation.violations}
    assert category in categories
