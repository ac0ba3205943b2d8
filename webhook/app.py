"""The HTTP edge: FastAPI routes that guard the body, hand it to the handlers, and never crash.

Empty bodies, wrong content types and oversized bodies are refused before parsing; anything that is not
an AdmissionReview gets HTTP 400 with a JSON error; an unexpected exception becomes an errored response
that still carries the request's UID, and the server keeps serving.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Protocol

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import Response

from policies.engine import Policy
from webhook import handlers, responses
from webhook.metrics import Metrics
from webhook.review import AdmissionRequest, BadReview, parse, uid_of

log = logging.getLogger("tenantguard.webhook")

MAX_BODY = 3 * 1024 * 1024  # kube-apiserver objects are at most ~1.5 MiB; AdmissionReview carries two
JSON = "application/json"


class PolicySource(Protocol):
    def policy(self) -> Policy: ...

    def ready(self) -> tuple[bool, str]: ...


class _TooLarge(Exception):
    pass


async def _body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit():
        if int(declared) > limit:
            raise _TooLarge
        return await request.body()  # the server stops at Content-Length
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _json(status: int, body: bytes) -> Response:
    return Response(content=body, status_code=status, media_type=JSON)


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


def create_app(
    source: PolicySource,
    metrics: Metrics | None = None,
    *,
    tls_ready: Callable[[], bool] = lambda: True,
    max_body: int = MAX_BODY,
) -> FastAPI:
    metrics = metrics or Metrics()
    app = FastAPI(title="tenantguard admission webhook", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.metrics = metrics

    async def admit(
        request: Request, endpoint: str, handle: Callable[[AdmissionRequest, Policy], handlers.Decision]
    ) -> Response:
        started = time.perf_counter()
        content_type = request.headers.get("content-type", "").split(";")[0].strip()
        if content_type != JSON:
            metrics.bad_requests.labels("content-type").inc()
            return _json(415, responses.bad_request(f"content type must be {JSON}, got {content_type or 'none'}"))
        try:
            body = await _body(request, max_body)
        except _TooLarge:
            metrics.bad_requests.labels("too-large").inc()
            return _json(413, responses.bad_request(f"body larger than {max_body} bytes"))
        if not body:
            metrics.bad_requests.labels("empty").inc()
            return _json(400, responses.bad_request("empty body"))
        try:
            req = parse(body)
        except BadReview as err:
            metrics.bad_requests.labels("malformed").inc()
            return _json(400, responses.bad_request(str(err)))
        try:
            decision = handle(req, source.policy())
        except Exception:  # one bad request must never take the server down
            log.exception("handler failed", extra={"uid": req.uid, "kind": req.kind})
            metrics.bad_requests.labels("handler-error").inc()
            return _json(200, responses.errored(uid_of(body) or req.uid, "internal error while judging the request"))
        elapsed = time.perf_counter() - started
        metrics.record(endpoint, decision, elapsed)
        # Denials are worth a line each; allowed requests only at debug (thousands a second on a busy cluster).
        level = logging.INFO if decision.outcome == "denied" else logging.DEBUG
        if log.isEnabledFor(level):
            _log_decision(level, endpoint, req, decision, elapsed)
        return _json(200, decision.body)

    async def validate(request: Request) -> Response:
        return await admit(request, "validate", handlers.validate)

    async def mutate(request: Request) -> Response:
        return await admit(request, "mutate", handlers.mutate_request)

    # Plain Starlette routes on the hot path: FastAPI's dependency resolution has nothing to inject here.
    app.add_route("/validate", validate, methods=["POST"])
    app.add_route("/mutate", mutate, methods=["POST"])

    @app.get("/healthz")
    async def healthz() -> Response:
        return Response(content=b"ok", media_type="text/plain")

    @app.get("/readyz")
    async def readyz() -> Response:
        ok, reason = source.ready()
        if not tls_ready():
            ok, reason = False, "certificates not loaded"
        return _json(200 if ok else 503, orjson.dumps({"ready": ok, "reason": reason}))

    @app.get("/metrics")
    async def metrics_endpoint() -> Response:
        return Response(content=metrics.render(), media_type="text/plain; version=0.0.4")

    return app
