"""The Tenant CRD's OpenAPI v3 schema: the single source for the chart's CRD and for validation on load.

`charts/tenantguard/crds/tenants.tenantguard.io.yaml` is generated from `crd()` (a test fails when it is
stale), so kube-apiserver, the webhook's static mode and lint all reject the same malformed Tenant. The one CEL
rule (the keys of `gpu.maxDevices`) is checked on load by `policies.tenancy` with the same pattern.
"""

from __future__ import annotations

from typing import Any

from tenantguard.policies.hostnames import MAX_LENGTH, PATTERN
from tenantguard.policies.podsecurity import VERSION_PATTERN

GROUP = "tenantguard.io"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"

# Keys the generated reference (docs/tenants.md) reads and the CRD leaves out: the unit of a number, and what
# an absent field means where the schema gives no `default`.
UNIT = "x-tenantguard-unit"
ABSENT = "x-tenantguard-absent"

GPU_RESOURCE_PATTERN = r"^nvidia\.com/(gpu|mig-[0-9]+g\.[0-9]+gb(\.me)?)$"
MIG_PROFILE_PATTERN = r"^[1-9][0-9]*g\.[0-9]+gb([+-][a-z]+(\.[a-z]+)*)?$"
_NAME = {"type": "string", "minLength": 1, "maxLength": 63, "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"}
_STRINGS = {"type": "array", "items": {"type": "string", "minLength": 1}, "x-kubernetes-list-type": "set"}
# A DeviceClass name: a DNS subdomain (metadata.name of a cluster-scoped object).
_CLASS_NAME = {
    "type": "string",
    "minLength": 1,
    "maxLength": 253,
    "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
}
_HOSTNAME = {"type": "string", "minLength": 1, "maxLength": MAX_LENGTH, "pattern": PATTERN}
_SUBJECT = {
    "type": "object",
    "required": ["kind", "name"],
    "properties": {
        "kind": {"type": "string", "enum": ["User", "Group", "ServiceAccount"], "description": "RBAC subject kind."},
        "name": {"type": "string", "minLength": 1, "description": "User, group or ServiceAccount name."},
        "namespace": {
            "type": "string",
            "description": "A ServiceAccount's namespace, for the reader: owners and members match by kind and name.",
        },
    },
}

