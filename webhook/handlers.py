"""handle(request) → response for /validate and /mutate: adapt the request, ask the engine, render.

Every evaluation is rendered three ways, as Pod Security Admission does: a Forbidden status for
`enforce` violations, warnings for `warn`, audit annotations for `audit`.
"""

from __future__ import annotations

from dataclasses import dataclass

from tenantguard.policies.cluster import ClusterState
from tenantguard.policies.engine import Evaluation, evaluate, mutate
from tenantguard.policies.model import Mode, Violation
from tenantguard.policies.scaling import SCALE_SUBRESOURCE
from tenantguard.webhook import responses, warnings
from tenantguard.webhook.review import AdmissionRequest


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    body: bytes
    outcome: str  # allowed | denied | patched | skipped
    tenant: str | None = None
    violations: tuple[Violation, ...] = ()


def _audit(evaluation: Evaluation) -> dict[str, str]:
    """Audit-mode findings, and every waiver that applied (`<rule>-waived`: until when, and why)."""
    audit = {v.rule.lower(): f"{v.path}: {v.message}"[:256] for v in evaluation.violations if v.mode is Mode.AUDIT}
    for v in evaluation.waived:
        if v.waiver is not None:
            audit[f"{v.rule.lower()}-waived"] = f"until {v.waiver.until_text}: {v.waiver.reason}"[:256]
    return audit


def render(uid: str, evaluation: Evaluation) -> Decision:
    waived = {warnings.for_waiver(v) for v in evaluation.waived}  # one per rule is enough for the developer
    notes = [warnings.for_violation(v) for v in evaluation.warnings] + sorted(waived)
    warns = warnings.bounded(notes)
    audit = _audit(evaluation)
    if evaluation.allowed:
        body = responses.allowed(uid, warnings=warns, audit=audit)
        return Decision(body=body, outcome="allowed", tenant=evaluation.tenant, violations=evaluation.violations)
    denials = evaluation.denials
    header = f"tenantguard denied the request ({len(denials)} violation{'s' if len(denials) > 1 else ''}):\n"
    body = responses.denied(uid, header + evaluation.message(), warnings=warns, audit=audit)
    return Decision(body=body, outcome="denied", tenant=evaluation.tenant, violations=evaluation.violations)


def validate(req: AdmissionRequest, cluster: ClusterState) -> Decision:
    obj = req.subject
    if obj is None or req.operation == "CONNECT":
        return Decision(body=responses.allowed(req.uid), outcome="skipped")
    evaluation = evaluate(obj, cluster, req.request(), namespace=req.namespace or None)
    if evaluation.skipped:
        return Decision(body=responses.allowed(req.uid), outcome="skipped", tenant=evaluation.tenant)
    return render(req.uid, evaluation)


def mutate_request(req: AdmissionRequest, cluster: ClusterState) -> Decision:
    obj = req.object
    # A Scale is never patched: its replicas are judged by /validate, and a patch would address the Scale.
    if obj is None or req.operation not in ("CREATE", "UPDATE") or req.sub_resource == SCALE_SUBRESOURCE:
        return Decision(body=responses.allowed(req.uid), outcome="skipped")
    mutation = mutate(obj, cluster, req.request(), namespace=req.namespace or None)
    if not mutation.patches:
        return Decision(body=responses.allowed(req.uid), outcome="allowed")
    return Decision(body=responses.allowed(req.uid, patch=mutation.patches), outcome="patched")
