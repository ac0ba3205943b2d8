"""Admission warnings: one per finding, whole, and short enough that kube-apiserver passes them on intact.

kube-apiserver (`k8s.io/apiserver/pkg/endpoints/filters/warning.go`) keeps warnings whole until a request's
warnings reach 4,096 runes; past that it cuts every one to 256 runes and drops what no longer fits, and it
drops a warning with a control character. Kubernetes asks webhooks for ≤ 120 characters where possible.

So each warning is `[RULE] path: message — fix`, fitted to 120 characters by, in turn: keeping the tail of
a long field path (`…containers[0].securityContext.privileged`), shortening a list in the message
(`allowed: a, b, … (+3)`), then cutting the message and the fix hint at word boundaries — the rule ID and the
start of the fix always stay. The whole set stays within a share of the 4,096 runes (kube-apiserver and other
webhooks add their own), the last warning saying how many more were left out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from tenantguard.policies.model import Violation

LIMIT = 120
ITEM_MAX = 256  # what kube-apiserver cuts every warning to once a request's warnings pass its total
TOTAL = 3072  # our share of kube-apiserver's 4,096-rune total
COUNT_MAX = 20
PATH_MAX = 40
FIX_MIN = 24  # the fix hint keeps at least this much of its start when the message has to be cut

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_LIST = re.compile(r"(?:[^\s,]+, ){2,}[^\s,]+")
_SEGMENT_START = re.compile(r'\.(?=[^"\]]*(?:\[|$))')  # dots between segments, not inside quoted keys


def for_violation(v: Violation) -> str:
    """A warn-mode finding; an expired exception is named before the message."""
    message = v.message
    if v.waiver is not None and v.waiver.expired:
        message = f"waiver expired {v.waiver.until_text}; {message}"
    return fit(v.rule, v.path, message, v.fix)


def for_waiver(v: Violation) -> str:
    """A finding an exception waives: the rule, its expiry and reason (the developer learns the deadline)."""
    text = v.waiver.describe(v.rule) if v.waiver is not None else "waived"
    return fit(v.rule, "", text, "")


def fit(rule: str, path: str, message: str, fix: str, limit: int = LIMIT) -> str:
    path, message, fix = (_CONTROL.sub(" ", part).strip() for part in (path, message, fix))
    text = _compose(rule, path, message, fix)
    if len(text) <= limit:
        return text
    path = _short_path(path, PATH_MAX)
    text = _compose(rule, path, message, fix)
    for shorter in _shorter_lists(message):
        if len(text) <= limit:
            break
        message = shorter
        text = _compose(rule, path, message, fix)
    if len(text) > limit:
        room = limit - len(_compose(rule, path, "", "")) - (len(" — ") if fix else 0)
        start = _cut_words(fix, FIX_MIN) or _first_word(fix)  # the fix hint's start always stays
        message = _cut_words(message, max(room - len(start), 0)) or _first_word(message)
        fix = _cut_words(fix, max(room - len(message), len(start))) or start
        text = _compose(rule, path, message, fix)
    return text if len(text) <= ITEM_MAX else _cut_words(text, ITEM_MAX)


def _first_word(text: str) -> str:
    word, _, rest = text.partition(" ")
    return f"{word}…" if rest else word


def bounded(warnings: Sequence[str]) -> list[str]:
    """Whole warnings within COUNT_MAX and TOTAL runes; the last one says how many were left out."""
    if len(warnings) <= COUNT_MAX and sum(len(w) for w in warnings) <= TOTAL:
        return list(warnings)
    room = TOTAL - len(_more(len(warnings)))
    kept: list[str] = []
    for text in warnings:
        if len(kept) >= COUNT_MAX - 1 or len(text) > room:
            break
        kept.append(text)
        room -= len(text)
    return [*kept, _more(len(warnings) - len(kept))]


def _more(n: int) -> str:
    return f"[tenantguard] {n} more warning{'s' if n != 1 else ''} not shown: `tenantguard lint` lists every finding"


def _compose(rule: str, path: str, message: str, fix: str) -> str:
    text = f"[{rule}] {path}: {message}" if path else f"[{rule}] {message}"
    return f"{text} — {fix}" if fix else text


def _short_path(path: str, max_len: int) -> str:
    """The longest tail of whole segments within max_len, after `…` (the last segment always stays)."""
    if len(path) <= max_len:
        return path
    tails = [path[m.end() :] for m in _SEGMENT_START.finditer(path)]
    for tail in tails:
        if len(tail) + 1 <= max_len:
            return "…" + tail
    return "…" + tails[-1] if tails else path


def _shorter_lists(message: str) -> Iterator[str]:
    """The message with its longest comma-separated list cut by one item at a time: `a, b, … (+2)`."""
    found = max(_LIST.finditer(message), key=lambda m: len(m.group()), default=None)
    if found is None:
        return
    items = found.group().split(", ")
    for keep in range(len(items) - 1, 0, -1):
        shown = ", ".join([*items[:keep], f"… (+{len(items) - keep})"])
        yield message[: found.start()] + shown + message[found.end() :]


def _cut_words(text: str, room: int) -> str:
    """At most `room` characters, cut after a whole word with `…`; empty when not even one word fits."""
    if len(text) <= room:
        return text
    cut = text.rfind(" ", 0, room)
    if cut <= 0:
        return ""
    return text[:cut].rstrip(" ,;:—-") + "…"