SPEC_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["namespaces"],
    "properties": {
        "namespaces": {
            "type": "array",
            "description": "Namespaces this tenant owns. A namespace belongs to at most one tenant. Listing one "
            "does not create it: the platform does.",
            "items": _NAME,
            "x-kubernetes-list-type": "set",
        },
        "owners": {
            "type": "array",
            "description": "RBAC subjects that administer the tenant.",
            "items": _SUBJECT,
            ABSENT: "none",
        },
        "members": {
            "type": "array",
            "description": "RBAC subjects that work in the tenant (developers, CI). Bindable in its namespaces.",
            "items": _SUBJECT,
            ABSENT: "none: only owners and the namespaces' ServiceAccounts are bindable",
        },
        "podSecurity": {
            "type": "string",
            "enum": ["baseline", "restricted"],
            "default": "restricted",
            "description": "Pod Security Standards level enforced on the tenant's pods.",
        },
        "podSecurityVersion": {
            "type": "string",
            "pattern": VERSION_PATTERN,
            "description": "Kubernetes version of the Pod Security checks, like PSA's enforce-version: "
            '"latest" or "v1.N" (a version newer than the checks know behaves as latest).',
            ABSENT: "the settings' podSecurityVersion (default latest)",
        },
        "podSecurityDefaults": {
            "type": "boolean",
            "default": False,
            "description": "Mutate pods to secure defaults (seccomp RuntimeDefault, no privilege escalation, "
            "drop ALL capabilities, runAsNonRoot) before validation.",
        },
        "gpu": {
            "type": "object",
            "description": "GPU allowance, by extended resources (allowedResources) and by DRA DeviceClasses "
            "(deviceClasses). Caps are in GPU-equivalents: a full GPU counts 1 and a MIG slice <g>g.<mem>gb counts g/7 "
            "(the unit of the usage report's GPU-hours), whichever way a pod gets it; maxDevices caps devices per "
            "resource, deviceClasses[].maxDevices per DeviceClass.",
            ABSENT: "no GPUs: any GPU or MIG request is denied",
            "properties": {
                "maxPerPod": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "GPU-equivalents one pod may hold (full GPU = 1, MIG slice = g/7), extended "
                    "resources and the devices of its ResourceClaims together.",
                    UNIT: "GPU-equivalents: a full GPU counts 1, a MIG slice <g>g.<mem>gb counts g/7",
                    ABSENT: "0",
                },
                "maxTotal": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "GPU-equivalents all of the tenant's pods may hold together, in every namespace "
                    "(full GPU = 1, MIG slice = g/7; replicas times per pod for a workload; every ResourceClaim once).",
                    UNIT: "GPU-equivalents: a full GPU counts 1, a MIG slice <g>g.<mem>gb counts g/7",
                    ABSENT: "0",
                },
                "maxDevices": {
                    "type": "object",
                    "description": "Devices per resource across all of the tenant's pods, e.g. "
                    "{nvidia.com/gpu: 4, nvidia.com/mig-1g.10gb: 14}: what a ResourceQuota's "
                    "requests.<resource> counts.",
                    UNIT: "devices of that resource (a MIG slice counts 1 here)",
                    ABSENT: "no per-resource cap: maxTotal only",
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
                    "description": "Extended resource names the tenant's pods may request.",
                    "items": {"type": "string", "pattern": GPU_RESOURCE_PATTERN},
                    "x-kubernetes-list-type": "set",
                    ABSENT: "none",
                },
                "deviceClasses": {
                    "type": "array",
                    "description": "DRA DeviceClasses (resource.k8s.io) the tenant's ResourceClaims and "
                    "ResourceClaimTemplates may request devices of. Their devices count in maxPerPod and maxTotal "
                    "with the extended resources: a device weighs 1, a MIG device whose selectors pin its profile g/7.",
                    ABSENT: "none: every DRA device request is denied",
                    "maxItems": 32,
                    "x-kubernetes-list-type": "map",
                    "x-kubernetes-list-map-keys": ["name"],
                    "items": {
                        "type": "object",
                        "required": ["name"],
                        "properties": {
                            "name": {**_CLASS_NAME, "description": "The DeviceClass's name."},
                            "maxDevices": {
                                "type": "integer",
                                "minimum": 0,
                                "description": "Devices of this class across all of the tenant's claims: what a "
                                "ResourceQuota's <name>.deviceclass.resource.k8s.io/devices counts.",
                                UNIT: "devices of this class (All counts 32, firstAvailable its largest alternative)",
                                ABSENT: "no per-class cap: maxTotal only",
                            },
                            "migProfiles": {
                                **_STRINGS,
                                "items": {"type": "string", "pattern": MIG_PROFILE_PATTERN},
                                "description": "MIG profiles a request of this class may pin, with a CEL selector "
                                'on device.attributes["gpu.nvidia.com"].profile (or the class\'s own selectors).',
                                ABSENT: "any profile",
                            },
                            "productNames": {
                                **_STRINGS,
                                "description": "GPU products (the DRA driver's productName, e.g. "
                                '"NVIDIA H100 80GB HBM3") a request of this class may pin, the same way.',
                                ABSENT: "any product",
                            },
                        },
                    },
                },
            },
        },
        "network": {
            "type": "object",
            "description": "What the tenant's NetworkPolicies may open besides the tenant itself.",
            ABSENT: "ingress only from the settings' gatewayNamespaces; no egress beyond the tenant and DNS",
            "properties": {
                "allowIngressFrom": {
                    **_STRINGS,
                    "description": "Platform namespaces that may reach tenant pods, besides the settings' "
                    "gatewayNamespaces.",
                    ABSENT: "only the settings' gatewayNamespaces",
                },
                "allowEgressCIDRs": {
                    **_STRINGS,
                    "description": "CIDRs tenant pods may reach besides the tenant (e.g. model storage).",
                    ABSENT: "none: ipBlock peers are denied",
                },
            },
        },
        "mtls": {
            "type": "object",
            "description": "How the tenant's serving pods speak mTLS.",
            ABSENT: "mode `native`",
            "properties": {
                "mode": {
                    "type": "string",
                    "enum": ["native", "istio", "none"],
                    "default": "native",
                    "description": "native: the webhook injects a TLS sidecar; istio: the mesh injection label "
                    "(see Istio mode below); none: no mTLS.",
                }
            },
        },
        "models": {
            "type": "object",
            "description": "Where the tenant's model servers may load weights from.",
            ABSENT: "no restriction",
            "properties": {
                "allowedSources": {
                    **_STRINGS,
                    "description": "Prefixes of model URIs (InferenceService storageUri, model volumes, --model "
                    "arguments): `s3://bucket/`, `pvc://`, `hf://meta-llama/` for Hugging Face model IDs.",
                    ABSENT: "no restriction",
                }
            },
        },
        "registries": {
            **_STRINGS,
            "description": "Image prefixes the tenant's containers may use (registry and path).",
            ABSENT: "no restriction",
        },
        "allowedHostnames": {
            "type": "array",
            "description": "Hostnames the tenant's Ingresses and Gateway API routes may claim: exact names and "
            "`*.suffix` wildcards (every name below the suffix). No two Tenants may list overlapping names.",
            ABSENT: "any hostname that no other Tenant lists",
            "items": _HOSTNAME,
            "x-kubernetes-list-type": "set",
        },
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


