"""handle(request) → response for /validate and /mutate: adapt the request, ask the engine, render.

Every evaluation is rendered three ways, as Pod Security Admission does: a Forbidden status for
`enforce` violations, warnings for `warn`, audit annotations for `audit`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tenantguard.policies.cluster import ClusterState
from tenantguard.policies.engine import Evaluation, evaluate, mutate
from tenantguard.policies.model import Mode, Violation
from tenantguard.policies.scaling import BY_KIND, SCALE_SUBRESOURCE
from tenantguard.webhook import responses
from tenantguard.webhook.review import POD_SPEC_SUBRESOURCES, AdmissionRequest


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    body: bytes
    outcome: str  # allowed | denied | patched | skipped
    tenant: str | None = None
    violations: tuple[Violation, ...] = ()


def _judged(req: AdmissionRequest) -> bool:
    """Status and other subresources that cannot change a pod spec are not judged; a `scale` request is, once
    `webhook.related` has turned it into an update of a workload whose replicas the rules judge."""
    if req.sub_resource == SCALE_SUBRESOURCE:
        return req.kind in BY_KIND
    return not req.sub_resource or req.sub_resource in POD_SPEC_SUBRESOURCES


def _warning(v: Violation) -> str:
    return f"[{v.rule}] {v.path}: {v.message}" if v.path else f"[{v.rule}] {v.message}"


def _audit(violations: Sequence[Violation]) -> dict[str, str]:
    return {v.rule.lower(): f"{v.path}: {v.message}"[:256] for v in violations if v.mode is Mode.AUDIT}


def render(uid: str, evaluation: Evaluation) -> Decision:
    warnings = [_warning(v) for v in evaluation.warnings]
    audit = _audit(evaluation.violations)
    if evaluation.allowed:
        body = responses.allowed(uid, warnings=warnings, audit=audit)
        return Decision(body=body, outcome="allowed", tenant=evaluation.tenant, violations=evaluation.violations)
    denials = evaluation.denials
    header = f"tenantguard denied the request ({len(denials)} violation{'s' if len(denials) > 1 else ''}):\n"
    body = responses.denied(uid, header + evaluation.message(), warnings=warnings, audit=audit)
    return Decision(body=body, outcome="denied", tenant=evaluation.tenant, violations=evaluation.violations)


def validate(req: AdmissionRequest, cluster: ClusterState) -> Decision:
    obj = req.subject
    if obj is None or not _judged(req) or req.operation == "CONNECT":
        return Decision(body=responses.allowed(req.uid), outcome="skipped")
    evaluation = evaluate(obj, cluster, req.request(), namespace=req.namespace or None)
    if evaluation.skipped:
        return Decision(body=responses.allowed(req.uid), outcome="skipped", tenant=evaluation.tenant)
    return render(req.uid, evaluation)


def mutate_request(req: AdmissionRequest, cluster: ClusterState) -> Decision:
    obj = req.object
    # A Scale is never patched: its replicas are judged by /validate, and a patch would address the Scale.
    scale = req.sub_resource == SCALE_SUBRESOURCE
    if obj is None or req.operation not in ("CREATE", "UPDATE") or scale or not _judged(req):
        return Decision(body=responses.allowed(req.uid), outcome="skipped")
    mutation = mutate(obj, cluster, req.request(), namespace=req.namespace or None)
    if not mutation.patches:
        return Decision(body=responses.allowed(req.uid), outcome="allowed")
    return Decision(body=responses.allowed(req.uid, patch=mutation.patches), outcome="patched")
