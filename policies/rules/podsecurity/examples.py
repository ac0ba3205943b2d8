"""Small builders for the pod-security rules' allowed/denied examples (tenant `acme`, restricted, latest)."""

from __future__ import annotations

from typing import Any

from tenantguard.policies.model import Obj

BASELINE_TENANT: dict[str, Any] = {"podSecurity": "baseline"}


def pinned(version: str, tenant: dict[str, Any] | None = None) -> dict[str, Any]:
    """A tenant spec override pinning the Pod Security version (`podSecurityVersion`, PSA's enforce-version)."""
    return {**(tenant or {}), "podSecurityVersion": version}


_RESTRICTED_SC: dict[str, Any] = {
    "allowPrivilegeEscalation": False,
    "runAsNonRoot": True,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}


def restricted_container(name: str = "app", **security: Any) -> Obj:
    """A container that passes `restricted`; `security` overrides its securityContext (None removes a key)."""
    sc = {k: v for k, v in {**_RESTRICTED_SC, **security}.items() if v is not None}
    return {"name": name, "image": "registry.acme.example/app:1.0", "securityContext": sc}


def example_pod(*containers: Obj, **spec: Any) -> Obj:
    """A Pod in acme-prod; `spec` adds pod spec fields, except `annotations`, which go to the metadata."""
    annotations = spec.pop("annotations", None)
    meta: dict[str, Any] = {
        "name": "app",
        "namespace": "acme-prod",
        "labels": {"tenantguard.io/tenant": "acme"},
    }
    if annotations:
        meta["annotations"] = annotations
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": {"containers": list(containers) or [restricted_container()], **spec},
    }