_TIME = {"type": "string", "format": "date-time"}
_COUNT = {"type": "integer", "minimum": 0}
_CONDITION = {
    "type": "object",
    "required": ["type", "status", "reason", "message", "lastTransitionTime"],
    "properties": {
        "type": {"type": "string", "description": "Ready or Degraded."},
        "status": {"type": "string", "enum": ["True", "False", "Unknown"]},
        "reason": {"type": "string", "description": "CamelCase reason, e.g. Reconciled, NamespaceMissing."},
        "message": {"type": "string"},
        "lastTransitionTime": _TIME,
        "observedGeneration": {"type": "integer", "format": "int64", "minimum": 0},
    },
}
# Written by the reconciler through the status subresource (policies/generated/status.py; docs/controller.md).
STATUS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "observedGeneration": {"type": "integer", "format": "int64", "minimum": 0},
        "namespaces": {
            "type": "object",
            "properties": {
                "ready": _COUNT,
                "total": _COUNT,
                "summary": {"type": "string", "description": "ready/total"},
                "notReady": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "name": {"type": "string"},
                            "reason": {"type": "string"},
                            "message": {"type": "string"},
                        },
                    },
                },
            },
        },
        "gpu": {
            "type": "object",
            "properties": {
                "used": {"type": "string", "description": "GPU-equivalents held by the tenant's running pods."},
                "max": _COUNT,
                "summary": {"type": "string", "description": "used/maxTotal in GPU-equivalents"},
                "devices": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"resource": {"type": "string"}, "used": _COUNT, "cap": _COUNT},
                    },
                },
            },
        },
        "mtls": {
            "type": "object",
            "properties": {"mode": {"type": "string"}, "caNotAfter": _TIME, "certificateNotAfter": _TIME},
        },
        "conditions": {
            "type": "array",
            "items": _CONDITION,
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["type"],
        },
    },
}
PRINTER_COLUMNS: list[dict[str, Any]] = [
    {"name": "Ready", "type": "string", "jsonPath": '.status.conditions[?(@.type=="Ready")].status'},
    {"name": "Namespaces", "type": "string", "jsonPath": ".status.namespaces.summary"},
    {"name": "GPUs", "type": "string", "jsonPath": ".status.gpu.summary", "description": "GPU-equivalents used/max"},
    {"name": "mTLS", "type": "string", "jsonPath": ".status.mtls.mode"},
    {"name": "PodSecurity", "type": "string", "jsonPath": ".spec.podSecurity"},
    {"name": "Degraded", "type": "string", "priority": 1,
     "jsonPath": '.status.conditions[?(@.type=="Degraded")].reason'},
    {"name": "Listed", "type": "string", "priority": 1, "jsonPath": ".spec.namespaces"},
    {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
]  # fmt: skip


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
                    "additionalPrinterColumns": PRINTER_COLUMNS,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "required": ["spec"],
                            "properties": {
                                "apiVersion": {"type": "string"},
                                "kind": {"type": "string"},
                                "metadata": {"type": "object"},
                                "spec": without_doc_keys(SPEC_SCHEMA),
                                "status": STATUS_SCHEMA,
                            },
                        }
                    },
                }
            ],
        },
    }


def without_doc_keys(schema: Any) -> Any:
    """The schema without the keys only the generated reference reads (kube-apiserver would refuse them)."""
    if isinstance(schema, dict):
        return {k: without_doc_keys(v) for k, v in schema.items() if k not in (UNIT, ABSENT)}
    if isinstance(schema, list):
        return [without_doc_keys(v) for v in schema]
    return schema
