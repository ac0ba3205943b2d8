"""Reachability inputs: manifests, a snapshot or a live cluster, turned into network worlds (`policies.isolation`).

What exists comes from `--snapshot DIR` or a cluster (`--kubeconfig` / `--context`), taken as it is; what is
applied comes from manifest files and folders, which replace the existing objects of the same kind, namespace
and name and get what admission gives them. `--tenants` adds Tenants and the Namespaces they own (their labels),
`--platform` objects present on both sides of a diff (the platform's baseline NetworkPolicies, its gateway)
that the manifests do not hold. Manifests are kept by object, so a rule is reported at its file and line.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tenantguard import manifests, platform
from tenantguard.audit.cluster import ClusterReader, LiveSource, connect
from tenantguard.audit.snapshot import SnapshotReader
from tenantguard.manifests import InputError, Manifest
from tenantguard.policies.cluster import ClusterState
from tenantguard.policies.isolation.world import NetworkWorld, from_objects
from tenantguard.policies.netpol import RuleRef
from tenantguard.policies.ownership import OwnerKey
from tenantguard.policies.settings import DEFAULT_SETTINGS, Settings


@dataclass(slots=True)
class Sources:
    """Where a world's objects come from, and the problems met reading them."""

    existing: list[dict[str, Any]] = field(default_factory=list)  # a snapshot or a cluster, as it is
    platform: list[Manifest] = field(default_factory=list)  # --platform: on both sides, unchanged
    context: list[Manifest] = field(default_factory=list)  # --tenants: Tenants and Namespaces
    errors: list[InputError] = field(default_factory=list)
    origin: str = ""  # "snapshot DIR" | "cluster SERVER" | ""


def read_files(paths: Iterable[str], errors: list[InputError]) -> list[Manifest]:
    found: list[Manifest] = []
    for item in manifests.read(paths):
        if isinstance(item, InputError):
            errors.append(item)
        else:
            found.append(item)
    return found


def load_sources(
    *,
    tenants: Iterable[str] = (),
    platform_paths: Iterable[str] = (),
    snapshot: str | None = None,
    kubeconfig: str | None = None,
    context: str | None = None,
    live: bool = False,
) -> Sources:
    """Read the context and what exists; a cluster that cannot be read raises ClusterError."""
    sources = Sources()
    sources.context = read_files(tenants, sources.errors)
    sources.platform = read_files(platform_paths, sources.errors)
    if snapshot is not None:
        reader = SnapshotReader([snapshot])
        sources.existing = list(reader.objects())
        sources.errors.extend(reader.errors)
        sources.origin = f"snapshot {snapshot}"
    elif live or kubeconfig is not None or context is not None:
        cluster = ClusterReader(connect(kubeconfig, context))
        source = LiveSource(cluster)
        sources.existing = [*source.context(), *source.objects()]
        sources.origin = f"cluster {cluster.server}"
    return sources


def _key(m: Manifest, namespace: str | None) -> OwnerKey:
    meta = m.obj.get("metadata") or {}
    kind = str(m.obj.get("kind") or "")
    ns = "" if kind == "Namespace" else str(meta.get("namespace") or namespace or "default")
    return kind, ns, str(meta.get("name") or "")


@dataclass(frozen=True, slots=True, kw_only=True)
class Located:
    """A network world with the manifests its applied objects were read from."""

    world: NetworkWorld
    manifests: dict[OwnerKey, Manifest]
    errors: tuple[InputError, ...] = ()

    def locate(self, ref: RuleRef) -> tuple[str, int] | None:
        """The file and line of a NetworkPolicy rule read from a manifest."""
        namespace, _, name = ref.policy.partition("/")
        found = self.manifests.get(("NetworkPolicy", namespace, name))
        return (found.file, manifests.locate(found, ref.rule)) if found is not None else None

    def locate_object(self, kind: str, namespace: str, name: str) -> tuple[str, int] | None:
        found = self.manifests.get((kind, namespace, name))
        return (found.file, found.line) if found is not None else None


def build(
    sources: Sources,
    applied: list[Manifest],
    settings: Settings = DEFAULT_SETTINGS,
    *,
    namespace: str | None = None,
) -> Located:
    """The world of what exists with `applied` applied on top; Tenants from every input."""
    objects = [m.obj for m in (*sources.context, *sources.platform, *applied)]
    tenants = [o for o in (*sources.existing, *objects) if o.get("kind") == "Tenant"]
    cluster = ClusterState(settings)
    cluster.replace_tenants(tenants)
    errors = [*platform.tenant_errors(m for m in (*sources.context, *sources.platform, *applied))]
    declared = {
        str((m.obj.get("metadata") or {}).get("name") or ""): {
            str(k): str(v) for k, v in ((m.obj.get("metadata") or {}).get("labels") or {}).items()
        }
        for m in sources.context
        if m.obj.get("kind") == "Namespace"
    }
    existing = [*sources.existing, *(m.obj for m in sources.platform)]
    world = from_objects(
        existing, [m.obj for m in applied], cluster.tenants, settings, namespaces=declared, namespace=namespace
    )
    by_key = {_key(m, namespace): m for m in (*sources.platform, *applied)}
    return Located(world=world, manifests=by_key, errors=tuple(errors))
