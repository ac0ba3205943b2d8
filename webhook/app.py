"""The HTTP edge: guard the body, hand it to the handlers, never crash.

Empty bodies, wrong content types and oversized bodies are refused before parsing; anything that is not
an AdmissionReview gets HTTP 400 with a JSON error; an unexpected exception becomes an errored response
that still carries the request's UID, and the server keeps serving. Until the cluster view has synced, every
review gets HTTP 503: an empty cache knows no Tenant, and judging with it would admit everything. kube-apiserver
applies the failurePolicy to a 503 (Fail: refused), and a load balancer's health check on `/readyz` keeps
traffic away meanwhile.

`POST /validate` and `/mutate` are served by a bare ASGI path in front of FastAPI: kube-apiserver calls them
thousands of times a second and they need no routing, dependency injection or request objects (a third of
the per-request cost of a Starlette route). FastAPI serves the rest (/healthz, /readyz, /metrics).

The few requests that refer to another object (a `scale` request's workload, an autoscaler's target;
`webhook.related`) read it from the API server in a worker thread, so the event loop keeps serving the rest.
A denied write by a controller is handed to `webhook.denial_events` (a bounded queue, written by its own
thread), so the tenant sees it as an Event on her workload.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any, Protocol

import orjson
from fastapi import FastAPI
from fastapi.responses import Response

from tenantguard.policies.cluster import ClusterState
from tenantguard.webhook import handlers, related, responses
from tenantguard.webhook.denial_events import DenialEvents
from tenantguard.webhook.metrics import Metrics
from tenantguard.webhook.review import AdmissionRequest, BadReview, parse, uid_of

log = logging.getLogger("tenantguard.webhook")

MAX_BODY = 3 * 1024 * 1024  # kube-apiserver objects are at most ~1.5 MiB; AdmissionReview carries two
JSON = "application/json"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Handle = Callable[[AdmissionRequest, ClusterState], handlers.Decision]


class ClusterSource(Protocol):
    """Where the webhook's ClusterState comes from: the watch cache, or files in static mode."""

    def cluster(self) -> ClusterState: ...

    def counts(self) -> Mapping[str, int]: ...

    def ready(self) -> tuple[bool, str]: ...


class _TooLarge(Exception):
    pass


def _log_decision(
    level: int, endpoint: str, req: AdmissionRequest, decision: handlers.Decision, elapsed: float
) -> None:
    """Who asked for what and the verdict; never the object's contents."""
    fields = {
        "endpoint": endpoint,
        "uid": req.uid,
        "kind": req.kind,
        "namespace": req.namespace,
        "name": req.name,
        "operation": req.operation,
        "dryRun": req.dry_run,
        "user": req.requester.username,
        "tenant": decision.tenant,
        "outcome": decision.outcome,
        "rules": sorted({v.rule for v in decision.violations}),
        "ms": round(elapsed * 1000, 3),
    }
    log.log(level, "admission", extra={"fields": fields})


class Admission:
    """One AdmissionReview in, one HTTP status and JSON body out, in steps: read, relate (when the request refers
    to another object), decide. No framework involved."""

    def __init__(
        self, source: ClusterSource, metrics: Metrics, max_body: int, events: DenialEvents | None = None
    ) -> None:
        self.source, self.metrics, self.max_body, self.events = source, metrics, max_body, events
        self._synced = False  # latched: a synced cache stays synced (its watches resume or relist in place)

    def unready(self) -> tuple[int, bytes] | None:
        """HTTP 503 while the cluster view has not synced; None once it has."""
        if self._synced:
            return None
        ok, reason = self.source.ready()
        if not ok:
            return self.refuse(503, "not-ready", f"not ready to judge: {reason}")
        self._synced = True
        return None

    def refuse(self, status: int, reason: str, message: str) -> tuple[int, bytes]:
        self.metrics.bad_requests.labels(reason).inc()
        return status, responses.bad_request(message)

    def read(self, content_type: str, body: bytes) -> AdmissionRequest | tuple[int, bytes]:
        if content_type != JSON:
            return self.refuse(415, "content-type", f"content type must be {JSON}, got {content_type or 'none'}")
        if not body:
            return self.refuse(400, "empty", "empty body")
        try:
            return parse(body)
        except BadReview as err:
            return self.refuse(400, "malformed", str(err))

    def relate(self, req: AdmissionRequest) -> AdmissionRequest | tuple[int, bytes]:
        """Read what the request refers to (blocking I/O: call it off the event loop)."""
        reader = self.source if isinstance(self.source, related.ObjectReader) else None
        try:
            return related.expand(req, reader)
        except related.Unjudgeable as err:
            self.metrics.bad_requests.labels("unjudgeable").inc()
            log.warning("cannot judge", extra={"fields": {"uid": req.uid, "kind": req.kind, "error": str(err)}})
            return 200, responses.errored(req.uid, f"cannot judge {err}")
        except related.NotRead as err:
            return 200, responses.allowed(req.uid, warnings=[f"tenantguard: {err}"])

    def decide(
        self, endpoint: str, handle: Handle, req: AdmissionRequest, body: bytes, started: float
    ) -> tuple[int, bytes]:
        cluster = self.source.cluster()
        try:
            decision = handle(req, cluster)
        except Exception:  # one bad request must never take the server down
            log.exception("handler failed", extra={"fields": {"uid": req.uid, "kind": req.kind}})
            self.metrics.bad_requests.labels("handler-error").inc()
            return 200, responses.errored(uid_of(body) or req.uid, "internal error while judging the request")
        elapsed = time.perf_counter() - started
        self.metrics.record(endpoint, decision, elapsed)
        # Denials are worth a line each; allowed requests only at debug (thousands a second on a busy cluster).
        level = logging.INFO if decision.outcome == "denied" else logging.DEBUG
        if log.isEnabledFor(level):
            _log_decision(level, endpoint, req, decision, elapsed)
        if self.events is not None and decision.outcome == "denied":
            self.events.offer(req, decision, cluster.settings)  # queued for a worker thread; never blocks
        return 200, decision.body


