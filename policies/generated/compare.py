"""Whether an existing object is what the platform generates, and how it differs.

One comparison for the reconciler (write only what differs: a repair, never a no-op write) and the audit
(ISO009: generated objects missing or changed). What counts: every label the generated object carries, and
its content fields (`spec`, `data`, `type`); metadata kube-apiserver adds (uid, managedFields, other labels
and annotations) and `status` do not.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tenantguard.policies.fields import mapping

CONTENT = ("spec", "data", "type")


def differences(existing: Mapping[str, Any] | None, desired: Mapping[str, Any]) -> list[str]:
    """What differs, one phrase each ("missing", "spec differs", 'label "x" is "y", wants "z"'); [] when equal."""
    if existing is None:
        return ["missing"]
    found: list[str] = []
    have = mapping(mapping(existing.get("metadata")).get("labels"))
    for key, want in mapping(mapping(desired.get("metadata")).get("labels")).items():
        if have.get(key) != want:
            got = f'is "{have[key]}"' if key in have else "is missing"
            found.append(f'label "{key}" {got}, wants "{want}"')
    for key in CONTENT:
        if key in desired and existing.get(key) != desired[key]:
            found.append(f"{key} differs")
    return found


def matches(existing: Mapping[str, Any] | None, desired: Mapping[str, Any]) -> bool:
    return not differences(existing, desired)
