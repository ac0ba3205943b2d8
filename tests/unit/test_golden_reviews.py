"""Golden reviews: what admission would do — patches and every violation — for each rule's examples, the example
corpus and its one-field breakages. A change of verdict must be on purpose: regenerate with
`TENANTGUARD_UPDATE_GOLDEN=1 pytest tests/unit/test_golden_reviews.py` and say why in the commit.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

from tenantguard.policies import registry
from tenantguard.policies.engine import Review, review
from tests.corpus import BREAKS, all_objects, cluster, objects
from tests.support.fixtures import cluster_for, request

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "reviews.json"


def _shape(result: Review) -> dict[str, Any]:
    return {
        "patches": list(result.patches),
        "violations": sorted([v.rule, v.path, v.message, v.mode.value] for v in result.evaluation.violations),
    }


def reviews() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for rule in registry.RULES:
        for outcome, examples in (("allowed", rule.allowed), ("denied", rule.denied)):
            for i, ex in enumerate(examples):
                req = request(ex.operation, ex.old, user=ex.user, groups=ex.groups)
                known = cluster_for(ex.tenant)
                for other in ex.related:  # what the example is judged beside (a claim template, a scale target)
                    known.learn(other)
                out[f"{rule.id}-{outcome}-{i}"] = _shape(review(ex.object, known, req))
    state = cluster()
    for name, obj in all_objects():
        out[f"corpus:{name}:{obj['kind']}:{obj['metadata']['name']}"] = _shape(review(obj, state))
    for name, file, index, edit, _ in BREAKS:
        obj = copy.deepcopy(objects(file)[index])
        edit(obj)
        out[f"broken:{name}"] = _shape(review(obj, state))
    return out


def test_reviews_match_the_golden_file() -> None:
    current = json.loads(json.dumps(reviews(), sort_keys=True, default=str))
    if os.environ.get("TENANTGUARD_UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(current, indent=1, sort_keys=True) + "\n")
    golden = json.loads(GOLDEN.read_text())
    changed = sorted(k for k in golden.keys() | current.keys() if golden.get(k) != current.get(k))
    assert not changed, f"{len(changed)} reviews changed (regenerate on purpose): {changed[:20]}"
