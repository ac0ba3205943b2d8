"""AdmissionReview responses: allowed, denied, patched, with warnings; and errored (HTTP-level) bodies.

An errored response means the webhook request itself was bad or the webhook failed; it is never worded
like a policy denial. Warnings arrive already fitted to kube-apiserver's limits (`webhook.warnings`).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from tenantguard.webhook.review import API_VERSION


def _review(response: dict[str, Any]) -> bytes:
    return orjson.dumps({"apiVersion": API_VERSION, "kind": "AdmissionReview", "response": response})


def allowed(
    uid: str,
    *,
    warnings: Sequence[str] = (),
    patch: Sequence[Mapping[str, Any]] = (),
    audit: Mapping[str, str] | None = None,
) -> bytes:
    response: dict[str, Any] = {"uid": uid, "allowed": True}
    if warnings:
        response["warnings"] = list(warnings)
    if patch:
        response["patchType"] = "JSONPatch"
        response["patch"] = base64.b64encode(orjson.dumps(list(patch))).decode()
    if audit:
        response["auditAnnotations"] = dict(audit)
    return _review(response)


def denied(
    uid: str,
    message: str,
    *,
    warnings: Sequence[str] = (),
    audit: Mapping[str, str] | None = None,
    code: int = 403,
) -> bytes:
    response: dict[str, Any] = {
        "uid": uid,
        "allowed": False,
        "status": {"code": code, "reason": "Forbidden", "message": message},
    }
    if warnings:
        response["warnings"] = list(warnings)
    if audit:
        response["auditAnnotations"] = dict(audit)
    return _review(response)


def errored(uid: str, message: str, code: int = 500) -> bytes:
    """The webhook failed on this request: kube-apiserver applies the failurePolicy."""
    return _review(
        {
            "uid": uid,
            "allowed": False,
            "status": {"code": code, "reason": "InternalError", "message": f"tenantguard webhook: {message}"},
        }
    )


def bad_request(message: str) -> bytes:
    return orjson.dumps({"error": message})
