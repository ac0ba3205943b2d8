"""Apply JSON Patch `add`/`replace`/`remove` ops without deep-copying the whole object.

Only the containers along each op's path are copied, so mutating a large object costs what the patch
touches. The webhook sends the ops themselves; lint and the audit use this to see the mutated object.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tenantguard.policies.model import Obj, Patch


def _tokens(pointer: str) -> list[str]:
    tokens = pointer.split("/")[1:]
    if "~" not in pointer:  # nothing escaped: the common case, without two replaces a token
        return tokens
    return [t.replace("~1", "/").replace("~0", "~") for t in tokens]


def apply(obj: Obj, ops: Iterable[Patch]) -> Obj:
    root: Obj = dict(obj)
    # Containers this call copied may change in place: ops sharing a prefix copy it once, not once each.
    copies: list[Any] = [root]  # holds them, so that their ids stay theirs
    copied = {id(root)}
    for op in ops:
        tokens = _tokens(op["path"])
        parent: Any = root
        for tok in tokens[:-1]:
            key: Any = int(tok) if isinstance(parent, list) else tok
            child = parent[key]
            if id(child) not in copied:
                child = dict(child) if isinstance(child, dict) else list(child)
                parent[key] = child
                copies.append(child)
                copied.add(id(child))
            parent = child
        last = tokens[-1]
        if isinstance(parent, list):
            if op["op"] == "add":
                parent.insert(len(parent) if last == "-" else int(last), op["value"])
            elif op["op"] == "replace":
                parent[int(last)] = op["value"]
            else:
                del parent[int(last)]
        elif op["op"] in ("add", "replace"):
            parent[last] = op["value"]
        else:
            del parent[last]
    return root  # a copy already
