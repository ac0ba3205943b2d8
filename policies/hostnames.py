"""Hostnames and hostname patterns: the names a Tenant may claim on the shared ingress and gateway.

A pattern is an exact name (`chat.acme.example`) or a wildcard `*.suffix` that covers every name below the
suffix, at any depth (`*.acme.example` covers `a.acme.example` and `a.b.acme.example`, not `acme.example`) —
Gateway API's reading of a wildcard hostname, and the one that gives a tenant the whole subtree it was given.
Names compare in lower case without a trailing dot, as DNS does.

Hostnames claimed by Ingresses and routes may be wildcards too; a claimed wildcard is treated as every name
it matches, so `*.example` claimed by one tenant overlaps `chat.globex.example` listed by another.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

WILDCARD = "*."
# A DNS name in lower case (RFC 1123 labels), optionally behind a `*.` wildcard label. Also the Tenant CRD's
# pattern for `allowedHostnames`, so it is written for both Python's `re` and kube-apiserver's RE2.
PATTERN = r"^(\*\.)?[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$"
MAX_LENGTH = 253
_VALID = re.compile(PATTERN)


def normalise(name: str) -> str:
    return name.strip().lower().rstrip(".")


def is_valid(name: str) -> bool:
    """A normalised hostname or wildcard pattern."""
    return len(name) <= MAX_LENGTH and _VALID.match(name) is not None


def _suffix(pattern: str) -> str | None:
    """The suffix a wildcard covers (`acme.example` for `*.acme.example`), None for an exact name."""
    return pattern[len(WILDCARD) :] if pattern.startswith(WILDCARD) else None


def _below(name: str, suffix: str) -> bool:
    return name.endswith("." + suffix)


def covers(pattern: str, host: str) -> bool:
    """Every name `host` stands for is also matched by `pattern` (both normalised)."""
    p_suffix, h_suffix = _suffix(pattern), _suffix(host)
    if p_suffix is None:
        return h_suffix is None and pattern == host
    if h_suffix is None:
        return _below(host, p_suffix)
    return h_suffix == p_suffix or _below(h_suffix, p_suffix)


def overlap(a: str, b: str) -> bool:
    """Some name is matched by both `a` and `b` (both normalised)."""
    return covers(a, b) or covers(b, a)


def covered(host: str, patterns: Iterable[str]) -> bool:
    return any(covers(p, host) for p in patterns)


def overlapping(host: str, patterns: Iterable[str]) -> list[str]:
    return [p for p in patterns if overlap(p, host)]
