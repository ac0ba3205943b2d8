"""Where a pod or serving object loads its model from, each in normal form with its field path.

Read by SRV003 (a `Source` outside the tenant's allowed sources is denied) and SRV008 (an `Undetermined`
model is warned about). The command-line grammar of each server is the table in `servers.py`; env and
shell indirection is `commands.py`; normal forms are `references.py`.

A local path is the source only through the volume it lies on: the longest `volumeMounts[].mountPath` of the
container that contains it (a relative path counts from `workingDir`). A PersistentVolumeClaim there is
`pvc://<claim>/<path in the volume>`, an NFS volume `nfs://<server><path>/…`, an image volume
`oci://<reference>`, a CSI volume of a driver in `settings.modelVolumeSources` that driver's URI; an
emptyDir or any other volume is undetermined (what fills it is not in the manifest), and a path on no
volume is inside the image (SRV002 judges the image). So a PVC mounted for a cache, checkpoints or scratch
space is no model source. CSI volumes of a `modelVolumeSources` driver are sources wherever they are
mounted: a bucket mount reads the bucket.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import yaml

from tenantguard.policies.context import Context
from tenantguard.policies.fields import mapping
from tenantguard.policies.paths import Path
from tenantguard.policies.rules.serving.commands import ConfigMaps, Env, Word, command_lines
from tenantguard.policies.rules.serving.references import normalise_model
from tenantguard.policies.rules.serving.servers import (
    GENERIC_MODEL_ENV,
    HF_ENDPOINT,
    MODELSCOPE,
    ServerCli,
    for_image,
    match,
)
from tenantguard.policies.rules.serving.volumes import Unclear, csi_source, found_volume, volume_source
from tenantguard.policies.subjects import KSERVE_FRAMEWORKS, PodTemplate, Subject
from tenantguard.policies.visit import ContainerRef, containers


@dataclass(frozen=True, slots=True)
class Source:
    path: Path
    source: str
    via: str


@dataclass(frozen=True, slots=True)
class Undetermined:
    path: Path
    why: str


Found = Source | Undetermined


def _config_maps(subject: Subject, ctx: Context) -> ConfigMaps:
    return lambda name: ctx.cluster.config_map(subject.namespace, name)


def _arguments(server: ServerCli | None, words: list[Word], extra_flags: tuple[str, ...]) -> Iterator[tuple[Word, str]]:
    """(word, how it was named) of every model the arguments name: flag values and the positional model."""
    flags = (*(server.model_flags if server else ()), *extra_flags)
    switches = server.switches if server else frozenset()
    positional_done = server is None or not server.positional
    j = 0
    while j < len(words):
        text = words[j].text
        if text.startswith("-") and len(text) > 1:
            flag, eq, value = text.partition("=")
            takes_value = not eq and flag not in switches
            nxt = words[j + 1] if takes_value and j + 1 < len(words) else None
            if flag in flags and eq:
                yield Word(value, words[j].field, words[j].index), flag
            elif flag in flags and nxt is not None:
                yield nxt, flag
            j += 2 if nxt is not None else 1
            continue
        if not positional_done:
            positional_done = True
            yield words[j], f"the positional model of {server.name if server else ''}"
        j += 1


# KServe passes the model to these kinds' servers itself (`--model_dir=/mnt/models`, from storageUri).
INJECTED_MODEL_KINDS = frozenset({"InferenceService", "ServingRuntime", "ClusterServingRuntime", "LLMInferenceService"})


def _container(ref: ContainerRef, pod: PodTemplate, ctx: Context, cms: ConfigMaps, injected: bool) -> Iterator[Found]:
    env = Env(ref, cms)
    image = ref.container.get("image")
    default = for_image(image) if isinstance(image, str) else None
    entrypoint = [*default.commands[0]] if default and default.commands else []
    if default and not entrypoint:
        entrypoint = ["python", "-m", default.modules[0]]
    named: list[tuple[Path, str, str]] = []  # path, value, how
    ran: list[ServerCli] = []
    for words in command_lines(ref, env, entrypoint):
        found = match([w.text for w in words])
        server, start = found if found else (None, 0)
        if server is not None:
            ran.append(server)
        for word, how in _arguments(server, words[start:], ctx.settings.model_args):
            where = (*ref.path, word.field, word.index) if word.index >= 0 else (*ref.path, "image")
            named.append((where, word.text, how))
    unclear: list[Found] = []
    for name in dict.fromkeys((*GENERIC_MODEL_ENV, *(n for s in ran for n in s.model_env))):
        var = env.get(name)
        if var is None or (var.maybe and name not in {n for s in ran for n in s.model_env}):
            continue  # an envFrom source may hold anything: only the servers' own model variables count
        if var.value is None:
            verb = "may come" if var.maybe else "comes"
            unclear.append(Undetermined(var.path, f"env {name} of container {ref.name!r} {verb} from {var.unknown}"))
        elif var.value:
            named.append((var.path, var.value, f"env {name}"))
    yield from unclear
    for server in ran:
        if server.reads_model and not named and not unclear and not injected:
            yield Undetermined(
                (*ref.path, "args"),
                f"container {ref.name!r} runs {server.name} but names no model this policy can read "
                f"({', '.join(server.model_flags)}{', a positional model' if server.positional else ''})",
            )
    for where, value, how in named:
        yield from _judge(where, value, f"{how} of container {ref.name!r}", ref, pod, env, ctx)


def _judge(
    where: Path, value: str, via: str, ref: ContainerRef, pod: PodTemplate, env: Env, ctx: Context
) -> Iterator[Found]:
    why = env.unknown_in(value)
    if why is not None:
        yield Undetermined(where, f"the model named by {via} is not known here: {why}")
        return
    local = _local_path(value, ref)
    if local is not None:
        found = volume_source(local, ref, pod, ctx.settings.model_volume_sources)
        if isinstance(found, Unclear):
            yield Undetermined(where, f"{via}: {found.why}")
        elif found is not None:
            yield Source(where, found, f"{via}, path {value!r} on volume {found_volume(local, ref)!r}")
        return
    source = normalise_model(value)
    if source is None:
        return
    if source.startswith("hf://"):
        yield from _hub(where, source, via, env)
        return
    yield Source(where, source, via)


def _hub(where: Path, source: str, via: str, env: Env) -> Iterator[Found]:
    """A Hugging Face id is fetched from HF_ENDPOINT (or ModelScope) when the container points it there."""
    repo = source.removeprefix("hf://")
    scope = env.get(MODELSCOPE)
    if scope is not None and scope.value is not None and scope.value.lower() in ("1", "true", "yes"):
        yield Source(where, f"modelscope://{repo}", f"{via}, with {MODELSCOPE}")
        return
    endpoint = env.get(HF_ENDPOINT)
    if endpoint is None:
        yield Source(where, source, via)
    elif endpoint.value is None:
        yield Undetermined(endpoint.path, f"{via}: HF_ENDPOINT, the host the model is fetched from, comes from "
                           f"{endpoint.unknown}")  # fmt: skip
    elif endpoint.value.rstrip("/") in ("", "https://huggingface.co"):
        yield Source(where, source, via)
    else:
        yield Source(where, f"{endpoint.value.rstrip('/')}/{repo}", f"{via}, fetched through HF_ENDPOINT")


def _local_path(value: str, ref: ContainerRef) -> str | None:
    """The absolute path a value names on the container's filesystem, or None when it is no local path.

    `/models/x`, `./x` and `../x` are paths; `org/name` is a path only when it lies under a volume mounted
    beneath `workingDir` (the servers look for a local directory before asking the Hub)."""
    if "://" in value or not value:
        return None
    workdir = ref.container.get("workingDir")
    if value.startswith("/"):
        return posixpath.normpath(value)
    if value.startswith(("./", "../")) or value in (".", ".."):
        return posixpath.normpath(posixpath.join(workdir if isinstance(workdir, str) and workdir else "/", value))
    if isinstance(workdir, str) and workdir.startswith("/"):
        candidate = posixpath.normpath(posixpath.join(workdir, value))
        mounts = ref.container.get("volumeMounts")
        for m in mounts if isinstance(mounts, list) else ():
            mount = mapping(m).get("mountPath")
            if isinstance(mount, str) and (candidate + "/").startswith(mount.rstrip("/") + "/"):
                return candidate
    return None


def _pod_sources(pod: PodTemplate, subject: Subject, ctx: Context) -> tuple[Found, ...]:
    key = ("model-sources",)
    memo = pod.memo.get(key)
    if memo is None:
        cms = _config_maps(subject, ctx)
        found: list[Found] = []
        volumes = pod.spec.get("volumes")
        for i, volume in enumerate(volumes if isinstance(volumes, list) else ()):
            csi = mapping(mapping(volume).get("csi"))
            if csi:
                got = csi_source(csi, (*pod.path, "volumes", i, "csi"), ctx.settings.model_volume_sources)
                name = mapping(volume).get("name")
                if isinstance(got, Unclear):
                    found.append(Undetermined((*pod.path, "volumes", i, "csi"), f"CSI volume {name!r}: {got.why}"))
                elif got is not None:
                    where, value = got
                    found.append(Source(where, value, f"CSI volume {name!r}"))
        for ref in containers(pod):
            found.extend(_container(ref, pod, ctx, cms, subject.kind in INJECTED_MODEL_KINDS))
        memo = pod.memo[key] = tuple(found)
    return memo


def _storage(node: dict[str, Any], path: Path) -> Iterator[Found]:
    """KServe's `storage` block: a storage-config Secret entry (`key`) and optional overrides."""
    storage = mapping(node.get("storage"))
    if not storage:
        return
    params = mapping(storage.get("parameters"))
    bucket, kind = params.get("bucket"), str(params.get("type") or "s3")
    rest = str(storage.get("path") or "").lstrip("/")
    if isinstance(bucket, str) and bucket:
        scheme = {"s3": "s3", "gs": "gs", "gcs": "gs"}.get(kind, kind)
        yield Source((*path, "storage", "parameters", "bucket"), f"{scheme}://{bucket}/{rest}", "storage")
    else:
        yield Undetermined(
            (*path, "storage", "key"),
            f"storage key {storage.get('key')!r} names a storage-config Secret entry whose bucket is not "
            "readable here; set storageUri, or storage.parameters.bucket",
        )


