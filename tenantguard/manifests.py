"""Manifests from files, folders and stdin: YAML multi-document streams, JSON, and `kind: List`.

Each object keeps its file and first line so results point at `deploy/vllm.yaml:14`. A file that cannot
be parsed becomes an InputError with its line; the other files are still read.
"""

from __future__ import annotations

import itertools
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson
import yaml

yaml_rs: Any
try:
    import yaml_rs
except ImportError:  # pragma: no cover - optional speed-up
    yaml_rs = None

re2: Any
try:  # google-re2: a DFA, ~7x faster than `re` at scanning a whole file for the patterns below
    import re2  # type: ignore[import-untyped,no-redef]
except ImportError:  # pragma: no cover - optional speed-up
    re2 = None

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML was built with it


class _Loader(_Base):  # type: ignore[misc]
    """Safe loading with timestamps left as strings, as the API server's JSON has them."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _Base.yaml_implicit_resolvers.items()
}

# Plain scalars that YAML 1.1 (PyYAML, and kubectl's go-yaml) reads differently from YAML 1.2 (yaml_rs):
# yes/no/on/off booleans, leading-zero numbers (octal in 1.1) and base-60 numbers. Documents with one
# take the 1.1 path. Each pattern starts with a character class or a literal, which lets the regex engine skip
# ahead to candidates instead of trying every alternative at every position (a scan this way costs about as
# much as yaml_rs parsing the document, rather than twice as much).
_BOOL11 = r"(?:[yYnN]|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF)"
_YAML11_VALUE = re.compile(
    r"(?:[:\-,\[{?][ \t]+|[\[,{])(?=[yYnNoO0-9+-])(?:[yYnN]|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|[-+]?0[0-9_]+|"
    r"[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)[ \t]*(?:$|[,\]}#])",
    re.MULTILINE,
)
_YAML11_LINE = re.compile(r"\n" + _BOOL11 + r"[ \t]*$", re.MULTILINE)  # a line that is only a boolean
_YAML11_FIRST = re.compile(_BOOL11 + r"[ \t]*$", re.MULTILINE)  # the same on the document's first line


def _yaml11_only(doc: str) -> bool:
    return bool(_YAML11_VALUE.search(doc) or _YAML11_LINE.search(doc) or _YAML11_FIRST.match(doc))


# The same scans as one RE2 pattern, to clear a whole file at once: RE2 matches in linear time without trying
# each alternative at each position, which is where `re` spends its time on a file of `key: value` lines. A
# superset of what the `re` patterns find in any document of the file (no lookahead, which only steered `re`;
# `[ \t]` and `\n` as spelled there), so a file it clears needs no per-document scan; where it finds something,
# the exact patterns decide per document.
_SUSPECT = (
    re2.compile(
        r"(?m)(?:[:\-,\[{?][ \t]+|[\[,{])(?:" + _BOOL11[3:-1] + r"|[-+]?0[0-9_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)"
        r"[ \t]*(?:$|[,\]}#])|\n" + _BOOL11 + r"[ \t]*$|[}\]][ \t]*:(?:[ \t]|$)"
    )
    if re2 is not None
    else None
)


# Explicit (`? key`) and flow complex keys: yaml_rs makes a mapping key a frozenset (or fails on it) where a
# Kubernetes object can only have string keys; PyYAML refuses them with a line ("found unhashable key").
# Each pattern runs only when a cheaper necessary condition holds: a `?`, or a closing bracket before a colon.
_EXPLICIT_KEY = re.compile(r"(?:^|[\s{,\[])\?(?:[ \t]|$)", re.MULTILINE)
_FLOW_KEY_END = re.compile(r"[}\]][ \t]*:(?:[ \t]|$)", re.MULTILINE)
_FLOW_KEY = re.compile(r"^[ \t]*(?:-[ \t]+)?[{\[][^\n]*[}\]][ \t]*:(?:[ \t]|$)", re.MULTILINE)


def _complex_key(doc: str) -> bool:
    return ("?" in doc and bool(_EXPLICIT_KEY.search(doc))) or bool(_FLOW_KEY_END.search(doc) and _FLOW_KEY.search(doc))


_SUFFIXES = {".yaml", ".yml", ".json"}
_DOC_START = re.compile(r"^---(?:\s|$)", re.MULTILINE)


@dataclass(frozen=True, slots=True, kw_only=True)
class Manifest:
    obj: dict[str, Any]
    file: str
    line: int  # 1-based line where the object starts
    text: str = ""  # the document's source, kept to locate field paths on demand


@dataclass(frozen=True, slots=True, kw_only=True)
class InputError:
    file: str
    line: int
    message: str

    def render(self) -> str:
        if not self.file:  # about the inputs as a whole (no Tenants, nothing to judge)
            return self.message
        return f"{self.file}:{self.line}: {self.message}" if self.line else f"{self.file}: {self.message}"


def expand_paths(paths: Iterable[str]) -> Iterator[str | InputError]:
    """Files as given, folders walked for .yaml/.yml/.json in sorted order, `-` for stdin."""
    for raw in paths:
        if raw == "-":
            yield "-"
            continue
        p = Path(raw)
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in _SUFFIXES)
            yield from (str(f) for f in found)
        elif p.is_file():
            yield str(p)
        else:
            yield InputError(file=raw, line=0, message="no such file or directory")


def read_text(name: str) -> str:
    if name == "-":
        return sys.stdin.read()
    return Path(name).read_text(encoding="utf-8")


def parse(text: str, file: str) -> Iterator[Manifest | InputError]:
    """Every object in one file's text, in order; an error for each unusable document."""
    stripped = text.lstrip()
    if file.endswith(".json") or stripped.startswith(("{", "[")):
        yield from _parse_json(text, file)
        return
    for line, doc, data in documents(text, file):
        if isinstance(data, InputError):
            yield data
        else:
            yield from _objects(data, file, line, doc)


