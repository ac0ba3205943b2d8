"""LabelSelector (meta/v1) matching: matchLabels and matchExpressions, ANDed.

Operators: In (the label is present with one of the values), NotIn (absent, or present with none of the values),
Exists (present), DoesNotExist (absent). An empty selector matches everything. A selector the apiserver would
reject (unknown operator, In/NotIn without values, Exists/DoesNotExist with values, non-string labels) matches
nothing here: such a policy cannot exist in a cluster, and matching nothing never invents reachability.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

Requirement = tuple[str, str, frozenset[str]]  # key, operator, values


@dataclass(frozen=True, slots=True)
class Selector:
    labels: tuple[tuple[str, str], ...] = ()
    expressions: tuple[Requirement, ...] = ()
    valid: bool = True

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(key for key, _ in self.labels) | frozenset(key for key, _, _ in self.expressions)

    def matches(self, labels: Mapping[str, str]) -> bool:
        if not self.valid:
            return False
        for key, value in self.labels:
            if labels.get(key) != value:
                return False
        for key, operator, values in self.expressions:
            present = key in labels
            if operator == "In":
                if not present or labels[key] not in values:
                    return False
            elif operator == "NotIn":
                if present and labels[key] in values:
                    return False
            elif operator == "Exists":
                if not present:
                    return False
            elif present:  # DoesNotExist
                return False
        return True


INVALID = Selector(valid=False)
EVERYTHING = Selector()


def _requirement(item: Any) -> Requirement | None:
    if not isinstance(item, dict):
        return None
    key, operator, values = item.get("key"), item.get("operator"), item.get("values")
    if not isinstance(key, str) or not key:
        return None
    values = values if values is not None else []
    if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
        return None
    if operator in ("In", "NotIn") and values:
        return key, str(operator), frozenset(values)
    if operator in ("Exists", "DoesNotExist") and not values:
        return key, str(operator), frozenset()
    return None


def selector(value: Any) -> Selector:
    """A LabelSelector from its JSON form; None (the field absent) is the empty selector."""
    if value is None:
        return EVERYTHING
    if not isinstance(value, dict):
        return INVALID
    match_labels = value.get("matchLabels") or {}
    expressions = value.get("matchExpressions") or []
    if not isinstance(match_labels, dict) or not isinstance(expressions, list):
        return INVALID
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in match_labels.items()):
        return INVALID
    requirements = [_requirement(item) for item in expressions]
    if any(requirement is None for requirement in requirements):
        return INVALID
    return Selector(
        labels=tuple(sorted(match_labels.items())),
        expressions=tuple(sorted((r for r in requirements if r is not None), key=lambda r: (r[0], r[1], sorted(r[2])))),
    )
