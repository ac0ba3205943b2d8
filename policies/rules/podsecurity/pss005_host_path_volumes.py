"""PSS005 hostPathVolumes — pods mount no hostPath volumes.

What it checks (PSA baseline check `hostPathVolumes`, v1.0): `spec.volumes[*].hostPath`.
Allowed values: undefined.

Applies to `baseline` tenants only: in `restricted`, PSA replaces it with `restrictedVolumes` (PSS013),
which forbids hostPath and every other non-core volume type.

Why it matters: a hostPath volume reads the node's disk — the kubelet's credentials, other tenants'
emptyDirs and cached model weights.

Fix: use a persistentVolumeClaim, an emptyDir, or an ephemeral volume instead.
"""

from __future__ import annotations

from collections.abc import Iterator

from tenantguard.policies.context import Context
from tenantguard.policies.model import Category, Finding, Severity
from tenantguard.policies.paths import dotted
from tenantguard.policies.podsecurity import Level, v1
from tenantguard.policies.rule import Example, Rule, VersionedCheck
from tenantguard.policies.rules.podsecurity.common import quote
from tenantguard.policies.rules.podsecurity.examples import BASELINE_TENANT, example_pod
from tenantguard.policies.subjects import Subject

REASON = "hostPath volumes"


def check_v1_0(subject: Subject, ctx: Context) -> Iterator[Finding]:
    for pod in subject.pods:
        volumes = pod.spec.get("volumes")
        for i, volume in enumerate(volumes if isinstance(volumes, list) else ()):
            if isinstance(volume, dict) and volume.get("hostPath") is not None:
                yield Finding(
                    path=dotted((*pod.path, "volumes", i, "hostPath")),
                    message=f"{REASON} (volume {quote(volume.get('name', ''))})",
                )


RULE = Rule(
    id="PSS005",
    slug="hostPathVolumes",
    title="Pods mount no hostPath volumes",
    category=Category.POD_SECURITY,
    severity=Severity.ERROR,
    pod_templates=True,
    fix="replace the hostPath volume with a persistentVolumeClaim, emptyDir or ephemeral volume",
    why="A hostPath volume reads the node's disk, with other tenants' data and the kubelet's credentials.",
    check=check_v1_0,
    level=Level.BASELINE,
    versions=(VersionedCheck(since=v1(0), check=check_v1_0),),
    doc=__doc__ or "",
    allowed=(Example(object=example_pod(volumes=[{"name": "cache", "emptyDir": {}}]), tenant=BASELINE_TENANT),),
    denied=(
        Example(
            object=example_pod(volumes=[{"name": "models", "hostPath": {"path": "/models"}}]),
            tenant=BASELINE_TENANT,
        ),
    ),
)