def documents(text: str, file: str) -> Iterator[tuple[int, str, Any]]:
    """(first line, source, parsed data) of every YAML document in `text`; a document that does not parse gives
    an InputError as its data, at the line where the problem starts, and the next document is still read.
    The one YAML reader: lint, the webhook's static mode and the audit's snapshots all read through it."""
    docs = list(_split_documents(text))
    parsed = _whole_stream(text, docs) if len(docs) > 1 else None
    if parsed is None:
        yield from each_document(docs, file)
    else:
        for (line, doc), data in zip(docs, parsed, strict=True):
            yield line, doc, data


def _plain(text: str) -> bool:
    """No document in `text` has a YAML 1.1-only scalar or a complex key (`load_document`'s checks, over the
    whole text at once; they may find what no single document has, never the other way round)."""
    if _SUSPECT is not None:
        if _SUSPECT.search(text):
            return False
    elif _YAML11_VALUE.search(text) or _YAML11_LINE.search(text) or _FLOW_KEY_END.search(text):
        return False
    return not _YAML11_FIRST.match(text) and not ("?" in text and _EXPLICIT_KEY.search(text))


# Where yaml_rs may start a document that `_split_documents` does not: a `...` end marker, a directive, a byte
# order mark. A stream with one is read a document at a time.
_OTHER_BOUNDARIES = ("\n...", "\n%", "\ufeff")
# Ends every stream parsed whole, so that yaml_rs always answers with the list of its documents (a stream of one
# document that is a list would look like several documents otherwise).
_END = "__tenantguard_end_of_stream__"


def _whole_stream(text: str, docs: list[tuple[int, str]]) -> list[Any] | None:
    """The data of each of `docs` from one yaml_rs call over the stream (a third faster than one call per
    document), when that is what reading each alone gives; else None, and each is read alone: a document needs
    PyYAML or does not parse (reading it alone says which one and where), or the stream's documents do not
    pair up with `docs` one to one.

    Pairing: yaml_rs gives nothing for a comment before the first `---` and None for an empty or comment-only
    document, where `docs` has the comment-only ones and not the empty ones; so the content documents of each
    are paired. Every boundary yaml_rs sees is one `_split_documents` sees (the others are excluded above), so
    each yaml_rs document is one or more of `docs`; as many content documents on both sides means each content
    document of `docs` is one yaml_rs document, with at most comments besides. A last line without a line break
    is left to the reference: the end marker's line break would change a block scalar ending there."""
    if yaml_rs is None or not text.endswith("\n") or text.startswith(("...", "%")):
        return None
    if any(b in text for b in _OTHER_BOUNDARIES) or not _plain(text):
        return None
    try:
        data = yaml_rs.loads(f"{text}---\n{_END}\n", parse_datetime=False)
    except (yaml_rs.YAMLDecodeError, TypeError, ValueError, RecursionError):
        return None
    if not isinstance(data, list) or not data or data[-1] != _END:
        return None
    content = iter([d for d in data[:-1] if d is not None])
    paired: list[Any] = []
    for _, doc in docs:
        # `_split_documents` starts a document at its first line that is not blank or a comment: one that is
        # blank or starts with `#` is its last line, and nothing else.
        head = doc.lstrip()
        paired.append(None if not head or head.startswith("#") else next(content, _MISSING))
    if any(d is _MISSING for d in paired) or next(content, _MISSING) is not _MISSING:
        return None
    return paired


