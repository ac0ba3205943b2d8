"""Where a pod or serving object names the model it loads, each in normal form with its field path.

Read by SRV003; see its docstring for the fields, and `references.py` for the normalisation.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from typing import Any

from tenantguard.policies.context import Context
from tenantguard.policies.paths import Path
from tenantguard.policies.rules.serving.references import normalise_model
from tenantguard.policies.subjects import KSERVE_FRAMEWORKS, Subject
from tenantguard.policies.visit import ContainerRef, containers

MODEL_ENV = frozenset({"MODEL_ID", "MODEL_NAME", "STORAGE_URI"})
_VAR = re.compile(r"\$\((\w+)\)")
# `serve` as a word of its own: (?<![\w-])serve(?![\w-]), with the literal first so that the regex engine
# scans for it at C speed instead of trying the lookbehind at every position of every container's args.
_SERVE = re.compile(r"serve(?<![\w-]serve)(?![\w-])")

Source = tuple[Path, str, str]  # where, normalised source, how it was named


def _d(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _tokens(ref: ContainerRef, env: dict[str, str]) -> list[tuple[str, str, int]]:
    """(word, field, index) of every word of `command` and `args`; the path is built only for a finding."""
    out: list[tuple[str, str, int]] = []
    for field in ("command", "args"):
        items = ref.container.get(field)
        for i, item in enumerate(items if isinstance(items, list) else ()):
            if not isinstance(item, str):
                continue
            if "$(" in item:
                item = _VAR.sub(lambda m: env.get(m[1], m[0]), item)
            if " " not in item and "\t" not in item and "\n" not in item:
                out.append((item, field, i))  # one word: the common case
                continue
            if '"' not in item and "'" not in item and "\\" not in item:
                pieces = item.split()  # shlex would give the same words, 20x slower
            else:
                try:
                    pieces = shlex.split(item)
                except ValueError:
                    pieces = item.split()
            out.extend([(piece, field, i) for piece in pieces])
    return out


def _may_name_a_model(ref: ContainerRef, flags: tuple[str, ...]) -> bool:
    """Cheap pre-check: tokenising is only worth it when a flag, `serve` or a variable appears at all."""
    text = " ".join(
        item
        for field in ("command", "args")
        if isinstance(items := ref.container.get(field), list)
        for item in items
        if isinstance(item, str)
    )
    return "$(" in text or _SERVE.search(text) is not None or any(flag in text for flag in flags)


def _container_sources(ref: ContainerRef, flags: tuple[str, ...]) -> Iterator[Source]:
    raw_env = ref.container.get("env")
    env_list: list[Any] = raw_env if isinstance(raw_env, list) else []
    env_items = [(i, e) for i, e in enumerate(env_list) if isinstance(e, dict)]
    env = {e["name"]: e["value"] for _, e in env_items if isinstance(e.get("value"), str) and "name" in e}
    tokens = _tokens(ref, env) if _may_name_a_model(ref, flags) else []
    for j, (token, _, _) in enumerate(tokens):
        flag, eq, value = token.partition("=")
        nxt = tokens[j + 1] if j + 1 < len(tokens) and not tokens[j + 1][0].startswith("-") else None
        if flag in flags and eq:
            found, via = (value, tokens[j][1], tokens[j][2]), flag
        elif flag in flags and nxt:
            found, via = nxt, flag
        elif token == "serve" and j and tokens[j - 1][0].rsplit("/", 1)[-1] == "vllm" and nxt:
            found, via = nxt, "vllm serve"
        else:
            continue
        source = normalise_model(found[0])
        if source:
            yield (*ref.path, found[1], found[2]), source, f"{via} of container {ref.name!r}"
    for i, e in env_items:
        if e.get("name") in MODEL_ENV and isinstance(e.get("value"), str):
            source = normalise_model(e["value"], bare_names=False)
            if source:
                yield (*ref.path, "env", i, "value"), source, f"env {e['name']} of container {ref.name!r}"


def sources(subject: Subject, ctx: Context) -> Iterator[Source]:
    spec = _d(subject.obj.get("spec"))
    if subject.kind == "InferenceService":
        predictor = _d(spec.get("predictor"))
        for key, node in (("", predictor), *((f, _d(predictor.get(f))) for f in KSERVE_FRAMEWORKS)):
            uri = node.get("storageUri")
            source = normalise_model(uri) if isinstance(uri, str) else None
            if source:
                yield ("spec", "predictor", *((key,) if key else ()), "storageUri"), source, "storageUri"
    if subject.kind == "LLMInferenceService":
        uri = _d(spec.get("model")).get("uri")
        source = normalise_model(uri) if isinstance(uri, str) else None
        if source:
            yield ("spec", "model", "uri"), source, "spec.model.uri"
    for pod in subject.pods:
        volumes = pod.spec.get("volumes")
        for i, volume in enumerate(volumes if isinstance(volumes, list) else ()):
            claim = _d(_d(volume).get("persistentVolumeClaim")).get("claimName")
            if isinstance(claim, str) and claim:
                where = (*pod.path, "volumes", i, "persistentVolumeClaim", "claimName")
                yield where, f"pvc://{claim}", "a volume"
        for ref in containers(pod):
            yield from _container_sources(ref, ctx.settings.model_args)
