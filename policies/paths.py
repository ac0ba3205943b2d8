"""Field paths: one tuple form, rendered kubectl-style (`spec.containers[0].image`) or as JSON Pointer."""

from __future__ import annotations

Segment = str | int
Path = tuple[Segment, ...]

_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def dotted(path: Path) -> str:
    out: list[str] = []
    for seg in path:
        if isinstance(seg, int):
            out.append(f"[{seg}]")
        elif seg and all(c in _PLAIN for c in seg):
            out.append(f".{seg}" if out else seg)
        else:
            out.append(f'["{seg}"]')
    return "".join(out)


def pointer(path: Path) -> str:
    return "".join("/" + str(s).replace("~", "~0").replace("/", "~1") for s in path)
