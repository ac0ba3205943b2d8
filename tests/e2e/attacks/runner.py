"""Run a case through kube-apiserver as alice, and judge its object with lint and with the audit.

kube-apiserver's answer is read the way a tenant reads it: exit code 0 is admitted (kubectl's `Warning:` lines
name the rules that warn); `denied the request` is tenantguard's denial and names its rules; `violates
PodSecurity` is Pod Security Admission refusing a Pod before the webhook is asked (the tenant namespaces carry
its labels, PSS020), with the reason and detail of the same pod-security rule, which is matched back to the rule
lint names; `is forbidden: User …` (or RBAC's escalation check) is the authorizer's refusal. Anything else fails
the case with kubectl's output.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tenantguard import manifests
from tenantguard.audit.lint import lint
from tenantguard.audit.scan import scan
from tenantguard.platform import cluster_from
from tenantguard.policies.engine import mutate
from tenantguard.policies.settings import Settings
from tests.e2e.attacks.case import Act, Case, Obj, Outcome
from tests.support.devcluster import DevCluster
from tests.support.webhook_runner import TENANTS

RULE = re.compile(r"\[([A-Z]+\d{3})\]")
_RBAC_REFUSAL = re.compile(r'is forbidden: [Uu]ser "[^"]+" (\(groups=.*?\) )?(cannot|is attempting to grant)')


@dataclass(frozen=True, slots=True, kw_only=True)
class Verdict:
    outcome: Outcome
    rules: frozenset[str] = frozenset()
    warns: frozenset[str] = frozenset()
    stored: Obj | None = None  # the object kube-apiserver would store (dry-run output), when admitted
    pod_security: str = ""  # Pod Security Admission's message, when it refused the Pod


def _resource(obj: Obj) -> str:
    group = str(obj.get("apiVersion", "")).rpartition("/")[0]
    return f"{obj['kind'].lower()}.{group}" if group else obj["kind"].lower()


def _target(obj: Obj) -> list[str]:
    meta = obj["metadata"]
    where = ["-n", meta["namespace"]] if meta.get("namespace") else []
    return [_resource(obj), meta["name"], *where]


def command(case: Case) -> tuple[list[str], str | None]:
    """kubectl's arguments and standard input for the case."""
    dry = ["--dry-run=server"] if case.dry_run else []
    obj = case.manifest
    if case.act in (Act.APPLY, Act.CREATE, Act.SERVER_SIDE):
        assert obj is not None
        verb = {
            Act.APPLY: ["apply"],
            Act.CREATE: ["create"],
            Act.SERVER_SIDE: ["apply", "--server-side", "--field-manager=alice"],
        }[case.act]
        out = ["-o", "json"] if case.dry_run else []
        return [*verb, *dry, *out, "-f", "-"], json.dumps(obj)
    if case.act is Act.PATCH:
        assert obj is not None
        sub = [f"--subresource={case.subresource}"] if case.subresource else []
        out = ["-o", "json"] if case.dry_run else []
        return ["patch", *_target(obj), f"--type={case.patch_type}", "-p", case.patch, *sub, *dry, *out], None
    if case.act is Act.DELETE:
        assert obj is not None
        return ["delete", *_target(obj), *dry], None
    if case.act is Act.DEBUG:
        return ["debug", *case.args], None
    return list(case.args), json.dumps(obj) if obj is not None else None


def _pod_security_rules(message: str, lint_denials: Iterator[tuple[str, str]]) -> frozenset[str]:
    """The pod-security rules whose `reason (detail)` Pod Security Admission's message carries."""
    return frozenset(rule for rule, text in lint_denials if rule.startswith("PSS") and text in message)


