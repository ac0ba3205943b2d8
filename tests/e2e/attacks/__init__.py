"""The attack corpus: requests a tenant developer sends to get around the boundary, and the legitimate shapes
that must still get through, as data (`case.Case`), run by tests/e2e/test_attack_corpus.py.

Each module holds one family of cases; `CASES` is all of them, in a stable order.
"""

from __future__ import annotations

from tests.e2e.attacks import rbac, serving, tenancy, workloads
from tests.e2e.attacks.case import Case

CASES: tuple[Case, ...] = (*tenancy.CASES, *rbac.CASES, *workloads.CASES, *serving.CASES)
