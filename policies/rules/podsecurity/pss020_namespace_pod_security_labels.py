"""PSS020 namespace-pod-security-labels — tenant namespaces carry Pod Security labels as strict as their Tenant.

What it checks: a Namespace that a Tenant owns carries Kubernetes' Pod Security Admission labels
- `pod-security.kubernetes.io/enforce`: the Tenant's `podSecurity` or a stricter level (`restricted` is
  stricter than `baseline`, which is stricter than `privileged`);
- `pod-security.kubernetes.io/enforce-version`: the Tenant's `podSecurityVersion` (or the settings'), so
  that PSA and these rules judge by the same version. Versions are not ordered by strictness (v1.35 relaxed
  user-namespace pods, v1.34 added host probes), so the version must match, not merely be newer.
The mode follows the settings' `enforcement` for pod-security: in `warn` or `audit` it is the
`pod-security.kubernetes.io/warn` (`audit`) label and its version that count, so that PSA never denies what
tenantguard only warns about.

Why it matters: kube-apiserver's built-in Pod Security Admission is the second line of defence. When a
request does not reach the webhook (its configurations deleted or narrowed, a selector that misses), PSA
still refuses a privileged pod in a tenant namespace — unless the namespace's labels were weakened.

Mutation PSS020-M (Namespaces of a Tenant, on create and update): adds the labels when missing; on an
update it also brings up to date a label the request leaves as stored (the Tenant became stricter, or the
Tenant claimed a namespace created before it). It never lowers a stricter level an admin set, and a weaker
value that the request itself writes is left for this rule to deny. A namespace covered by an exception for
PSS020 is left alone. Mutating webhooks only see writes: namespaces that existed before their Tenant keep
their labels until their next write (the audit reports them; keeping them current is the reconciler's job).

Fix: remove the labels (the webhook sets them) or set them to the Tenant's level (or stricter) and version.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from tenantguard.policies.context import Context
from tenantguard.policies.model import Category, Finding, Mode, Patch, Severity
from tenantguard.policies.ownership import owners
from tenantguard.policies.paths import dotted, pointer
from tenantguard.policies.podsecurity import Level, LevelVersion, policy_for
from tenantguard.policies.request import Operation
from tenantguard.policies.rule import Example, Mutator, Rule
from tenantguard.policies.rules.podsecurity.examples import BASELINE_TENANT, pinned
from tenantguard.policies.subjects import Subject

ID = "PSS020"
PREFIX = "pod-security.kubernetes.io/"
_LEVELS = frozenset(level.value for level in Level)


def labels_for(policy: LevelVersion, mode: Mode) -> dict[str, str]:
    """The PSA labels that make kube-apiserver judge like `policy` in `mode`."""
    return {f"{PREFIX}{mode}": str(policy.level), f"{PREFIX}{mode}-version": str(policy.version)}


def _wanted(subject: Subject, ctx: Context) -> tuple[LevelVersion, dict[str, str]] | None:
    """The tenant's policy and the labels it wants; None for anything but a tenant's Namespace."""
    policy = policy_for(ctx.tenant, ctx.settings)
    if policy is None or subject.kind != "Namespace":
        return None
    return policy, labels_for(policy, ctx.settings.enforcement.get(Category.POD_SECURITY, Mode.ENFORCE))


def _satisfied(key: str, have: object, want: str, policy: LevelVersion) -> bool:
    if key.endswith("-version"):
        return have == want
    return isinstance(have, str) and have in _LEVELS and Level(have).includes(policy.level)


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    wanted = _wanted(subject, ctx)
    if wanted is None:
        return
    policy, labels = wanted
    tenant = ctx.tenant.name if ctx.tenant else ""
    for key, want in labels.items():
        have = subject.labels.get(key)
        if _satisfied(key, have, want, policy):
            continue
        problem = f"{key} is missing" if have is None else f'{key} is "{have}"'
        needs = f'"{want}"' if key.endswith("-version") else f'"{want}" or stricter'
        yield Finding(path=dotted(("metadata", "labels", key)), message=f'{problem}; tenant "{tenant}" needs {needs}')


def _labels(obj: Mapping[str, Any] | None) -> Mapping[str, Any]:
    meta = obj.get("metadata") if obj else None
    labels = meta.get("labels") if isinstance(meta, dict) else None
    return labels if isinstance(labels, dict) else {}


def _waived(subject: Subject, ctx: Context) -> bool:
    """An exception in force for PSS020 on this Namespace leaves its labels to the platform."""
    waiver = ctx.settings.waiver_for(ID, owners(subject.obj, subject.namespace), ctx.now)
    return waiver is not None and not waiver.expired


def mutate(subject: Subject, ctx: Context) -> list[Patch]:
    wanted = _wanted(subject, ctx)
    if wanted is None or _waived(subject, ctx):
        return []
    policy, labels = wanted
    stored = _labels(ctx.old) if ctx.operation is Operation.UPDATE else {}
    have = subject.labels
    # Missing, or stale: as stored, untouched by this request (a weaker value the request writes is denied).
    add = {
        k: v
        for k, v in labels.items()
        if not _satisfied(k, have.get(k), v, policy) and (k not in have or stored.get(k) == have[k])
    }
    if not add:
        return []
    if not isinstance(subject.metadata.get("labels"), dict):
        return [{"op": "add", "path": "/metadata/labels", "value": add}]
    return [
        {"op": "replace" if k in have else "add", "path": pointer(("metadata", "labels", k)), "value": v}
        for k, v in add.items()
    ]


def _namespace(name: str = "acme-prod", tenant: str = "acme", **labels: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": {"tenantguard.io/tenant": tenant, **labels}},
    }


_ENFORCE, _VERSION = f"{PREFIX}enforce", f"{PREFIX}enforce-version"

RULE = Rule(
    id=ID,
    slug="namespace-pod-security-labels",
    title="Tenant namespaces carry Pod Security labels at least as strict as their Tenant",
    category=Category.POD_SECURITY,
    severity=Severity.ERROR,
    kinds=frozenset({"Namespace"}),
    fix="remove the pod-security.kubernetes.io labels (the webhook sets them) or set enforce to the Tenant's "
    "podSecurity (or stricter) and enforce-version to its podSecurityVersion",
    why="Built-in Pod Security Admission still refuses unsafe pods when the webhook is down or bypassed, "
    "but only at the level the namespace's labels ask for.",
    check=check,
    doc=__doc__ or "",
    allowed=(
        Example(object=_namespace(**{_ENFORCE: "restricted", _VERSION: "latest"})),
        Example(
            object=_namespace(**{_ENFORCE: "restricted", _VERSION: "v1.30"}),
            tenant=pinned("v1.30", BASELINE_TENANT),
            note="stricter than the tenant's baseline, at its pinned version",
        ),
    ),
    denied=(
        Example(object=_namespace(**{_ENFORCE: "baseline", _VERSION: "latest"})),
        Example(object=_namespace(**{_ENFORCE: "restricted", _VERSION: "v1.30"}), note="not the tenant's version"),
        Example(object=_namespace(), note="missing: the audit sees it; admission and lint add the labels first"),
    ),
)

MUTATOR = Mutator(
    id=f"{ID}-M",
    title="Add the Pod Security Admission labels of the Tenant's level and version to its namespaces",
    mutate=mutate,
    kinds=frozenset({"Namespace"}),
)