# path -> (metrics label, handler name in webhook.handlers, looked up per call so tests can replace it)
_ENDPOINTS: dict[str, tuple[str, str]] = {
    "/validate": ("validate", "validate"),
    "/mutate": ("mutate", "mutate_request"),
}


async def _read_body(receive: Receive, declared: int | None, limit: int) -> bytes:
    if declared is not None and declared > limit:
        raise _TooLarge
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b""  # the client went away
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


class AdmissionApp:
    """ASGI: POST /validate and /mutate here, everything else to FastAPI."""

    def __init__(self, admission: Admission, fallback: FastAPI) -> None:
        self.admission, self.fallback = admission, fallback
        self.state = fallback.state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = _ENDPOINTS.get(scope.get("path", "")) if scope["type"] == "http" else None
        if endpoint is None or scope["method"] != "POST":
            await self.fallback(scope, receive, send)
            return
        started = time.perf_counter()
        headers = dict(scope["headers"])
        content_type = headers.get(b"content-type", b"").decode("latin-1").split(";")[0].strip()
        raw_length = headers.get(b"content-length", b"")
        declared = int(raw_length) if raw_length.isdigit() else None
        try:
            body = await _read_body(receive, declared, self.admission.max_body)
        except _TooLarge:
            status, payload = self.admission.refuse(
                413, "too-large", f"body larger than {self.admission.max_body} bytes"
            )
        else:
            handle: Handle = getattr(handlers, endpoint[1])
            status, payload = await self._answer(endpoint[0], handle, content_type, body, started)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", JSON.encode()), (b"content-length", str(len(payload)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": payload})

    async def _answer(
        self, endpoint: str, handle: Handle, content_type: str, body: bytes, started: float
    ) -> tuple[int, bytes]:
        admission = self.admission
        refused = admission.unready()
        if refused is not None:
            return refused
        req = admission.read(content_type, body)
        if not isinstance(req, AdmissionRequest):
            return req
        if endpoint == "validate" and related.needs_reading(req):
            expanded = await asyncio.to_thread(admission.relate, req)
            if not isinstance(expanded, AdmissionRequest):
                return expanded
            req = expanded
        return admission.decide(endpoint, handle, req, body, started)


def create_app(
    source: ClusterSource,
    metrics: Metrics | None = None,
    *,
    tls_ready: Callable[[], bool] = lambda: True,
    max_body: int = MAX_BODY,
    events: DenialEvents | None = None,
) -> AdmissionApp:
    metrics = metrics or Metrics()
    app = FastAPI(title="tenantguard admission webhook", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.metrics = metrics

    @app.get("/healthz")
    async def healthz() -> Response:
        return Response(content=b"ok", media_type="text/plain")

    @app.get("/readyz")
    async def readyz() -> Response:
        ok, reason = source.ready()
        if not tls_ready():
            ok, reason = False, "certificates not loaded"
        body = orjson.dumps({"ready": ok, "reason": reason})
        return Response(content=body, status_code=200 if ok else 503, media_type=JSON)

    @app.get("/metrics")
    async def metrics_endpoint() -> Response:
        return Response(content=metrics.render(), media_type="text/plain; version=0.0.4")

    return AdmissionApp(Admission(source, metrics, max_body, events), app)
