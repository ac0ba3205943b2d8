"""What a container runs: its environment as far as the manifest tells, and its command lines word by word.

Kubernetes expands `$(VAR)` in `command` and `args` from the container's env before the program starts
(`$$(VAR)` stays literal); a shell started with `-c` then expands `$VAR` and `${VAR}` and runs the script's
commands one after another, with `NAME=value` and `export NAME=value` setting variables on the way. A
variable whose value the manifest does not hold (a `valueFrom` Secret or field, an `envFrom` source, a
ConfigMap that is not known here, a variable the image may set) expands to a marker that remembers why,
so a model named through it is reported as undetermined instead of guessed.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from tenantguard.policies.paths import Path
from tenantguard.policies.rules.serving.servers import SHELLS, WRAPPERS
from tenantguard.policies.visit import ContainerRef

ConfigMaps = Callable[[str], Mapping[str, str] | None]  # name -> data, None when not known here
_K8S_VAR = re.compile(r"\$\$|\$\((\w+)\)")
_SH_VAR = re.compile(r"\$\{(\w+)\}|\$(\w+)")
_MARK = re.compile(r"\x00(\d+)\x00")
_SEPARATORS = frozenset({";", "&&", "||", "|", "&", "(", ")"})


@dataclass(frozen=True, slots=True)
class Value:
    """An env var as the manifest gives it: its value, or why it cannot be known; `path` is where it is set."""

    value: str | None
    unknown: str | None
    path: Path
    maybe: bool = False  # True: the variable may or may not be set by an envFrom source not known here


@dataclass(slots=True)  # not frozen: one per word of every command line, and frozen ones cost 3x to build
class Word:
    text: str
    field: str  # command | args
    index: int


class Env:
    """The container's env: explicit entries win over envFrom sources, later entries over earlier ones."""

    def __init__(self, ref: ContainerRef, config_maps: ConfigMaps) -> None:
        self.ref = ref
        self.marks: list[str] = []
        self._explicit: dict[str, Value] = {}
        raw = ref.container.get("env")
        for i, e in enumerate(raw if isinstance(raw, list) else ()):
            if isinstance(e, dict) and isinstance(e.get("name"), str):
                self._explicit[e["name"]] = self._entry(e, (*ref.path, "env", i), config_maps)
        self._sources: list[tuple[Path, str, Mapping[str, str] | None, str]] = []  # path, prefix, data, what
        raw = ref.container.get("envFrom")
        for j, source in enumerate(raw if isinstance(raw, list) else ()):
            if not isinstance(source, dict):
                continue
            prefix = source.get("prefix") if isinstance(source.get("prefix"), str) else ""
            cm, secret = source.get("configMapRef"), source.get("secretRef")
            if isinstance(cm, dict):
                data = config_maps(str(cm.get("name")))
                what = f"envFrom ConfigMap {cm.get('name')!r}, which is not known here"
                self._sources.append(((*ref.path, "envFrom", j), str(prefix), data, what))
            elif isinstance(secret, dict):
                what = f"envFrom Secret {secret.get('name')!r}, whose values are never read"
                self._sources.append(((*ref.path, "envFrom", j), str(prefix), None, what))

    @staticmethod
    def _entry(e: Mapping[str, Any], path: Path, config_maps: ConfigMaps) -> Value:
        if isinstance(e.get("value"), str) or "valueFrom" not in e:
            return Value(str(e.get("value") or ""), None, (*path, "value"))
        source = e["valueFrom"] if isinstance(e["valueFrom"], dict) else {}
        ref = source.get("configMapKeyRef")
        where = (*path, "valueFrom")
        if isinstance(ref, dict):
            data = config_maps(str(ref.get("name")))
            key = ref.get("key")
            if data is not None and isinstance(key, str) and isinstance(data.get(key), str):
                return Value(data[key], None, where)
            why = "which is not known here" if data is None else f"which has no key {key!r}"
            return Value(None, f"ConfigMap {ref.get('name')!r} key {key!r}, {why}", where)
        kind = next(iter(source), "valueFrom")
        return Value(None, f"{kind}, whose value is only known when the pod runs", where)

    def get(self, name: str) -> Value | None:
        """The variable, or None when nothing in the manifest sets it."""
        if name in self._explicit:
            return self._explicit[name]
        for path, prefix, data, what in reversed(self._sources):
            if data is None:
                return Value(None, what, path, maybe=True)
            if name.startswith(prefix) and isinstance(data.get(name[len(prefix) :]), str):
                return Value(data[name[len(prefix) :]], None, path)
        return None

    def mark(self, why: str) -> str:
        self.marks.append(why)
        return f"\x00{len(self.marks) - 1}\x00"

    def unknown_in(self, text: str) -> str | None:
        """Why a word cannot be known, when it holds a variable the manifest does not give."""
        m = _MARK.search(text)
        return self.marks[int(m.group(1))] if m else None


