"""Print the pinned runtime dependencies of tenantguard (constraints.txt), as installed in this environment.

The image installs the wheel with `pip install -c constraints.txt`, so it runs the versions the tests ran.
Regenerate after changing dependencies: `.venv/bin/python scripts/constraints.py > constraints.txt`.
"""

from __future__ import annotations

import importlib.metadata as md
import re

from packaging.requirements import Requirement


def _key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def closure(root: str = "tenantguard") -> dict[str, str]:
    """Every distribution the root needs at run time (no extras), with its installed version."""
    found: dict[str, str] = {}
    todo = [root]
    while todo:
        name = todo.pop()
        if _key(name) in found:
            continue
        dist = md.distribution(name)
        found[_key(name)] = dist.version
        for text in dist.requires or ():
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    del found[_key(root)]
    return dict(sorted(found.items()))


def render() -> str:
    head = "# Runtime dependencies of tenantguard, pinned (scripts/constraints.py); the Containerfile installs these.\n"
    return head + "".join(f"{name}=={version}\n" for name, version in closure().items())


if __name__ == "__main__":
    print(render(), end="")
