"""SRV007 claims-bind-own-volumes — a claim binds a named PersistentVolume only when the tenant may use it.

What it checks, for tenants with `spec.models.allowedSources`: `spec.volumeName` of a PersistentVolumeClaim,
of each StatefulSet `spec.volumeClaimTemplates[]`, and of each generic ephemeral volume's
`volumes[].ephemeral.volumeClaimTemplate` in a pod spec. Naming a volume binds that existing
PersistentVolume directly, whoever provisioned it, unless its `claimRef` reserves it for another claim. The
name, as `pv://<volumeName>`, must match an allowed source prefix on a segment boundary
(`pv://acme-models` admits `pv://acme-models` and `pv://acme-models/…`; `pv://` admits every volume).
Claims without `volumeName` are provisioned afresh (or bound by the platform) and are not judged.

Why it matters: a PersistentVolume is cluster-wide. A claim that names another tenant's volume — the
platform's pre-provisioned weights of tenant B — mounts B's fine-tuned models in tenant A's pods, however
carefully `pvc://` sources are restricted.

Fix: leave `volumeName` out and let the claim be provisioned, or ask the platform team to add
`pv://<volume>` to the Tenant's `spec.models.allowedSources` (and to pre-bind the volume with `claimRef`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tenantguard.policies.context import Context
from tenantguard.policies.fields import mapping
from tenantguard.policies.model import Category, Finding, Severity
from tenantguard.policies.paths import Path, dotted
from tenantguard.policies.rule import Example, Rule
from tenantguard.policies.rules.serving.references import has_prefix
from tenantguard.policies.subjects import Subject


def _claims(subject: Subject) -> Iterator[tuple[Path, Any]]:
    """(path of the claim spec, volumeName) of every claim the object makes."""
    spec = mapping(subject.obj.get("spec"))
    if subject.kind == "PersistentVolumeClaim":
        yield ("spec",), spec.get("volumeName")
    if subject.kind == "StatefulSet":
        templates = spec.get("volumeClaimTemplates")
        for i, template in enumerate(templates if isinstance(templates, list) else ()):
            yield ("spec", "volumeClaimTemplates", i, "spec"), mapping(mapping(template).get("spec")).get("volumeName")
    for pod in subject.pods:
        volumes = pod.spec.get("volumes")
        for i, volume in enumerate(volumes if isinstance(volumes, list) else ()):
            template = mapping(mapping(mapping(volume).get("ephemeral")).get("volumeClaimTemplate"))
            if template:
                base = (*pod.path, "volumes", i, "ephemeral", "volumeClaimTemplate", "spec")
                yield base, mapping(template.get("spec")).get("volumeName")


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    tenant = ctx.tenant
    if tenant is None or tenant.model_sources is None:
        return
    allowed = [s for s in tenant.model_sources if s.startswith("pv://")]
    for base, name in _claims(subject):
        if isinstance(name, str) and name and not has_prefix(f"pv://{name}", allowed):
            yield Finding(
                path=dotted((*base, "volumeName")),
                message=f"claim binds PersistentVolume {name!r} by name; tenant {tenant.name!r} may bind "
                f"only {', '.join(allowed) or 'no volume by name'}",
            )


def _claim(volume: str | None) -> dict[str, Any]:
    spec: dict[str, Any] = {"accessModes": ["ReadOnlyMany"], "resources": {"requests": {"storage": "100Gi"}}}
    if volume is not None:
        spec["volumeName"] = volume
    meta = {"name": "weights", "namespace": "acme-prod", "labels": {"tenantguard.io/tenant": "acme"}}
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": meta, "spec": spec}


RULE = Rule(
    id="SRV007",
    slug="claims-bind-own-volumes",
    title="Claims bind a named PersistentVolume only when the tenant may use it",
    category=Category.SERVING,
    severity=Severity.ERROR,
    kinds=frozenset({"PersistentVolumeClaim", "StatefulSet"}),
    pod_templates=True,
    fix="remove spec.volumeName so the claim is provisioned, or have the platform add pv://<volume> to the "
    "Tenant's spec.models.allowedSources",
    why="A claim that names a PersistentVolume binds it whoever it belongs to, mounting another tenant's weights.",
    check=check,
    doc=__doc__ or "",
    allowed=(
        Example(object=_claim(None), note="provisioned, not bound by name"),
        Example(
            object=_claim("acme-llama-weights"),
            tenant={"models": {"allowedSources": ["s3://acme-models/", "pv://acme-llama-weights"]}},
            note="a volume the platform granted",
        ),
    ),
    denied=(Example(object=_claim("globex-ft-weights"), note="another tenant's volume"),),
)
