"""The snapshot reader: a folder of YAML/JSON files, multi-document, `kind: List` as `kubectl get -A -o yaml`
writes them.

Files are found and YAML documents read as lint reads them (`tenantguard.manifests`: the same loader, so a
timestamp or a `yes` means the same in both), but objects are not located line by line: an audit points at
cluster objects, not at file lines, and a List of thousands of items must not be re-composed per item.
Memory holds one file's objects at a time.

A snapshot is read twice: first only the files that can hold Tenants, Namespaces, Pods or the DRA objects (a
byte search decides, without parsing) to fill the scan's context, then every file to judge it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson

from tenantguard.manifests import InputError, documents, expand_paths

CONTEXT_KINDS = frozenset(
    {"Tenant", "Namespace", "Pod", "DeviceClass", "ResourceSlice", "ResourceClaimTemplate", "ResourceClaim"}
)
_CONTEXT = re.compile(
    rb"""kind["']?\s*:\s*["']?(?:Tenant|Namespace|Pod|DeviceClass|ResourceSlice|ResourceClaim(?:Template)?)\b(?!-)"""
)


def _flatten(data: Any, file: str, errors: list[InputError]) -> Iterator[dict[str, Any]]:
    if data is None:
        return
    if isinstance(data, list):
        for item in data:
            yield from _flatten(item, file, errors)
        return
    if not isinstance(data, dict):
        errors.append(InputError(file=file, line=0, message=f"expected a Kubernetes object, got {type(data).__name__}"))
        return
    kind = data.get("kind")
    if isinstance(kind, str) and kind.endswith("List") and isinstance(data.get("items"), list):
        for item in data["items"]:
            yield from _flatten(item, file, errors)
        return
    meta = data.get("metadata")
    if not isinstance(kind, str) or not kind or not isinstance(meta, dict) or not meta.get("name"):
        errors.append(InputError(file=file, line=0, message=f"object without kind or metadata.name: {kind!r}"))
        return
    yield data


def parse(raw: bytes, file: str, errors: list[InputError]) -> list[dict[str, Any]]:
    """Every object of one file; problems are appended to `errors` and the rest of the file is kept."""
    stripped = raw.lstrip()
    if file.endswith(".json") or stripped.startswith((b"{", b"[")):
        try:
            return list(_flatten(orjson.loads(raw), file, errors))
        except orjson.JSONDecodeError as err:
            errors.append(InputError(file=file, line=getattr(err, "lineno", 0), message=f"invalid JSON: {err.msg}"))
            return []
    out: list[dict[str, Any]] = []
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        errors.append(InputError(file=file, line=0, message=f"not UTF-8: {err}"))
        return out
    for _, _, data in documents(text, file):
        if isinstance(data, InputError):
            errors.append(data)
        else:
            out.extend(_flatten(data, file, errors))
    return out


class SnapshotReader:
    """audit.scan.Source over files: context() parses only files that can hold context kinds."""

    judges_context = False

    def __init__(self, paths: Iterable[str]) -> None:
        self.paths = list(paths)
        self.errors: list[InputError] = []
        self.files: list[str] = []
        for name in expand_paths(self.paths):
            if isinstance(name, InputError):
                self.errors.append(name)
            elif name != "-":
                self.files.append(name)

    @staticmethod
    def _read(file: str, errors: list[InputError]) -> bytes | None:
        try:
            return Path(file).read_bytes()
        except OSError as err:
            errors.append(InputError(file=file, line=0, message=f"cannot read: {err}"))
            return None

    def context(self) -> Iterator[dict[str, Any]]:
        """Tenants, Namespaces, Pods and DRA objects; files that cannot hold one are not parsed. Errors are left for
        `objects`."""
        ignored: list[InputError] = []
        for file in self.files:
            raw = self._read(file, ignored)
            if raw is not None and _CONTEXT.search(raw):
                yield from (o for o in parse(raw, file, ignored) if o.get("kind") in CONTEXT_KINDS)

    def objects(self) -> Iterator[dict[str, Any]]:
        """Every object of every file, one file in memory at a time."""
        for file in self.files:
            raw = self._read(file, self.errors)
            if raw is not None:
                yield from parse(raw, file, self.errors)
