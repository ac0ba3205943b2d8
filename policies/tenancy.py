"""Tenants: the parsed Tenant object and "which tenant owns this namespace"."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tenantguard.policies.hostnames import normalise
from tenantguard.policies.podsecurity import Level, Version, parse_version
from tenantguard.policies.schema import validate
from tenantguard.policies.tenant_schema import GPU_RESOURCE_PATTERN, TENANT_SCHEMA


class TenantError(ValueError):
    """A Tenant that does not match the CRD schema; `problems` name each field and the reason."""

    def __init__(self, name: str, problems: list[str]) -> None:
        self.name = name
        self.problems = problems
        super().__init__(f"Tenant {name!r} is invalid: " + "; ".join(problems))


@dataclass(frozen=True, slots=True, kw_only=True)
class RbacSubject:
    kind: str
    name: str
    namespace: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceClassAllowance:
    """One DRA DeviceClass the tenant may claim devices of; None: no cap, any profile, any product."""

    name: str
    max_devices: int | None = None
    mig_profiles: frozenset[str] | None = None
    product_names: frozenset[str] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class GpuAllowance:
    """`max_per_pod` and `max_total` are GPU-equivalents (full GPU 1, MIG slice g/7) of extended resources and
    DRA devices together; `max_devices` caps devices per resource across the tenant (resources not listed: no
    per-resource cap); `device_classes` are the DRA DeviceClasses the tenant may claim, by name."""

    max_per_pod: int
    max_total: int
    allowed_resources: frozenset[str]
    max_devices: Mapping[str, int] = field(default_factory=dict)
    device_classes: Mapping[str, DeviceClassAllowance] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Tenant:
    name: str
    namespaces: tuple[str, ...]
    owners: tuple[RbacSubject, ...] = ()
    members: tuple[RbacSubject, ...] = ()
    pod_security: Level = Level.RESTRICTED
    pod_security_version: Version | None = None  # None: the settings' podSecurityVersion
    pod_security_defaults: bool = False
    gpu: GpuAllowance | None = None
    ingress_from: tuple[str, ...] = ()
    egress_cidrs: tuple[str, ...] = ()
    mtls_mode: str = "native"
    model_sources: tuple[str, ...] | None = None  # None: no restriction
    registries: tuple[str, ...] | None = None  # None: no restriction
    allowed_hostnames: tuple[str, ...] | None = None  # None: any hostname no other Tenant lists

    @property
    def subjects(self) -> tuple[RbacSubject, ...]:
        return self.owners + self.members


def parse_tenant(obj: Mapping[str, Any]) -> Tenant:
    """Validate a Tenant object against the CRD schema and convert it; raise TenantError otherwise."""
    name = str((obj.get("metadata") or {}).get("name") or "<unnamed>") if isinstance(obj, Mapping) else "<?>"
    problems = validate(obj, TENANT_SCHEMA) or _key_problems(obj)
    version: Version | None = None
    if not problems and "podSecurityVersion" in obj["spec"]:
        try:  # the schema's pattern lets a trailing newline through (Python's `$`), the parser does not
            version = parse_version(obj["spec"]["podSecurityVersion"])
        except ValueError as err:
            problems.append(f"spec.podSecurityVersion: {err}")
    if problems:
        raise TenantError(name, problems)
    spec = obj["spec"]
    gpu = spec.get("gpu")
    network = spec.get("network") or {}
    models = spec.get("models")
    registries = spec.get("registries")
    hostnames = spec.get("allowedHostnames")
    return Tenant(
        name=name,
        namespaces=tuple(spec.get("namespaces", ())),
        owners=tuple(_subject(s) for s in spec.get("owners", ())),
        members=tuple(_subject(s) for s in spec.get("members", ())),
        pod_security=Level(spec.get("podSecurity", "restricted")),
        pod_security_version=version,
        pod_security_defaults=bool(spec.get("podSecurityDefaults", False)),
        gpu=None
        if gpu is None
        else GpuAllowance(
            max_per_pod=int(gpu.get("maxPerPod", 0)),
            max_total=int(gpu.get("maxTotal", 0)),
            allowed_resources=frozenset(gpu.get("allowedResources", ())),
            max_devices=dict(sorted(gpu.get("maxDevices", {}).items())),
            device_classes={c["name"]: _device_class(c) for c in gpu.get("deviceClasses", ())},
        ),
        ingress_from=tuple(network.get("allowIngressFrom", ())),
        egress_cidrs=tuple(network.get("allowEgressCIDRs", ())),
        mtls_mode=(spec.get("mtls") or {}).get("mode", "native"),
        model_sources=None if models is None or "allowedSources" not in models else tuple(models["allowedSources"]),
        registries=None if registries is None else tuple(registries),
        allowed_hostnames=None if hostnames is None else tuple(normalise(h) for h in hostnames),
    )


_GPU_RESOURCE = re.compile(GPU_RESOURCE_PATTERN)


def _key_problems(obj: Mapping[str, Any]) -> list[str]:
    """The CRD's CEL rule on gpu.maxDevices keys, which the OpenAPI subset cannot express."""
    caps = ((obj.get("spec") or {}).get("gpu") or {}).get("maxDevices") or {}
    return [
        f"spec.gpu.maxDevices[{key!r}]: not a GPU resource (nvidia.com/gpu or nvidia.com/mig-<g>g.<mem>gb[.me])"
        for key in caps
        if not _GPU_RESOURCE.match(key)
    ]


def _device_class(raw: Mapping[str, Any]) -> DeviceClassAllowance:
    profiles, products = raw.get("migProfiles"), raw.get("productNames")
    return DeviceClassAllowance(
        name=raw["name"],
        max_devices=raw.get("maxDevices"),
        mig_profiles=None if profiles is None else frozenset(profiles),
        product_names=None if products is None else frozenset(products),
    )


def _subject(raw: Mapping[str, Any]) -> RbacSubject:
    return RbacSubject(kind=raw["kind"], name=raw["name"], namespace=raw.get("namespace", ""))


@dataclass(frozen=True, slots=True)
class TenantIndex:
    """Tenants by name and namespace owners; `conflicts` lists namespaces claimed by several tenants."""

    by_name: Mapping[str, Tenant]
    owner_of: Mapping[str, str]
    conflicts: Mapping[str, tuple[str, ...]]

    @classmethod
    def build(cls, tenants: Iterable[Tenant]) -> TenantIndex:
        by_name: dict[str, Tenant] = {}
        claims: dict[str, list[str]] = {}
        for t in tenants:
            by_name[t.name] = t
            for ns in t.namespaces:
                claims.setdefault(ns, []).append(t.name)
        # The first claimant (by name) keeps the namespace so verdicts do not depend on list order.
        owner_of = {ns: min(names) for ns, names in claims.items()}
        conflicts = {ns: tuple(sorted(names)) for ns, names in claims.items() if len(names) > 1}
        return cls(by_name, owner_of, conflicts)

    def for_namespace(self, namespace: str | None) -> Tenant | None:
        if not namespace:
            return None
        owner = self.owner_of.get(namespace)
        return self.by_name.get(owner) if owner else None


EMPTY_INDEX = TenantIndex({}, {}, {})
