"""Reading DRA device selectors (CEL) for what the GPU rules need — never evaluating them.

A ResourceClaim (and a DeviceClass) narrows the devices it accepts with CEL expressions over `device`. The NVIDIA
DRA driver (driver and attribute domain `gpu.nvidia.com`) publishes every device with the attributes `type`
(`gpu`, `mig`, `vfio`), `profile` (a MIG device's profile, `1g.10gb`) and `productName` (`NVIDIA H100 80GB HBM3`),
read in CEL as `device.attributes["gpu.nvidia.com"].profile`.

An expression is read only as a conjunction: its top-level `&&` parts each compare one of those attributes (or
`device.driver`) with a string (`==`) or a list of strings (`in [...]`). Every part of a conjunction must hold,
so what such a part pins holds for every device the selector admits, whatever the other parts say. Anything else
— `||`, `?:`, `!=`, `cel.bind`, `matches`, `startsWith` — pins nothing: the device is weighed at its worst case
(a full GPU), and where an expression mentions an attribute the rules check but does not pin it, `mentioned`
says so (GPU019 warns).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

NVIDIA_DOMAIN = "gpu.nvidia.com"
CHECKED = ("type", "profile", "productName")  # the attributes the rules read

_STRING = r"""(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')"""
_DOMAIN = r"""device\.attributes\[\s*(?:"(?P<d1>[^"]*)"|'(?P<d2>[^']*)')\s*\]"""
_NAME = r"""(?:\.(?P<a1>[A-Za-z_][A-Za-z0-9_]*)|\[\s*(?:"(?P<a2>[^"]*)"|'(?P<a3>[^']*)')\s*\])"""
_SUBJECT = rf"(?:(?P<attr>{_DOMAIN}{_NAME})|(?P<driver>device\.driver))"
_LIST = rf"\[\s*(?P<items>{_STRING}(?:\s*,\s*{_STRING})*)?\s*,?\s*\]"
_EQ_LEFT = re.compile(rf"^{_SUBJECT}\s*==\s*(?P<value>{_STRING})$")
_EQ_RIGHT = re.compile(rf"^(?P<value>{_STRING})\s*==\s*{_SUBJECT}$")
_IN = re.compile(rf"^{_SUBJECT}\s+in\s+{_LIST}$")
_ITEM = re.compile(_STRING)
_MENTION = {name: re.compile(rf"""(?:\.{name}\b|\[\s*["']{name}["']\s*\])""") for name in CHECKED}


@dataclass(frozen=True, slots=True, kw_only=True)
class Facts:
    """What a set of selectors pins: for each attribute the values a device may have (None: not pinned), and the
    checked attributes some expression mentions without pinning them."""

    driver: frozenset[str] | None = None
    type: frozenset[str] | None = None
    profile: frozenset[str] | None = None
    product: frozenset[str] | None = None
    unread: frozenset[str] = frozenset()  # of CHECKED: mentioned, not pinned

    def __and__(self, other: Facts) -> Facts:
        """Both sets of selectors hold (a claim's selectors and its class's, or two selectors of one request)."""
        pinned = Facts(
            driver=_both(self.driver, other.driver),
            type=_both(self.type, other.type),
            profile=_both(self.profile, other.profile),
            product=_both(self.product, other.product),
        )
        unread = {a for a in self.unread | other.unread if pinned.values(a) is None}
        return Facts(
            driver=pinned.driver,
            type=pinned.type,
            profile=pinned.profile,
            product=pinned.product,
            unread=frozenset(unread),
        )

    def values(self, attribute: str) -> frozenset[str] | None:
        return {"type": self.type, "profile": self.profile, "productName": self.product}.get(attribute)


NOTHING = Facts()


def _both(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
    if a is None:
        return b
    return a if b is None else a & b


def read_all(expressions: Iterable[str]) -> Facts:
    """What every expression together pins (all selectors of a request must hold)."""
    out = NOTHING
    for expression in expressions:
        out &= read(expression)
    return out


@lru_cache(maxsize=1024)  # a claim template's selectors are read for every pod that uses it
def read(expression: str) -> Facts:
    """What one CEL expression pins (see the module docstring)."""
    pinned: dict[str, frozenset[str]] = {}
    for part in conjuncts(expression):
        found = _comparison(part)
        if found is not None:
            key, values = found
            pinned[key] = values & pinned[key] if key in pinned else values
    facts = Facts(
        driver=pinned.get("driver"),
        type=pinned.get("type"),
        profile=pinned.get("profile"),
        product=pinned.get("productName"),
    )
    unread = {a for a, pattern in _MENTION.items() if pattern.search(expression) and facts.values(a) is None}
    return Facts(
        driver=facts.driver,
        type=facts.type,
        profile=facts.profile,
        product=facts.product,
        unread=frozenset(unread),
    )


def _comparison(part: str) -> tuple[str, frozenset[str]] | None:
    """("driver" | an attribute, the values it may take) for a part this module reads; None otherwise."""
    m = _EQ_LEFT.match(part) or _EQ_RIGHT.match(part)
    if m is not None:
        values = frozenset({_unquote(m.group("value"))})
    else:
        m = _IN.match(part)
        if m is None:
            return None
        values = frozenset(_unquote(s) for s in _ITEM.findall(m.group("items") or ""))
    if m.group("driver"):
        return "driver", values
    domain = m.group("d1") if m.group("d1") is not None else m.group("d2")
    attribute = next(a for a in (m.group("a1"), m.group("a2"), m.group("a3")) if a is not None)
    if domain != NVIDIA_DOMAIN or attribute not in CHECKED:
        return None
    return attribute, values


def _unquote(literal: str) -> str:
    body = literal[1:-1]
    return re.sub(r"\\(.)", r"\1", body)


def conjuncts(expression: str) -> list[str]:
    """The top-level `&&` parts of an expression, outer parentheses removed; the whole expression (one part that
    pins nothing) when it has a top-level `||` or `?:`, which would make a part optional."""
    text = _strip(expression)
    cuts = _top_level(text)
    if cuts is None:
        return [text]
    if not cuts:
        inner = _unwrap(text)
        return conjuncts(inner) if inner is not None else [text]
    parts, start = [], 0
    for cut in cuts:
        parts.append(text[start:cut])
        start = cut + 2
    parts.append(text[start:])
    return [p for part in parts for p in conjuncts(part)]


def _strip(text: str) -> str:
    return text.strip()


def _unwrap(text: str) -> str | None:
    """`(x)` → `x` when the parentheses enclose the whole expression; None otherwise."""
    if not (text.startswith("(") and text.endswith(")")):
        return None
    depth, quote, i = 0, "", 0
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = ""
        elif c in "\"'":
            quote = c
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0 and i != len(text) - 1:
                return None
        i += 1
    return text[1:-1].strip()


def _top_level(text: str) -> list[int] | None:
    """Offsets of the top-level `&&`; None when there is a top-level `||` or `?` (or unbalanced brackets)."""
    cuts: list[int] = []
    depth, quote, i = 0, "", 0
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = ""
        elif c in "\"'":
            quote = c
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth < 0:
                return None
        elif (depth == 0 and text.startswith("||", i)) or (depth == 0 and c == "?"):
            return None
        elif depth == 0 and text.startswith("&&", i):
            cuts.append(i)
            i += 1
        i += 1
    return cuts if depth == 0 and not quote else None
