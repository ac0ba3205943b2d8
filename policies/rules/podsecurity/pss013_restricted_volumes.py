"""PSS013 restrictedVolumes — pods use only the core volume types.

What it checks (PSA restricted check `restrictedVolumes`, v1.0): the source of every `spec.volumes[*]`.
Allowed types: configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected,
secret. Everything else is forbidden — hostPath, gcePersistentDisk, awsElasticBlockStore, gitRepo, nfs,
iscsi, glusterfs, rbd, flexVolume, cinder, cephfs, flocker, fc, azureFile, vsphereVolume, quobyte,
azureDisk, photonPersistentDisk, portworxVolume, scaleIO, storageos (and unknown types). A volume with no
source is an emptyDir (the API server's default).

Why it matters: inline network and host volumes bypass the PersistentVolume layer where the platform
decides which tenant may reach which storage — an inline NFS export can be another tenant's model store.

Fix: mount storage through a persistentVolumeClaim (or csi / ephemeral volume) provisioned for the tenant.
"""

from __future__ import annotations

from collections.abc import Iterator

from tenantguard.policies.context import Context
from tenantguard.policies.model import Category, Finding, Severity
from tenantguard.policies.paths import dotted
from tenantguard.policies.podsecurity import Level, v1
from tenantguard.policies.rule import Example, Rule, VersionedCheck
from tenantguard.policies.rules.podsecurity.common import quote
from tenantguard.policies.rules.podsecurity.examples import example_pod
from tenantguard.policies.subjects import Subject

REASON = "restricted volume types"
ALLOWED = (
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "image",
    "persistentVolumeClaim",
    "projected",
    "secret",
)
RESTRICTED_TYPES = (
    "hostPath", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "nfs", "iscsi", "glusterfs", "rbd",
    "flexVolume", "cinder", "cephfs", "flocker", "fc", "azureFile", "vsphereVolume", "quobyte", "azureDisk",
    "photonPersistentDisk", "portworxVolume", "scaleIO", "storageos",
)  # fmt: skip


_ALLOWED = frozenset(ALLOWED)


def volume_type(volume: dict[str, object]) -> str | None:
    """None for an allowed (or defaulted) source, else PSA's name for the restricted type."""
    sources = [k for k, v in volume.items() if k != "name" and v is not None]
    if not sources or not _ALLOWED.isdisjoint(sources):
        return None
    return next((t for t in RESTRICTED_TYPES if t in sources), "unknown")


def check_v1_0(subject: Subject, ctx: Context) -> Iterator[Finding]:
    for pod in subject.pods:
        volumes = pod.spec.get("volumes")
        for i, volume in enumerate(volumes if isinstance(volumes, list) else ()):
            if not isinstance(volume, dict) or (kind := volume_type(volume)) is None:
                continue
            path = (*pod.path, "volumes", i) + ((kind,) if kind != "unknown" else ())
            yield Finding(
                path=dotted(path),
                message=f"{REASON} (volume {quote(volume.get('name', ''))} uses restricted volume type {quote(kind)})",
            )


RULE = Rule(
    id="PSS013",
    slug="restrictedVolumes",
    title="Pods use only core volume types",
    category=Category.POD_SECURITY,
    severity=Severity.ERROR,
    pod_templates=True,
    fix="mount storage through a persistentVolumeClaim, csi or ephemeral volume; keep configMap, secret, "
    "emptyDir, projected, downwardAPI and image volumes",
    why="Inline host and network volumes bypass the PersistentVolume layer keeping tenants' storage apart.",
    check=check_v1_0,
    level=Level.RESTRICTED,
    versions=(VersionedCheck(since=v1(0), check=check_v1_0, overrides=frozenset({"PSS005"})),),
    doc=__doc__ or "",
    allowed=(
        Example(
            object=example_pod(
                volumes=[
                    {"name": "models", "persistentVolumeClaim": {"claimName": "llama"}},
                    {"name": "shm", "emptyDir": {"medium": "Memory"}},
                    {"name": "weights", "image": {"reference": "registry.acme.example/weights:1"}},
                ]
            )
        ),
    ),
    denied=(
        Example(object=example_pod(volumes=[{"name": "models", "nfs": {"server": "10.0.0.5", "path": "/m"}}])),
        Example(object=example_pod(volumes=[{"name": "node", "hostPath": {"path": "/"}}])),
    ),
)
