"""The storage behind a path in a container, and the bucket behind a CSI volume, as model sources.

`settings.modelVolumeSources` maps CSI drivers to the URI their volume attributes name, as a template with
`{attribute}` fields (`s3.csi.aws.com` → `s3://{bucketName}/`). A volume of such a driver missing an
attribute of its template cannot be placed, and is reported as undetermined.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tenantguard.policies.fields import mapping
from tenantguard.policies.paths import Path
from tenantguard.policies.settings import ModelVolumeSource
from tenantguard.policies.subjects import PodTemplate
from tenantguard.policies.visit import ContainerRef

_FIELD = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True, slots=True)
class Unclear:
    why: str


def _mount(path: str, ref: ContainerRef) -> tuple[dict[str, Any], str] | None:
    """The volumeMount holding `path` (the longest mountPath that contains it) and the path inside it."""
    best: tuple[dict[str, Any], str] | None = None
    mounts = ref.container.get("volumeMounts")
    for m in mounts if isinstance(mounts, list) else ():
        mount_path = mapping(m).get("mountPath")
        if not isinstance(mount_path, str) or not mount_path.startswith("/"):
            continue
        root = posixpath.normpath(mount_path)
        inside_root = path == root or path.startswith(root.rstrip("/") + "/")
        if inside_root and (best is None or len(root) > len(posixpath.normpath(str(best[0].get("mountPath"))))):
            inside = path[len(root) :].lstrip("/")
            sub = m.get("subPath")
            best = (m, posixpath.join(sub, inside) if isinstance(sub, str) and sub else inside)
    return best


def found_volume(path: str, ref: ContainerRef) -> str:
    got = _mount(path, ref)
    return str(got[0].get("name")) if got else ""


def _fill(template: str, attributes: Mapping[str, Any]) -> str | Unclear:
    missing = [f for f in _FIELD.findall(template) if not isinstance(attributes.get(f), str)]
    if missing:
        return Unclear(f"its volumeAttributes lack {', '.join(missing)}, so the bucket cannot be read")
    return _FIELD.sub(lambda m: str(attributes[m.group(1)]), template)


def csi_source(
    csi: Mapping[str, Any], base: Path, table: tuple[ModelVolumeSource, ...]
) -> tuple[Path, str] | Unclear | None:
    """(path, source) of a CSI volume whose driver is in the table; None for other drivers."""
    entry = next((e for e in table if e.driver == csi.get("driver")), None)
    if entry is None:
        return None
    attributes = mapping(csi.get("volumeAttributes"))
    filled = _fill(entry.source, attributes)
    if isinstance(filled, Unclear):
        return filled
    fields = _FIELD.findall(entry.source)
    return ((*base, "volumeAttributes", fields[0]) if fields else base), filled


def volume_source(
    path: str, ref: ContainerRef, pod: PodTemplate, table: tuple[ModelVolumeSource, ...]
) -> str | Unclear | None:
    """The source of the storage `path` lies on; None when it is in the image, or on a CSI volume of the
    table (judged as a volume of its own)."""
    got = _mount(path, ref)
    if got is None:
        return None
    mount, inside = got
    volumes = pod.spec.get("volumes")
    volume = next(
        (
            mapping(v)
            for v in (volumes if isinstance(volumes, list) else ())
            if mapping(v).get("name") == mount.get("name")
        ),
        {},
    )
    name = mount.get("name")
    suffix = f"/{inside}" if inside else ""
    claim = mapping(volume.get("persistentVolumeClaim")).get("claimName")
    if isinstance(claim, str) and claim:
        return f"pvc://{claim}{suffix}"
    nfs = mapping(volume.get("nfs"))
    if isinstance(nfs.get("server"), str):
        return f"nfs://{nfs['server']}{posixpath.join(str(nfs.get('path') or '/'), inside)}"
    image = mapping(volume.get("image")).get("reference")
    if isinstance(image, str) and image:
        return f"oci://{image}"
    csi = mapping(volume.get("csi"))
    if csi:
        if any(e.driver == csi.get("driver") for e in table):
            return None
        return Unclear(f"the model is on CSI volume {name!r} of driver {csi.get('driver')!r}, which is not in "
                       "settings modelVolumeSources")  # fmt: skip
    kind = next((k for k in volume if k != "name"), "an undeclared")
    return Unclear(f"the model is on {kind} volume {name!r}; what fills it is not in the manifest — load it "
                   "from an allowed source (a PVC, a bucket, storageUri)")  # fmt: skip
