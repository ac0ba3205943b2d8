"""Global settings: every field has a default, so an empty file (or none) is a valid configuration."""

from __future__ import annotations

import fnmatch
import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import yaml

from tenantguard.policies.mig_profiles import DEFAULT_MIG_PROFILES
from tenantguard.policies.model import Category, Mode, Severity, Waiver
from tenantguard.policies.ownership import OwnerKey
from tenantguard.policies.podsecurity import LATEST, VERSION_PATTERN, Version, parse_version
from tenantguard.policies.pricing import PRICING_SCHEMA, Pricing, parse_pricing, pricing_problems
from tenantguard.policies.schema import validate

_MODE = {"type": "string", "enum": [m.value for m in Mode]}
SETTINGS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "tenantLabel": {"type": "string", "minLength": 1},
        "managedLabel": {"type": "string", "minLength": 1},
        "exemptNamespaces": {"type": "array", "items": {"type": "string"}},
        "webhookNamespace": {"type": "string"},
        "gatewayNamespaces": {"type": "array", "items": {"type": "string"}},
        "enforcement": {
            "type": "object",
            "additionalProperties": False,
            "properties": {c.value: _MODE for c in Category},
        },
        "ruleModes": {"type": "object", "additionalProperties": _MODE},
        "exceptions": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["rule", "reason", "until"],
                "additionalProperties": False,
                "properties": {
                    "rule": {"type": "string", "minLength": 1},
                    "namespace": {"type": "string"},
                    "kind": {"type": "string"},
                    "name": {"type": "string"},
                    "reason": {"type": "string", "minLength": 1},
                    "until": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}"},
                },
            },
        },
        "migProfiles": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["product", "profiles"],
                "additionalProperties": False,
                "properties": {
                    "product": {"type": "string", "minLength": 1},
                    "profiles": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
        "gpuTaintKey": {"type": "string"},
        "gpuNodeLabelPrefixes": {"type": "array", "items": {"type": "string"}},
        "mtls": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "image": {"type": "string", "minLength": 1},
                "port": {"type": "integer", "minimum": 1},
                "secretName": {"type": "string", "minLength": 1},
                "containerName": {"type": "string", "minLength": 1},
            },
        },
        "clusterDns": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "namespace": {"type": "string", "minLength": 1},
                "podLabels": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        },
        "modelArgs": {"type": "array", "items": {"type": "string"}},
        "platformUsers": {"type": "array", "items": {"type": "string"}},
        "platformGroups": {"type": "array", "items": {"type": "string"}},
        "modelVolumeSources": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["driver", "source"],
                "additionalProperties": False,
                "properties": {
                    "driver": {"type": "string", "minLength": 1},
                    "source": {"type": "string", "minLength": 1},
                },
            },
        },
        "podSecurityVersion": {"type": "string", "pattern": VERSION_PATTERN},
        "network": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "clusterCIDRs": {"type": "array", "items": {"type": "string", "minLength": 1}},
                "podCIDRs": {"type": "array", "items": {"type": "string", "minLength": 1}},
                "nodeCIDRs": {"type": "array", "items": {"type": "string", "minLength": 1}},
                "gatewayIngressClasses": {"type": "array", "items": {"type": "string", "minLength": 1}},
            },
        },
        "pricing": PRICING_SCHEMA,
    },
}


class SettingsError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid settings: " + "; ".join(problems))


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleException:
    """A time-boxed waiver: rule on matching objects, with a reason, until a date (exclusive).

    It matches an object when it matches the object or any workload that owns it
    (`policies.ownership.owners`): an exception for a Deployment covers its ReplicaSets and their pods, one
    for a CronJob its Jobs and their pods — the same objects admission judges minutes later.
    """

    rule: str
    reason: str
    until: datetime
    namespace: str = "*"
    kind: str = "*"
    name: str = "*"

    def matches(self, rule: str, owners: Iterable[OwnerKey]) -> bool:
        """This rule, on the object or one of its owners; whether it is still in force is `active`."""
        return self.rule in (rule, "*") and any(
            fnmatch.fnmatchcase(kind, self.kind)
            and fnmatch.fnmatchcase(namespace, self.namespace)
            and fnmatch.fnmatchcase(name, self.name)
            for kind, namespace, name in owners
        )

    def active(self, now: datetime) -> bool:
        return now < self.until

    def waiver(self, now: datetime) -> Waiver:
        return Waiver(reason=self.reason, until=self.until, expired=not self.active(now))


