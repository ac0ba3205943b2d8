"""Reading fields of objects that arrive as untrusted JSON: the one "this field, or empty" accessor.

Admission requests, manifests and stored objects can hold anything where a mapping or a list belongs; rules
read them with these instead of a `.get(..., {})` chain that a string would break.
"""

from __future__ import annotations

from typing import Any


def mapping(value: Any) -> dict[str, Any]:
    """`value` when it is a mapping, else an empty one."""
    return value if isinstance(value, dict) else {}


def sequence(value: Any) -> list[Any]:
    """`value` when it is a list, else an empty one."""
    return value if isinstance(value, list) else []
