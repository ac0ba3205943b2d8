"""What a request refers to besides its own object, read from the API server while the request waits.

- A `scale` subresource request (`kubectl scale`, an autoscaler) carries an `autoscaling/v1` Scale, not the
  workload. The workload is read and the request becomes an UPDATE of it with the Scale's replicas
  (`policies.scaling.with_replicas`), which the rules that judge replica counts (GPU006, GPU011) decide. A
  workload that cannot be read fails the request closed, as an errored response, never as a policy denial.
- A HorizontalPodAutoscaler write: its target is read and handed to the rules as `Request.related`. A target that
  does not exist (yet) or cannot be read is left out, and GPU014 says the bound could not be judged.

The adapter does the I/O, the rules stay pure. Static mode reads nothing (it knows no cluster): a scale request
is admitted there with a warning that it was not judged, and autoscalers get GPU014's warning.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any, Protocol, runtime_checkable

from tenantguard.policies.scaling import (
    BY_RESOURCE,
    HPA_KIND,
    SCALE_SUBRESOURCE,
    ScaleKind,
    hpa_target,
    scale_replicas,
    with_replicas,
)
from tenantguard.webhook.review import AdmissionRequest

log = logging.getLogger("tenantguard.webhook")


class ReadError(Exception):
    """The API server could not answer (unreachable, forbidden, timed out); the message says which."""


class Unjudgeable(Exception):
    """A request the rules must judge but whose object could not be read: it fails closed."""


class NotRead(Exception):
    """Static mode: nothing can be read, so the request is admitted with this warning."""


@runtime_checkable
class ObjectReader(Protocol):
    def read_object(self, path: str) -> dict[str, Any] | None:
        """The object at an API path; None when it does not exist, ReadError when the server cannot say."""
        ...


def object_path(kind: ScaleKind, version: str, namespace: str, name: str) -> str:
    group = f"/apis/{kind.group}" if kind.group else "/api"  # the core group (ReplicationController)
    return f"{group}/{version}/namespaces/{namespace}/{kind.plural}/{name}"


def needs_reading(req: AdmissionRequest) -> bool:
    if req.sub_resource == SCALE_SUBRESOURCE:
        return (req.resource_group, req.resource) in BY_RESOURCE and req.operation == "UPDATE"
    return req.kind == HPA_KIND and req.operation in ("CREATE", "UPDATE") and req.object is not None


def expand(req: AdmissionRequest, reader: ObjectReader | None) -> AdmissionRequest:
    """The request with what it refers to read in; Unjudgeable for a scale request whose workload cannot be read,
    NotRead when there is no API server to read from."""
    if req.sub_resource == SCALE_SUBRESOURCE:
        return _scale(req, reader)
    if req.kind == HPA_KIND and req.object is not None and reader is not None:
        return _autoscaler(req, reader)
    return req


def _scale(req: AdmissionRequest, reader: ObjectReader | None) -> AdmissionRequest:
    kind = BY_RESOURCE.get((req.resource_group, req.resource))
    if kind is None or req.operation != "UPDATE":
        return req  # not a kind whose replicas the rules judge
    what = f"{req.resource}/scale {req.namespace}/{req.name}"
    replicas = scale_replicas(req.object or {})
    if replicas is None:
        raise Unjudgeable(f"{what}: the Scale has no whole spec.replicas")
    if reader is None:
        raise NotRead(f"{what} not judged: static mode cannot read the {kind.kind}")
    try:
        stored = reader.read_object(object_path(kind, req.resource_version, req.namespace, req.name))
    except ReadError as err:
        raise Unjudgeable(f"{what}: cannot read the {kind.kind}: {err}") from err
    if stored is None:
        raise Unjudgeable(f"{what}: the {kind.kind} does not exist")
    return dataclasses.replace(
        req,
        kind=kind.kind,
        group=kind.group,
        object=with_replicas(stored, replicas),
        old_object=stored,
    )


def _autoscaler(req: AdmissionRequest, reader: ObjectReader) -> AdmissionRequest:
    ref = hpa_target(req.object or {})
    kind = ref.scale_kind if ref is not None else None
    if ref is None or kind is None:
        return req
    version = ref.api_version.rpartition("/")[2]
    try:
        target = reader.read_object(object_path(kind, version, req.namespace, ref.name))
    except ReadError as err:
        log.warning("cannot read an autoscaler's target", extra={"fields": {"uid": req.uid, "error": str(err)}})
        return req
    if target is None:
        return req
    return dataclasses.replace(req, related={(ref.kind, req.namespace, ref.name): target})