@dataclass(frozen=True, slots=True, kw_only=True)
class MtlsSidecar:
    # ghostunnel's distroless release image; the e2e tests run the same version (scripts/build-ghostunnel.sh).
    image: str = "docker.io/ghostunnel/ghostunnel:v1.11.1-distroless"
    port: int = 8443
    secret_name: str = "tenantguard-workload-cert"
    container_name: str = "tenantguard-mtls"


@dataclass(frozen=True, slots=True, kw_only=True)
class ClusterDns:
    """Where the cluster DNS pods run: the baseline NetworkPolicy `tenantguard-allow-dns` lets every tenant pod
    reach them on port 53 (CoreDNS keeps kube-dns's `k8s-app: kube-dns` label)."""

    namespace: str = "kube-system"
    pod_labels: Mapping[str, str] = field(default_factory=lambda: {"k8s-app": "kube-dns"})


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelVolumeSource:
    """A CSI driver whose volumes read a bucket, and the source URI its volumeAttributes name."""

    driver: str
    source: str  # a template: `s3://{bucketName}/`


# Private address space (RFC 1918) and IPv6 unique local addresses: where pods, Services and nodes usually live.
PRIVATE_CIDRS = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fd00::/8")


@dataclass(frozen=True, slots=True, kw_only=True)
class NetworkSettings:
    """The cluster's address ranges, for what NetworkPolicy ipBlocks mean, and the gateway's ingress classes.

    `cluster_cidrs`: every address inside the cluster (pods, Services, nodes); an ipBlock admitting an address
    outside them admits traffic from outside the cluster. `pod_cidrs` / `node_cidrs`: where a pod's (a
    hostNetwork pod's: its node's) address will come from when it has none yet — pods built from manifests,
    unscheduled pods; empty means `cluster_cidrs`. `gateway_ingress_classes`: Ingresses of these classes are
    served by the platform gateway, so they publish through it."""

    cluster_cidrs: tuple[str, ...] = PRIVATE_CIDRS
    pod_cidrs: tuple[str, ...] = ()
    node_cidrs: tuple[str, ...] = ()
    gateway_ingress_classes: tuple[str, ...] = ()

    @property
    def pod_ranges(self) -> tuple[str, ...]:
        return self.pod_cidrs or self.cluster_cidrs

    @property
    def node_ranges(self) -> tuple[str, ...]:
        return self.node_cidrs or self.cluster_cidrs


