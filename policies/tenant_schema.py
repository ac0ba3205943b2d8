"""The Tenant CRD's OpenAPI v3 schema: the single source for the chart's CRD and for validation on load.

`charts/tenantguard/crds/tenants.tenantguard.io.yaml` is generated from `crd()` (a test fails when it is
stale), so kube-apiserver, the webhook's static mode and lint all reject the same malformed Tenant. The one CEL
rule (the keys of `gpu.maxDevices`) is checked on load by `policies.tenancy` with the same pattern.
"""

from __future__ import annotations

from typing import Any

GROUP = "tenantguard.io"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"

GPU_RESOURCE_PATTERN = r"^nvidia\.com/(gpu|mig-[0-9]+g\.[0-9]+gb(\.me)?)$"
_NAME = {"type": "string", "minLength": 1, "maxLength": 63, "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"}
_STRINGS = {"type": "array", "items": {"type": "string", "minLength": 1}, "x-kubernetes-list-type": "set"}
_SUBJECT = {
    "type": "object",
    "required": ["kind", "name"],
    "properties": {
        "kind": {"type": "string", "enum": ["User", "Group", "ServiceAccount"]},
        "name": {"type": "string", "minLength": 1},
        "namespace": {"type": "string"},
    },
}

SPEC_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["namespaces"],
    "properties": {
        "namespaces": {
            "type": "array",
            "description": "Namespaces this tenant owns. A namespace belongs to at most one tenant.",
            "items": _NAME,
            "x-kubernetes-list-type": "set",
        },
        "owners": {
            "type": "array",
            "description": "RBAC subjects that administer the tenant.",
            "items": _SUBJECT,
        },
        "members": {
            "type": "array",
            "description": "RBAC subjects that work in the tenant (developers, CI). Bindable in its namespaces.",
            "items": _SUBJECT,
        },
        "podSecurity": {
            "type": "string",
            "enum": ["baseline", "restricted"],
            "default": "restricted",
            "description": "Pod Security Standards level enforced on the tenant's pods.",
        },
        "podSecurityDefaults": {
            "type": "boolean",
            "default": False,
            "description": "Mutate pods to secure defaults (seccomp RuntimeDefault, no privilege escalation, "
            "drop ALL capabilities, runAsNonRoot) before validation.",
        },
        "gpu": {
            "type": "object",
            "description": "GPU allowance. Absent: the tenant gets no GPUs. Caps are in GPU-equivalents: a full GPU "
            "counts 1 and a MIG slice <g>g.<mem>gb counts g/7 (the unit of the usage report's GPU-hours); "
            "maxDevices caps devices per resource.",
            "properties": {
                "maxPerPod": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "GPU-equivalents one pod may hold (full GPU = 1, MIG slice = g/7).",
                },
                "maxTotal": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "GPU-equivalents all of the tenant's pods may hold together, in every namespace "
                    "(full GPU = 1, MIG slice = g/7).",
                },
                "maxDevices": {
                    "type": "object",
                    "description": "Devices per resource across all of the tenant's pods, e.g. "
                    "{nvidia.com/gpu: 4, nvidia.com/mig-1g.10gb: 14}: what a ResourceQuota's "
                    "requests.<resource> counts. Resources not listed are capped by maxTotal only.",
                    "maxProperties": 64,
                    "additionalProperties": {"type": "integer", "minimum": 0},
                    "x-kubernetes-validations": [
                        {
                            "rule": f"self.all(k, k.matches(r'{GPU_RESOURCE_PATTERN}'))",
                            "message": "keys are GPU resources: nvidia.com/gpu or nvidia.com/mig-<g>g.<mem>gb[.me]",
                        }
                    ],
                },
                "allowedResources": {
                    "type": "array",
                    "items": {"type": "string", "pattern": GPU_RESOURCE_PATTERN},
                    "x-kubernetes-list-type": "set",
                },
            },
        },
        "network": {
            "type": "object",
            "properties": {
                "allowIngressFrom": {
                    **_STRINGS,
                    "description": "Platform namespaces that may reach tenant pods.",
                },
                "allowEgressCIDRs": {
                    **_STRINGS,
                    "description": "CIDRs tenant pods may reach besides the tenant.",
                },
            },
        },
        "mtls": {
            "type": "object",
            "properties": {"mode": {"type": "string", "enum": ["native", "istio", "none"], "default": "native"}},
        },
        "models": {
            "type": "object",
            "properties": {
                "allowedSources": {
                    **_STRINGS,
                    "description": "Prefixes of model URIs. Absent: no restriction.",
                }
            },
        },
        "registries": {**_STRINGS, "description": "Image prefixes. Absent: no restriction."},
    },
}

TENANT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"type": "string", "enum": [API_VERSION]},
        "kind": {"type": "string", "enum": ["Tenant"]},
        "metadata": {
            "type": "object",
            "required": ["name"],
            "x-kubernetes-preserve-unknown-fields": True,
            "properties": {"name": _NAME},
        },
        "spec": SPEC_SCHEMA,
        "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
    },
}


def crd() -> dict[str, Any]:
    """The CustomResourceDefinition object for tenants.tenantguard.io."""
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"tenants.{GROUP}"},
        "spec": {
            "group": GROUP,
            "scope": "Cluster",
            "names": {
                "kind": "Tenant",
                "listKind": "TenantList",
                "plural": "tenants",
                "singular": "tenant",
                "shortNames": ["tnt"],
            },
            "versions": [
                {
                    "name": VERSION,
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": [
                        {"name": "Namespaces", "type": "string", "jsonPath": ".spec.namespaces"},
                        {"name": "PodSecurity", "type": "string", "jsonPath": ".spec.podSecurity"},
                        {"name": "mTLS", "type": "string", "jsonPath": ".spec.mtls.mode"},
                        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
                    ],
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "required": ["spec"],
                            "properties": {
                                "apiVersion": {"type": "string"},
                                "kind": {"type": "string"},
                                "metadata": {"type": "object"},
                                "spec": SPEC_SCHEMA,
                                "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                            },
                        }
                    },
                }
            ],
        },
    }