def _ray(spec: dict[str, Any]) -> Iterator[Found]:
    """RayService `serveConfigV2`: Ray Serve LLM's `model_loading_config` (model_source, else model_id)."""
    text = spec.get("serveConfigV2")
    if isinstance(text, str):
        yield from _serve_config_sources(text)


@lru_cache(maxsize=256)
def _serve_config_sources(text: str) -> tuple[Found, ...]:
    """The models a serveConfigV2 text names; read once per text (a chart repeats it, mutation copies it)."""
    try:
        config = yaml.safe_load(text)
    except yaml.YAMLError:
        return (Undetermined(("spec", "serveConfigV2"), "serveConfigV2 is not valid YAML"),)
    found: list[Found] = []
    stack: list[Any] = [config]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            loading = node.get("model_loading_config")
            if isinstance(loading, dict):
                value = loading.get("model_source") or loading.get("model_id")
                source = normalise_model(value) if isinstance(value, str) else None
                if source:
                    found.append(Source(("spec", "serveConfigV2"), source, "serveConfigV2 model_loading_config"))
            stack.extend(node.values())
    return tuple(found)


def sources(subject: Subject, ctx: Context) -> Iterator[Found]:
    spec = mapping(subject.obj.get("spec"))
    if subject.kind == "InferenceService":
        predictor = mapping(spec.get("predictor"))
        for key, node in (("", predictor), *((f, mapping(predictor.get(f))) for f in KSERVE_FRAMEWORKS)):
            base: Path = ("spec", "predictor", *((key,) if key else ()))
            uri = node.get("storageUri")
            source = normalise_model(uri) if isinstance(uri, str) else None
            if source:
                yield Source((*base, "storageUri"), source, "storageUri")
            yield from _storage(node, base)
    if subject.kind == "LLMInferenceService":
        uri = mapping(spec.get("model")).get("uri")
        source = normalise_model(uri) if isinstance(uri, str) else None
        if source:
            yield Source(("spec", "model", "uri"), source, "spec.model.uri")
    if subject.kind == "RayService":
        yield from _ray(spec)
    for pod in subject.pods:
        yield from _pod_sources(pod, subject, ctx)