def _k8s_expand(item: str, env: Env) -> str:
    def one(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        var = env.get(m.group(1))
        if var is None:
            return m.group(0)  # the kubelet leaves an unknown reference as written
        if var.value is None:
            return env.mark(f"$({m.group(1)}) {'may come' if var.maybe else 'comes'} from {var.unknown}")
        return var.value

    return _K8S_VAR.sub(one, item) if "$" in item else item


def command_lines(ref: ContainerRef, env: Env, entrypoint: list[str]) -> Iterator[list[Word]]:
    """Every command line the container runs: its argv, or each simple command of a `sh -c` script.

    `entrypoint` stands in for an absent `command` (the image's, when known). Words of a script keep the
    field and index of the script's own item, which is where a finding points."""
    words: list[Word] = []
    command = ref.container.get("command")
    fields = ("command", "args") if isinstance(command, list) and command else ("args",)
    if fields == ("args",):
        words = [Word(w, "args", -1) for w in entrypoint]
    for field in fields:
        items = ref.container.get(field)
        for i, item in enumerate(items if isinstance(items, list) else ()):
            if isinstance(item, str):
                words.append(Word(_k8s_expand(item, env), field, i))
    for j, word in enumerate(words[:3]):
        if word.text.rsplit("/", 1)[-1] in SHELLS:
            script = next((k for k in range(j + 1, len(words)) if _is_c_flag(words[k].text)), None)
            if script is not None and script + 1 < len(words):
                yield from _script(words[script + 1], env)
                return
    yield words


def _is_c_flag(word: str) -> bool:
    return word.startswith("-") and not word.startswith("--") and "c" in word


@lru_cache(maxsize=1024)
def _tokens(script: str) -> tuple[str, ...]:
    """The shell words and operators of a script (newlines end commands). Charts repeat the same scripts in
    every replica's template, and shlex reads a character at a time: tokenised once per text."""
    text = script.replace("\n", ";")
    try:
        lexer = shlex.shlex(text, posix=True, punctuation_chars=";&|()")
        lexer.whitespace_split = True
        return tuple(lexer)
    except ValueError:
        return tuple(text.split())


def _script(item: Word, env: Env) -> Iterator[list[Word]]:
    tokens = _tokens(item.text)
    local: dict[str, str] = {}
    command: list[str] = []
    for token in [*tokens, ";"]:
        if token not in _SEPARATORS:
            command.append(token)
            continue
        words = _simple_command(command, env, local)
        if words:
            yield [Word(w, item.field, item.index) for w in words]
        command = []


def _simple_command(tokens: list[str], env: Env, local: dict[str, str]) -> list[str]:
    i = 0
    exported = tokens[:1] == ["export"]
    if exported:
        i = 1
    while i < len(tokens) and re.match(r"^\w+=", tokens[i]):
        name, _, value = tokens[i].partition("=")
        local[name] = _sh_expand(value, env, local)
        i += 1
    if exported:
        return []
    words: list[str] = []
    for token in tokens[i:]:
        expanded = _sh_expand(token, env, local)
        words.extend(expanded.split() if expanded != token else [token])
    while words and words[0] in WRAPPERS:
        words = words[1:]
    return words


def _sh_expand(token: str, env: Env, local: Mapping[str, str]) -> str:
    def one(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(2)
        if name in local:
            return local[name]
        var = env.get(name)
        if var is None:
            return env.mark(f"${name} is not set in the manifest (the image may set it)")
        if var.value is None:
            return env.mark(f"${name} {'may come' if var.maybe else 'comes'} from {var.unknown}")
        return var.value

    return _SH_VAR.sub(one, token) if "$" in token else token
