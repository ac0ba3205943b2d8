"""Field paths: one tuple form, rendered kubectl-style (`spec.containers[0].image`) or as JSON Pointer."""

from __future__ import annotations

import re
from functools import lru_cache

Segment = str | int
Path = tuple[Segment, ...]

_PLAIN = re.compile(r"[A-Za-z0-9_]+")


@lru_cache(maxsize=8192)
def dotted(path: Path) -> str:
    out: list[str] = []
    for seg in path:
        if isinstance(seg, int):
            out.append(f"[{seg}]")
        elif _PLAIN.fullmatch(seg):
            out.append(f".{seg}" if out else seg)
        else:
            out.append(f'["{seg}"]')
    return "".join(out)


@lru_cache(maxsize=8192)
def pointer(path: Path) -> str:
    return "".join("/" + str(s).replace("~", "~0").replace("/", "~1") for s in path)