def through_apiserver(cluster: DevCluster, case: Case) -> Verdict:
    argv, stdin = command(case)
    proc = cluster.kubectl(*argv, input=stdin, user=True, check=False)
    warnings = " ".join(line for line in proc.stderr.splitlines() if line.startswith("Warning:"))
    errors = "\n".join(line for line in proc.stderr.splitlines() if not line.startswith("Warning:"))
    warns = frozenset(RULE.findall(warnings))
    if proc.returncode == 0:
        stored = None
        if case.dry_run and case.act in (Act.APPLY, Act.CREATE, Act.SERVER_SIDE, Act.PATCH) and proc.stdout.strip():
            stored = json.loads(proc.stdout)
        return Verdict(outcome=Outcome.ADMITTED, warns=warns, stored=stored)
    if "denied the request" in errors:
        return Verdict(outcome=Outcome.DENIED, rules=frozenset(RULE.findall(errors)), warns=warns)
    if "violates PodSecurity" in errors:
        return Verdict(outcome=Outcome.DENIED, warns=warns, pod_security=errors)
    if _RBAC_REFUSAL.search(errors):
        return Verdict(outcome=Outcome.FORBIDDEN, warns=warns)
    raise AssertionError(f"kubectl {' '.join(argv)} failed for another reason than a policy:\n{errors}")


# --- lint and the audit ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Judged:
    denied: frozenset[str]
    warned: frozenset[str]
    messages: tuple[tuple[str, str], ...] = ()  # (rule, message) of each denial


def _tenant_context() -> list[Obj]:
    return [m.obj for m in manifests.read([str(TENANTS)]) if isinstance(m, manifests.Manifest)]


def by_lint(obj: Obj, settings: Settings, work: Path) -> Judged:
    meta = obj["metadata"]
    path = work / f"{obj['kind']}-{meta.get('name') or meta['generateName']}.json"
    path.write_text(json.dumps(obj))
    report = lint([str(path)], tenant_paths=[str(TENANTS)], settings=settings)
    assert not report.errors and not report.not_judged, (report.errors, report.not_judged)
    return Judged(
        denied=frozenset(r.rule for r in report.results if r.mode == "enforce"),
        warned=frozenset(r.rule for r in report.results if r.mode == "warn"),
        messages=tuple((r.rule, r.message) for r in report.results if r.mode == "enforce"),
    )


class _One:
    """An audit source holding one object (Tenants and Namespaces come as the scan's context)."""

    judges_context = False

    def __init__(self, obj: Obj) -> None:
        self.obj = obj

    def context(self) -> Iterator[dict[str, Any]]:
        return iter(())

    def objects(self) -> Iterator[dict[str, Any]]:
        yield self.obj


def as_stored(obj: Obj, settings: Settings) -> Obj:
    """The object as admission's mutation would store it (for a denied object, which kube-apiserver never stores)."""
    found = [m for m in manifests.read([str(TENANTS)]) if isinstance(m, manifests.Manifest)]
    return mutate(obj, cluster_from(found, settings)).mutated


def by_audit(stored: Obj, settings: Settings) -> Judged:
    result = scan(_One(stored), settings, context=_tenant_context())
    return Judged(
        denied=frozenset(r.rule for r in result.results if r.mode == "enforce"),
        warned=frozenset(r.rule for r in result.results if r.mode == "warn"),
    )


def pod_security_rules(verdict: Verdict, linted: Judged | None, expected: frozenset[str]) -> frozenset[str]:
    """The pod-security rules Pod Security Admission's refusal names: by lint's exact `reason (detail)` where the
    object can be linted, else (a `kubectl debug`, which has no manifest) by each expected rule's PSA reason."""
    if linted is not None:
        return _pod_security_rules(verdict.pod_security, iter(linted.messages))
    return frozenset(r for r in expected if r.startswith("PSS") and _psa_reason(r) in verdict.pod_security)


def _psa_reason(rule: str) -> str:
    """PSA's short reason for a pod-security rule (`privileged`, `host namespaces`, …), read from its module."""
    from tenantguard.policies.registry import BY_ID

    module = sys.modules[BY_ID[rule].check.__module__]
    reason = getattr(module, "REASON", None)
    if reason is None:  # the checks that share a module for their reason
        reason = {"PSS009": "procMount", "PSS019": "procMount", "PSS010": "seccompProfile", "PSS017": "seccompProfile"}[
            rule
        ]
    return str(reason)