# Object-storage CSI drivers: Mountpoint for Amazon S3, Cloud Storage FUSE, Azure Blob (blobfuse).
DEFAULT_MODEL_VOLUME_SOURCES = (
    ModelVolumeSource(driver="s3.csi.aws.com", source="s3://{bucketName}/"),
    ModelVolumeSource(driver="gcsfuse.csi.storage.gke.io", source="gs://{bucketName}/"),
    ModelVolumeSource(
        driver="blob.csi.azure.com", source="https://{storageAccount}.blob.core.windows.net/{containerName}/"
    ),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    tenant_label: str = "tenantguard.io/tenant"
    managed_label: str = "tenantguard.io/managed"
    exempt_namespaces: frozenset[str] = frozenset(
        {"kube-system", "kube-public", "kube-node-lease", "tenantguard-system"}
    )
    webhook_namespace: str = "tenantguard-system"
    gateway_namespaces: tuple[str, ...] = ("llm-gateway",)
    enforcement: Mapping[Category, Mode] = field(default_factory=lambda: {c: Mode.ENFORCE for c in Category})
    rule_modes: Mapping[str, Mode] = field(default_factory=dict)
    exceptions: tuple[RuleException, ...] = ()
    mig_profiles: tuple[tuple[re.Pattern[str], frozenset[str]], ...] = tuple(
        (re.compile(p), frozenset(v)) for p, v in DEFAULT_MIG_PROFILES
    )
    gpu_taint_key: str = "nvidia.com/gpu"
    gpu_node_label_prefixes: tuple[str, ...] = ("nvidia.com/gpu", "nvidia.com/mig")
    mtls: MtlsSidecar = MtlsSidecar()
    cluster_dns: ClusterDns = ClusterDns()
    # Flags by which any server, also one `servers.py` does not know, names the model it loads (`--model s3://…`).
    model_args: tuple[str, ...] = (
        "--model",
        "--model-path",
        "--model-id",
        "--model_name_or_path",
        "--tokenizer",
    )
    model_volume_sources: tuple[ModelVolumeSource, ...] = DEFAULT_MODEL_VOLUME_SOURCES

    # Identities that may write, change and delete managed objects: the reconciler, cluster administrators and
    # Kubernetes' own controllers (the namespace controller deletes everything in a namespace being deleted).
    platform_users: frozenset[str] = frozenset(
        {"system:serviceaccount:tenantguard-system:tenantguard", "system:kube-controller-manager"}
    )
    platform_groups: frozenset[str] = frozenset({"system:masters", "system:serviceaccounts:kube-system"})
    # Pod Security version for Tenants that pin none (PSA's AdmissionConfiguration default enforce-version).
    pod_security_version: Version = LATEST
    network: NetworkSettings = NetworkSettings()

    # Prices for the usage report's showback (policies.pricing); None: nothing is priced.
    pricing: Pricing | None = None

    def is_platform(self, username: str, groups: Iterable[str]) -> bool:
        return username in self.platform_users or not self.platform_groups.isdisjoint(groups)

    def mode_for(self, rule: str, category: Category, severity: Severity = Severity.ERROR) -> Mode:
        """A per-rule mode wins; else the category's, except that an enforced category only warns for
        rules below error severity (they flag risk, not a broken isolation guarantee)."""
        if rule in self.rule_modes:
            return self.rule_modes[rule]
        mode = self.enforcement.get(category, Mode.ENFORCE)
        return Mode.WARN if mode is Mode.ENFORCE and severity is not Severity.ERROR else mode

    def waiver_for(self, rule: str, owners: Iterable[OwnerKey], now: datetime) -> Waiver | None:
        """The exception in force for this rule on an object with these owners; else the one that expired
        last (so the violation can say so); None when no exception matches."""
        matching = [e for e in self.exceptions if e.matches(rule, owners)]
        if not matching:
            return None
        live = [e for e in matching if e.active(now)]
        chosen = max(live or matching, key=lambda e: e.until)
        return chosen.waiver(now)

    def is_exempt(self, namespace: str | None) -> bool:
        return bool(namespace) and (namespace in self.exempt_namespaces or namespace == self.webhook_namespace)

    @property
    def all_mig_profiles(self) -> frozenset[str]:
        return frozenset().union(*(profiles for _, profiles in self.mig_profiles))

    def mig_profiles_for(self, product: str) -> frozenset[str] | None:
        for pattern, profiles in self.mig_profiles:
            if pattern.search(product):
                return profiles
        return None


DEFAULT_SETTINGS = Settings()


def parse_settings(raw: Mapping[str, Any] | None) -> Settings:
    """Validate a settings document (None or {} gives the defaults); raise SettingsError naming each field."""
    raw = raw or {}
    problems = validate(raw, SETTINGS_SCHEMA)
    if not problems:
        problems = _semantic_problems(raw)
    if problems:
        raise SettingsError(problems)
    d = DEFAULT_SETTINGS
    mtls = raw.get("mtls", {})
    dns = raw.get("clusterDns", {})
    enforcement = dict(d.enforcement)
    enforcement.update({Category(k): Mode(v) for k, v in raw.get("enforcement", {}).items()})
    return Settings(
        tenant_label=raw.get("tenantLabel", d.tenant_label),
        managed_label=raw.get("managedLabel", d.managed_label),
        exempt_namespaces=frozenset(raw.get("exemptNamespaces", d.exempt_namespaces)),
        webhook_namespace=raw.get("webhookNamespace", d.webhook_namespace),
        gateway_namespaces=tuple(raw.get("gatewayNamespaces", d.gateway_namespaces)),
        enforcement=enforcement,
        rule_modes={k: Mode(v) for k, v in raw.get("ruleModes", {}).items()},
        exceptions=tuple(
            RuleException(
                rule=e["rule"],
                reason=e["reason"],
                until=_parse_until(e["until"]),
                namespace=e.get("namespace", "*"),
                kind=e.get("kind", "*"),
                name=e.get("name", "*"),
            )
            for e in raw.get("exceptions", ())
        ),
        mig_profiles=tuple((re.compile(m["product"]), frozenset(m["profiles"])) for m in raw["migProfiles"])
        if "migProfiles" in raw
        else d.mig_profiles,
        gpu_taint_key=raw.get("gpuTaintKey", d.gpu_taint_key),
        gpu_node_label_prefixes=tuple(raw.get("gpuNodeLabelPrefixes", d.gpu_node_label_prefixes)),
        mtls=MtlsSidecar(
            image=mtls.get("image", d.mtls.image),
            port=mtls.get("port", d.mtls.port),
            secret_name=mtls.get("secretName", d.mtls.secret_name),
            container_name=mtls.get("containerName", d.mtls.container_name),
        ),
        cluster_dns=ClusterDns(
            namespace=dns.get("namespace", d.cluster_dns.namespace),
            pod_labels=dict(dns.get("podLabels", d.cluster_dns.pod_labels)),
        ),
        model_args=tuple(raw.get("modelArgs", d.model_args)),
        model_volume_sources=tuple(
            ModelVolumeSource(driver=m["driver"], source=m["source"]) for m in raw["modelVolumeSources"]
        )
        if "modelVolumeSources" in raw
        else d.model_volume_sources,
        platform_users=frozenset(raw.get("platformUsers", d.platform_users)),
        platform_groups=frozenset(raw.get("platformGroups", d.platform_groups)),
        pod_security_version=parse_version(raw["podSecurityVersion"])
        if "podSecurityVersion" in raw
        else d.pod_security_version,
        network=_network(raw.get("network", {}), d.network),
        pricing=parse_pricing(raw["pricing"]) if "pricing" in raw else d.pricing,
    )


def _network(raw: Mapping[str, Any], d: NetworkSettings) -> NetworkSettings:
    return NetworkSettings(
        cluster_cidrs=tuple(raw.get("clusterCIDRs", d.cluster_cidrs)),
        pod_cidrs=tuple(raw.get("podCIDRs", d.pod_cidrs)),
        node_cidrs=tuple(raw.get("nodeCIDRs", d.node_cidrs)),
        gateway_ingress_classes=tuple(raw.get("gatewayIngressClasses", d.gateway_ingress_classes)),
    )


def settings_from_yaml(text: str, source: str) -> Settings:
    """A settings document as YAML text; SettingsError names `source` (the file) and each field."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise SettingsError([f"{source}: invalid YAML: {err}"]) from err
    if raw is not None and not isinstance(raw, dict):
        raise SettingsError([f"{source}: expected a mapping of settings, got {type(raw).__name__}"])
    try:
        return parse_settings(raw)
    except SettingsError as err:
        raise SettingsError([f"{source}: {p}" for p in err.problems]) from err


def _parse_until(text: str) -> datetime:
    """Naive UTC: a bare date means its midnight UTC, so the waiver ends as that day starts."""
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed


def _semantic_problems(raw: Mapping[str, Any]) -> list[str]:
    problems = []
    for i, e in enumerate(raw.get("exceptions", ())):
        try:
            _parse_until(e["until"])
        except ValueError:
            problems.append(f"exceptions[{i}].until: not an ISO date or timestamp: {e['until']!r}")
    for i, m in enumerate(raw.get("migProfiles", ())):
        try:
            re.compile(m["product"])
        except re.error as err:
            problems.append(f"migProfiles[{i}].product: not a regular expression ({err})")
    if "podSecurityVersion" in raw:
        try:
            parse_version(raw["podSecurityVersion"])
        except ValueError as err:
            problems.append(f"podSecurityVersion: {err}")
    for key in ("clusterCIDRs", "podCIDRs", "nodeCIDRs"):
        for i, cidr in enumerate(raw.get("network", {}).get(key, ())):
            try:
                ipaddress.ip_network(cidr, strict=False)
            except ValueError:
                problems.append(f"network.{key}[{i}]: not a CIDR: {cidr!r} (e.g. 10.244.0.0/16)")
    if "pricing" in raw:
        problems.extend(pricing_problems(raw["pricing"]))
    return problems
