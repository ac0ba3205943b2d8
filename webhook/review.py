"""The AdmissionReview wire format, parsed once at the edge into a typed request.

Only the envelope is checked; the object stays a plain dict (no model of the whole object is built).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from tenantguard.policies.ownership import OwnerKey
from tenantguard.policies.request import Operation, Origin, Request, Requester

API_VERSION = "admission.k8s.io/v1"
OPERATIONS = frozenset({"CREATE", "UPDATE", "DELETE", "CONNECT"})


class BadReview(ValueError):
    """The request is not a usable AdmissionReview: answered with HTTP 400, never as a policy decision."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AdmissionRequest:
    uid: str
    kind: str
    group: str
    resource: str
    resource_group: str
    resource_version: str
    sub_resource: str
    namespace: str
    name: str
    operation: str
    object: dict[str, Any] | None
    old_object: dict[str, Any] | None
    dry_run: bool
    requester: Requester
    related: Mapping[OwnerKey, dict[str, Any]] = field(default_factory=dict)  # read by webhook.related

    @property
    def subject(self) -> dict[str, Any] | None:
        """The object judged: the new one, or the old one for DELETE."""
        return self.old_object if self.operation == "DELETE" else self.object

    def request(self) -> Request:
        """The request facts the engine passes to rules."""
        return Request(
            operation=Operation(self.operation),
            origin=Origin.ADMISSION,
            requester=self.requester,
            old=self.old_object if self.operation == "UPDATE" else None,
            subresource=self.sub_resource,
            dry_run=self.dry_run,
            related=self.related,
        )


def parse(body: bytes) -> AdmissionRequest:
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as err:
        raise BadReview(f"body is not JSON: {err.msg} at position {err.pos}") from err
    if not isinstance(doc, dict):
        raise BadReview("body is not a JSON object")
    if doc.get("kind") != "AdmissionReview" or doc.get("apiVersion") != API_VERSION:
        raise BadReview(f"expected kind AdmissionReview, apiVersion {API_VERSION}")
    req = doc.get("request")
    if not isinstance(req, dict):
        raise BadReview("AdmissionReview has no request")
    uid = req.get("uid")
    if not isinstance(uid, str) or not uid:
        raise BadReview("request.uid is missing")
    operation = req.get("operation")
    if not isinstance(operation, str) or operation not in OPERATIONS:
        raise BadReview(f"request.operation must be one of {', '.join(sorted(OPERATIONS))}")
    kind = req.get("kind")
    resource = req.get("resource")
    if not isinstance(kind, dict) or not isinstance(kind.get("kind"), str):
        raise BadReview("request.kind is missing")
    obj, old = req.get("object"), req.get("oldObject")
    for name, value in (("object", obj), ("oldObject", old)):
        if value is not None and not isinstance(value, dict):
            raise BadReview(f"request.{name} must be an object")
    if operation in ("CREATE", "UPDATE") and obj is None:
        raise BadReview(f"request.object is required for {operation}")
    resource = resource if isinstance(resource, dict) else {}
    user = req.get("userInfo")
    user = user if isinstance(user, dict) else {}
    groups = user.get("groups")
    groups = groups if isinstance(groups, list) else []
    return AdmissionRequest(
        uid=uid,
        kind=kind["kind"],
        group=str(kind.get("group") or ""),
        resource=str(resource.get("resource") or ""),
        resource_group=str(resource.get("group") or ""),
        resource_version=str(resource.get("version") or ""),
        sub_resource=str(req.get("subResource") or ""),
        namespace=str(req.get("namespace") or ""),
        name=str(req.get("name") or ""),
        operation=operation,
        object=obj,
        old_object=old,
        dry_run=bool(req.get("dryRun")),
        requester=Requester(username=str(user.get("username") or ""), groups=tuple(str(g) for g in groups)),
    )


def uid_of(body: bytes) -> str:
    """Best effort, for errored responses to a request that could not be fully parsed."""
    try:
        doc = orjson.loads(body)
        uid = doc["request"]["uid"]
        return uid if isinstance(uid, str) else ""
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return ""