_MISSING: Any = object()


def each_document(docs: Iterable[tuple[int, str]], file: str) -> Iterator[tuple[int, str, Any]]:
    """`documents` one document at a time (the reference the whole-stream read must agree with)."""
    for line, doc in docs:
        try:
            yield line, doc, load_document(doc)
        except DuplicateKey as err:
            yield line, doc, InputError(file=file, line=line, message=f"invalid YAML: {err}")
        except yaml.YAMLError as err:
            where, message = yaml_problem(err, line)
            yield line, doc, InputError(file=file, line=where, message=message)


class DuplicateKey(ValueError):
    pass


def yaml_problem(err: yaml.YAMLError, first_line: int = 1) -> tuple[int, str]:
    """(line, message) of a YAML error in a document starting at `first_line`.

    The line is where the problem starts, not where the parser gave up: a missing closing quote or bracket
    is noticed lines later (often at the end of the file), and the parser's context mark points back at
    the opening one. Only a block mapping or sequence context is too coarse (it marks the enclosing block's
    first line), so there the problem mark is nearer.
    """
    context = getattr(err, "context", None) or ""
    context_mark = getattr(err, "context_mark", None)
    problem_mark = getattr(err, "problem_mark", None)
    problem = getattr(err, "problem", None) or str(err).splitlines()[0]
    coarse = context.startswith("while parsing a block")
    mark = problem_mark if coarse or context_mark is None else context_mark
    where = first_line + (mark.line if mark is not None else 0)
    message = f"invalid YAML: {context}: {problem}" if context else f"invalid YAML: {problem}"
    if mark is context_mark and problem_mark is not None and mark is not None and problem_mark.line != mark.line:
        message += f" (parser stopped at line {first_line + problem_mark.line})"
    return where, message


def load_document(doc: str) -> Any:
    """One YAML document: yaml_rs (Rust, ~5x faster) unless it uses YAML 1.1-only scalars; PyYAML otherwise,
    and for the error message (with its line) when the document does not parse."""
    if yaml_rs is not None and (_plain(doc) or not (_yaml11_only(doc) or _complex_key(doc))):
        try:
            return yaml_rs.loads(doc, parse_datetime=False)
        except yaml_rs.YAMLDecodeError as err:
            if "duplicate mapping key" in str(err):
                raise DuplicateKey(str(err).splitlines()[0]) from err
        except (TypeError, ValueError, RecursionError):
            pass  # e.g. a mapping used as a key (`? {a: 1}`): PyYAML below says what and where
    return yaml.load(doc, Loader=_Loader)


def _split_documents(text: str) -> Iterator[tuple[int, str]]:
    """(first line, text) of each YAML document; `---` separators start a new one."""
    starts = [m.start() for m in _DOC_START.finditer(text)]
    bounds = [0, *starts, len(text)] if not starts or starts[0] != 0 else [*starts, len(text)]
    line, counted = 1, 0  # newlines are counted once, from the previous document on
    for begin, end in itertools.pairwise(bounds):
        line += text.count("\n", counted, begin)
        counted = begin
        chunk = text[begin:end]
        if not chunk.strip() or chunk.strip() == "---":
            continue
        first = line
        if chunk.startswith("---"):
            # The object starts on the line after the separator (or on it, for `--- {...}`).
            rest = chunk[3:]
            newline = rest.find("\n")
            if rest[:newline].strip() == "" and newline >= 0:
                first += 1
                chunk = rest[newline + 1 :]
            else:
                chunk = rest
        # Point at the object's first line, past blank and comment lines.
        offset = 0
        while (newline := chunk.find("\n", offset)) >= 0:
            stripped = chunk[offset:newline].strip()
            if stripped and not stripped.startswith("#"):
                break
            offset = newline + 1
            first += 1
        yield first, chunk[offset:]


