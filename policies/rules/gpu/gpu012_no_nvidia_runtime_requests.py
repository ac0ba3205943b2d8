"""GPU012 no-nvidia-runtime-requests — tenant containers get GPUs from the device plugin, not from variables.

What it checks: no container, init container or ephemeral container sets a variable by which the NVIDIA
container runtime hands out devices — `NVIDIA_VISIBLE_DEVICES`, `NVIDIA_MIG_CONFIG_DEVICES`,
`NVIDIA_MIG_MONITOR_DEVICES`, `NVIDIA_IMEX_CHANNELS`, and `NVIDIA_GDS`, `NVIDIA_MOFED`, `NVIDIA_GDRCOPY`,
`NVIDIA_NVSWITCH` — except to `void`, `none` or empty, which expose no device; a value read from elsewhere
(`valueFrom`) cannot be judged and is refused. `envFrom` may not use a prefix that turns keys into one of them
(`prefix: NVIDIA_`), and a ConfigMap or Secret whose keys `envFrom` would import as-is may not carry one. Pod
annotations under `cdi.k8s.io/` (device requests the runtime reads where pod annotations reach the container)
are refused too.

Why it matters: the device plugin sets `NVIDIA_VISIBLE_DEVICES` to the devices it allocated, but the runtime's
default configuration (`accept-nvidia-visible-devices-envvar-when-unprivileged = true`) honours whatever the
container's environment says — the container's own value wins — so `NVIDIA_VISIBLE_DEVICES=all` reaches every
GPU of the node, other tenants' included, with no GPU requested, counted or capped. `CUDA_VISIBLE_DEVICES` and
`NVIDIA_DRIVER_CAPABILITIES` only narrow or shape what the runtime already granted, and are allowed. A value
baked into the image (CUDA base images set `NVIDIA_VISIBLE_DEVICES=all`) is invisible here: GPU007 and GPU013
keep pods without GPUs off GPU nodes, and on the nodes the runtime setting above set to `false` with the device
plugin's `volume-mounts` (or CDI) device-list strategy closes it for every container.

Fix: request the GPU as a resource (`resources.limits["nvidia.com/gpu"]`, or a MIG profile) and drop the
variable; to keep an image's GPU variables from acting in a container without GPUs, set the variable to `void`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator, Mapping
from typing import Any

from tenantguard.policies.context import Context
from tenantguard.policies.fields import sequence
from tenantguard.policies.model import Category, Finding, Severity
from tenantguard.policies.paths import dotted
from tenantguard.policies.rule import Example, Rule
from tenantguard.policies.rules.gpu.samples import ACME, container, pod
from tenantguard.policies.subjects import PodTemplate, Subject
from tenantguard.policies.visit import containers

VARIABLES = (
    "NVIDIA_VISIBLE_DEVICES",
    "NVIDIA_MIG_CONFIG_DEVICES",
    "NVIDIA_MIG_MONITOR_DEVICES",
    "NVIDIA_IMEX_CHANNELS",
    "NVIDIA_GDS",
    "NVIDIA_MOFED",
    "NVIDIA_GDRCOPY",
    "NVIDIA_NVSWITCH",
)
HARMLESS = frozenset({"", "void", "none"})
CDI_PREFIX = "cdi.k8s.io/"


def _pod(pod_template: PodTemplate, subject: Subject) -> Iterator[Finding]:
    for ref in containers(pod_template):
        if "env" not in ref.container and "envFrom" not in ref.container:
            continue
        for i, env in enumerate(sequence(ref.container.get("env"))):
            name = env.get("name") if isinstance(env, dict) else None
            if name not in VARIABLES:
                continue
            value = env.get("value", "")
            if "valueFrom" in env or not isinstance(value, str) or value.strip() not in HARMLESS:
                shown = "a value from valueFrom" if "valueFrom" in env else repr(value)
                yield Finding(
                    path=dotted((*ref.path, "env", i)),
                    message=f"container {ref.name!r} sets {name} to {shown}: the NVIDIA runtime would expose "
                    "GPUs the device plugin did not allocate; request the GPU as a resource",
                )
        for i, source in enumerate(sequence(ref.container.get("envFrom"))):
            prefix = source.get("prefix") if isinstance(source, dict) else None
            turned = [
                v for v in VARIABLES if isinstance(prefix, str) and prefix and v.startswith(prefix) and v != prefix
            ]
            if turned:
                yield Finding(
                    path=dotted((*ref.path, "envFrom", i, "prefix")),
                    message=f"container {ref.name!r} imports variables with prefix {prefix!r}, which turns a key "
                    f"into {turned[0]}; use a prefix that no NVIDIA runtime variable starts with",
                )
    meta, meta_path = (
        (pod_template.meta, pod_template.meta_path) if pod_template.meta_path else (subject.metadata, ("metadata",))
    )
    annotations = meta.get("annotations") if isinstance(meta, dict) else None
    for key in annotations if isinstance(annotations, dict) else ():
        if isinstance(key, str) and key.startswith(CDI_PREFIX):
            yield Finding(
                path=dotted((*(meta_path or ()), "annotations", key)),
                message=f"annotation {key!r} requests CDI devices from the container runtime; request the GPU "
                "as a resource",
            )


def _decoded(value: Any) -> Any:
    try:
        return base64.b64decode(value, validate=True).decode() if isinstance(value, str) else value
    except (binascii.Error, UnicodeDecodeError):
        return value


def _keys(subject: Subject) -> Iterator[Finding]:
    fields: tuple[str, ...] = ("data", "stringData") if subject.kind == "Secret" else ("data",)
    for field in fields:
        values = subject.obj.get(field)
        for key, value in values.items() if isinstance(values, Mapping) else ():
            if key not in VARIABLES:
                continue
            shown = _decoded(value) if subject.kind == "Secret" and field == "data" else value
            if not isinstance(shown, str) or shown.strip() not in HARMLESS:
                yield Finding(
                    path=dotted((field, key)),
                    message=f"{subject.kind} key {key} would set the NVIDIA runtime's {key} in every container "
                    "that imports it with envFrom; rename the key",
                )


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    if subject.kind in ("ConfigMap", "Secret"):
        yield from _keys(subject)
        return
    for pod_template in subject.pods:
        yield from _pod(pod_template, subject)


def _env(name: str, value: str) -> dict[str, Any]:
    return {**container({"cpu": "1"}, name="app"), "env": [{"name": name, "value": value}]}


_CONFIGMAP = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "gpus", "namespace": "acme-prod", "labels": dict(ACME)},
    "data": {"NVIDIA_VISIBLE_DEVICES": "all"},
}

RULE = Rule(
    id="GPU012",
    slug="no-nvidia-runtime-requests",
    title="Containers get GPUs from the device plugin, not from NVIDIA runtime variables",
    category=Category.GPU,
    severity=Severity.ERROR,
    pod_templates=True,
    kinds=frozenset({"ConfigMap", "Secret"}),
    fix="request GPUs as resources (resources.limits) and remove NVIDIA_VISIBLE_DEVICES and its kin, "
    "or set them to void",
    why="The NVIDIA runtime honours a container's NVIDIA_VISIBLE_DEVICES: 'all' reaches every GPU of the node.",
    check=check,
    doc=__doc__ or "",
    allowed=(
        Example(object=pod(_env("NVIDIA_VISIBLE_DEVICES", "void")), note="void exposes nothing"),
        Example(object=pod(_env("CUDA_VISIBLE_DEVICES", "0")), note="CUDA only narrows what was granted"),
        Example(object={**_CONFIGMAP, "data": {"MODEL": "llama"}}),
    ),
    denied=(
        Example(object=pod(_env("NVIDIA_VISIBLE_DEVICES", "all")), note="every GPU of the node, none requested"),
        Example(
            object=pod({**container({"cpu": "1"}), "envFrom": [{"prefix": "NVIDIA_", "configMapRef": {"name": "x"}}]})
        ),
        Example(object=_CONFIGMAP, note="imported as-is by envFrom"),
    ),
)