def _parse_json(text: str, file: str) -> Iterator[Manifest | InputError]:
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as err:
        yield InputError(file=file, line=getattr(err, "lineno", 0), message=f"invalid JSON: {err.msg}")
        return
    items = data if isinstance(data, list) else [data]
    for item in items:
        yield from _objects(item, file, 1, "")


def _objects(data: Any, file: str, line: int, doc: str) -> Iterator[Manifest | InputError]:
    if data is None:
        return
    if not isinstance(data, dict):
        yield InputError(file=file, line=line, message=f"expected a Kubernetes object, got {type(data).__name__}")
        return
    kind = data.get("kind")
    if isinstance(kind, str) and kind.endswith("List") and isinstance(data.get("items"), list):
        offsets = _item_offsets(doc, len(data["items"]))
        for item, offset in zip(data["items"], offsets, strict=True):
            yield from _objects(item, file, line + offset, "")
        return
    problem = _shape_problem(data)
    if problem:
        yield InputError(file=file, line=line, message=problem)
        return
    yield Manifest(obj=data, file=file, line=line, text=doc)


def _item_offsets(doc: str, count: int) -> list[int]:
    """Line offset of each `items[i]` in a List document, composed once (0s when it cannot be told)."""
    offsets = [0] * count
    if not doc:
        return offsets
    try:
        node = yaml.compose(doc, Loader=_Loader)
    except yaml.YAMLError:
        return offsets
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == "items" and isinstance(value, yaml.SequenceNode):
                for i, item in enumerate(value.value[:count]):
                    offsets[i] = int(item.start_mark.line)
    return offsets


def _shape_problem(obj: dict[str, Any]) -> str:
    if not isinstance(obj.get("kind"), str) or not obj.get("kind"):
        return "object has no kind"
    if not isinstance(obj.get("apiVersion"), str) or not obj.get("apiVersion"):
        return f"{obj['kind']} has no apiVersion"
    meta = obj.get("metadata")
    if not isinstance(meta, dict) or not (meta.get("name") or meta.get("generateName")):
        return f"{obj['kind']} has no metadata.name"
    for key in ("name", "generateName", "namespace"):
        value = meta.get(key)
        if value is not None and not isinstance(value, str):  # kube-apiserver refuses them too
            got = _TYPE_NAMES.get(type(value), type(value).__name__)
            return f"{obj['kind']} metadata.{key} must be a string, not {got}"
    return ""


_TYPE_NAMES = {dict: "a mapping", list: "a list", bool: "a boolean", int: "a number", float: "a number"}


def read(paths: Iterable[str]) -> Iterator[Manifest | InputError]:
    for name in expand_paths(paths):
        if isinstance(name, InputError):
            yield name
        else:
            yield from read_file(name)


def read_file(name: str) -> Iterator[Manifest | InputError]:
    """Every object of one file (`-`: stdin) as `expand_paths` names it, in order; an error for what is unusable."""
    try:
        text = read_text(name)
    except (OSError, UnicodeDecodeError) as err:
        yield InputError(file=name, line=0, message=f"cannot read: {err}")
        return
    yield from parse(text, "<stdin>" if name == "-" else name)


_SEGMENT = re.compile(r'\.?([A-Za-z0-9_$-]+)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]')


def split_path(dotted: str) -> list[str | int]:
    out: list[str | int] = []
    for m in _SEGMENT.finditer(dotted):
        name, index, quoted = m.groups()
        out.append(int(index) if index is not None else (name if name is not None else quoted))
    return out


def locate(manifest: Manifest, dotted: str) -> int:
    """The line of the deepest existing node on `dotted` (falls back to the object's first line)."""
    if not manifest.text or not dotted:
        return manifest.line
    node = _composed(manifest.text)
    if node is None:
        return manifest.line
    best = manifest.line
    for seg in split_path(dotted):
        child = None
        if isinstance(node, yaml.MappingNode) and isinstance(seg, str):
            for key, value in node.value:
                if key.value == seg:
                    best = manifest.line + key.start_mark.line
                    child = value
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(seg, int) and seg < len(node.value):
            child = node.value[seg]
            best = manifest.line + child.start_mark.line
        if child is None:
            break
        node = child
    return best


@lru_cache(maxsize=8)
def _composed(text: str) -> yaml.Node | None:
    """A document's node tree, composed once for all of its findings (they are located one after another; an
    object failing several rules, or one rule in every container, is common and composing is most of the cost)."""
    try:
        return yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError:
        return None
