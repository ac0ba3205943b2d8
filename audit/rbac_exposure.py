"""RBAC exposure: what each tenant's subjects may do where — and which of it crosses tenants or is risky.

Purely computational over plain object dicts (no I/O); `analyze(...).to_json()` is the audit report's
`isolation.rbac` (docs/audit-report.md). Semantics follow kube-apiserver's RBAC authorizer and
kube-controller-manager's ClusterRole aggregation controller:

- A RoleBinding grants in its own namespace (roleRef: a Role of that namespace, or a ClusterRole); rules that
  name only nonResourceURLs grant nothing there. A ClusterRoleBinding grants cluster-wide: namespace "*".
  A binding whose role does not exist grants nothing.
- An aggregated ClusterRole holds its own `rules` (filled in by the controller on a live cluster) plus,
  recursively, the rules of every ClusterRole its `aggregationRule.clusterRoleSelectors` match (a snapshot may
  hold only the selectors); an empty selector matches every ClusterRole, an invalid one none; cycles are fine.
- Matching: verb, apiGroup or resource "*" matches anything (resource "*" includes subresources); "*/exec"
  matches the exec subresource of every resource; "pods/*" is no wildcard.
- Tenant subjects (policies/rules/rbac/identities.py): the Tenant's owners and members, ServiceAccounts of its
  namespaces (also as the user `system:serviceaccount:<ns>:<name>`, reported as the ServiceAccount), and the
  groups `system:serviceaccounts:<ns>`. A subject listed by several tenants is reported under each.
- The broad groups `system:authenticated` and `system:serviceaccounts` contain every tenant's users or
  ServiceAccounts: their grants are reported under every tenant with `"broad": true` — only those that reach
  namespaced resources or are risky, which leaves out the discovery and self-review grants Kubernetes gives
  everyone.

crossTenantAccess: one entry per subject, namespace owned by another tenant and binding, with the verbs and
resources of the binding's rules that reach namespaced objects (built-in cluster-scoped resources are left out).
A subject the namespace's own tenant also lists is not reported. A cluster-wide grant is reported against the
other tenants' namespaces in name order, at most CROSS_TENANT_NAMESPACES per grant; one more entry with
namespace and namespaceTenant "*" stands for the rest.

riskyGrants: one entry per subject, namespace, risk and binding — Risk's slugs: get/list/watch on secrets,
create or get on pods/exec or pods/attach, escalate or bind on roles/clusterroles, impersonate, `*` verbs or
resources, nodes/proxy (only cluster-wide: nodes are cluster-scoped), create on serviceaccounts/token.
Every entry (subjects, crossTenantAccess, riskyGrants) also carries `broad`, an addition to the contract.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from policies.rules.rbac.identities import EVERYONE, SA_GROUP, SA_USER, subjects
from policies.tenancy import RbacSubject, TenantIndex

ALL = "*"
RBAC_GROUP = "rbac.authorization.k8s.io"
AUTHENTICATION_GROUP = "authentication.k8s.io"
CROSS_TENANT_NAMESPACES = 10
# Built-in cluster-scoped resources: a grant on them reaches no tenant's namespace.
# fmt: off
CLUSTER_SCOPED = frozenset({
    "apiservices", "certificatesigningrequests", "clusterrolebindings", "clusterroles", "clustertrustbundles",
    "componentstatuses", "csidrivers", "csinodes", "customresourcedefinitions", "deviceclasses", "flowschemas",
    "groups", "ingressclasses", "ipaddresses", "mutatingadmissionpolicies", "mutatingadmissionpolicybindings",
    "mutatingwebhookconfigurations", "namespaces", "nodes", "persistentvolumes", "prioritylevelconfigurations",
    "priorityclasses", "resourceslices", "runtimeclasses", "selfsubjectaccessreviews", "selfsubjectreviews",
    "selfsubjectrulesreviews", "servicecidrs", "storageclasses", "storageversionmigrations", "storageversions",
    "subjectaccessreviews", "tokenreviews", "uids", "userextras", "users", "validatingadmissionpolicies",
    "validatingadmissionpolicybindings", "validatingwebhookconfigurations", "volumeattachments",
    "volumeattributesclasses",
})
# fmt: on


class Risk(StrEnum):
    SECRETS_READ = "secrets-read"
    PODS_EXEC = "pods-exec"
    ESCALATE = "escalate"
    BIND = "bind"
    IMPERSONATE = "impersonate"
    WILDCARD = "wildcard"
    NODES_PROXY = "nodes-proxy"
    TOKEN_REQUEST = "token-request"


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicyRule:
    verbs: tuple[str, ...]
    api_groups: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    resource_names: tuple[str, ...] = ()
    non_resource_urls: tuple[str, ...] = ()

    def allows(self, verb: str, group: str, resource: str) -> bool:
        """The RBAC authorizer's match of one request (resource may be `pods/exec`), any object name."""
        sub = resource.partition("/")[2]
        return self._verb_in_group(verb, group) and any(
            r in (ALL, resource) or (sub and r == f"*/{sub}") for r in self.resources
        )

    def _verb_in_group(self, verb: str, group: str) -> bool:
        return (ALL in self.verbs or verb in self.verbs) and (ALL in self.api_groups or group in self.api_groups)

    def reaches_namespaces(self, *, cluster_wide: bool) -> bool:
        """Whether it grants anything on namespaced objects (in a RoleBinding: also its own Namespace)."""
        return any(
            r.partition("/")[0] not in CLUSTER_SCOPED or (not cluster_wide and r.partition("/")[0] == "namespaces")
            for r in self.resources
        )

    def risks(self, *, cluster_wide: bool) -> tuple[Risk, ...]:
        found = []
        if any(self.allows(v, "", "secrets") for v in ("get", "list", "watch")):
            found.append(Risk.SECRETS_READ)
        if any(self.allows(v, "", r) for v in ("create", "get") for r in ("pods/exec", "pods/attach")):
            found.append(Risk.PODS_EXEC)
        for risk, verb in ((Risk.ESCALATE, "escalate"), (Risk.BIND, "bind")):
            if any(self.allows(verb, RBAC_GROUP, r) for r in ("roles", "clusterroles")):
                found.append(risk)
        if self._impersonates(cluster_wide=cluster_wide):
            found.append(Risk.IMPERSONATE)
        if ALL in self.verbs or ALL in self.resources:
            found.append(Risk.WILDCARD)
        # Nodes are cluster-scoped: a RoleBinding cannot grant them.
        if cluster_wide and any(
            self.allows(v, "", "nodes/proxy") for v in ("get", "create", "update", "patch", "delete")
        ):
            found.append(Risk.NODES_PROXY)
        if self.allows("create", "", "serviceaccounts/token"):
            found.append(Risk.TOKEN_REQUEST)
        return tuple(found)

    def _impersonates(self, *, cluster_wide: bool) -> bool:
        # Impersonating a ServiceAccount is checked in its namespace; users, groups, uids and extras cluster-wide.
        if self.allows("impersonate", "", "serviceaccounts"):
            return True
        if not cluster_wide:
            return False
        if any(self.allows("impersonate", "", r) for r in ("users", "groups")):
            return True
        if self.allows("impersonate", AUTHENTICATION_GROUP, "uids"):
            return True
        # Extras are checked as userextras/<key>: any key will do.
        extras = any(r == ALL or r.startswith(("userextras/", "*/")) for r in self.resources)
        return extras and self._verb_in_group("impersonate", AUTHENTICATION_GROUP)


@dataclass(frozen=True, slots=True, kw_only=True)
class Grant:
    namespace: str  # "*": cluster-wide
    rule: PolicyRule
    via: str

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "namespace": self.namespace,
            "verbs": list(self.rule.verbs),
            "resources": list(self.rule.resources),
            "apiGroups": list(self.rule.api_groups),
        }
        if self.rule.resource_names:
            out["resourceNames"] = list(self.rule.resource_names)
        if self.rule.non_resource_urls:
            out["nonResourceURLs"] = list(self.rule.non_resource_urls)
        out["via"] = self.via
        return out

    def sort_key(self) -> tuple[Any, ...]:
        r = self.rule
        return self.namespace, self.via, r.api_groups, r.resources, r.verbs, r.resource_names, r.non_resource_urls


@dataclass(frozen=True, slots=True, kw_only=True)
class SubjectGrants:
    tenant: str
    subject: RbacSubject
    broad: bool
    grants: tuple[Grant, ...]

    def to_json(self) -> dict[str, Any]:
        s = self.subject
        return {
            "tenant": self.tenant,
            "kind": s.kind,
            "name": s.name,
            "namespace": s.namespace,
            "broad": self.broad,
            "grants": [g.to_json() for g in self.grants],
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class CrossTenantAccess:
    subject: str
    subject_tenant: str
    namespace: str
    namespace_tenant: str
    verbs: tuple[str, ...]
    resources: tuple[str, ...]
    via: str
    broad: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "subjectTenant": self.subject_tenant,
            "namespace": self.namespace,
            "namespaceTenant": self.namespace_tenant,
            "verbs": list(self.verbs),
            "resources": list(self.resources),
            "via": self.via,
            "broad": self.broad,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class RiskyGrant:
    subject: str
    tenant: str
    namespace: str
    risk: Risk
    via: str
    broad: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "tenant": self.tenant,
            "namespace": self.namespace,
            "risk": str(self.risk),
            "via": self.via,
            "broad": self.broad,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class RbacExposure:
    subjects: tuple[SubjectGrants, ...]
    cross_tenant_access: tuple[CrossTenantAccess, ...]
    risky_grants: tuple[RiskyGrant, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "subjects": [s.to_json() for s in self.subjects],
            "crossTenantAccess": [c.to_json() for c in self.cross_tenant_access],
            "riskyGrants": [r.to_json() for r in self.risky_grants],
        }


def analyze(objects: Iterable[dict[str, Any]], tenants: TenantIndex, *, namespaces: Iterable[str] = ()) -> RbacExposure:
    """Effective grants of every tenant subject; `namespaces` (when given) limits cluster-wide grants' expansion."""
    roles: dict[tuple[str, str], tuple[PolicyRule, ...]] = {}
    cluster_roles: dict[str, dict[str, Any]] = {}
    bindings: list[tuple[str, str, str, dict[str, Any]]] = []  # kind, namespace, name, object
    for obj in objects:
        kind = obj.get("kind") if isinstance(obj, dict) else None
        meta = obj.get("metadata") if isinstance(obj, dict) else None
        if not isinstance(meta, dict):
            continue
        name, ns = str(meta.get("name") or ""), str(meta.get("namespace") or "")
        if kind == "Role":
            roles[ns, name] = _rules(obj.get("rules"))
        elif kind == "ClusterRole":
            cluster_roles[name] = obj
        elif kind == "ClusterRoleBinding" or (kind == "RoleBinding" and ns):
            bindings.append((kind, ns if kind == "RoleBinding" else "", name, obj))
    aggregated = aggregate(cluster_roles)

    granted: dict[RbacSubject, set[Grant]] = defaultdict(set)
    members = _Members(tenants)
    for kind, ns, name, obj in bindings:
        ref = obj.get("roleRef")
        if not isinstance(ref, dict):
            continue
        ref_kind, ref_name = str(ref.get("kind") or ""), str(ref.get("name") or "")
        if ref_kind == "ClusterRole":
            rules = aggregated.get(ref_name, ())
        elif ref_kind == "Role" and kind == "RoleBinding":
            rules = roles.get((ns, ref_name), ())
        else:
            continue
        if kind == "RoleBinding":
            scope, via = ns, f"RoleBinding {ns}/{name} -> {ref_kind} {ref_name}"
            rules = tuple(r for r in rules if r.resources)
        else:
            scope, via = ALL, f"ClusterRoleBinding {name} -> ClusterRole {ref_name}"
        grants = [Grant(namespace=scope, rule=r, via=via) for r in rules]
        for s in subjects(obj, ns) if grants else ():
            subject = _normalize(s.kind, s.name, s.namespace)
            if subject is not None and (_is_broad(subject) or members.tenants_of(subject)):
                granted[subject].update(grants)
    return _Report(tenants, members, namespaces).build(granted)


def aggregate(cluster_roles: Mapping[str, Mapping[str, Any]]) -> dict[str, tuple[PolicyRule, ...]]:
    """Each ClusterRole's rules: its own plus those of every ClusterRole its selectors reach, transitively."""
    own = {name: _rules(obj.get("rules")) for name, obj in cluster_roles.items()}
    labels = {name: _labels(obj) for name, obj in cluster_roles.items()}
    edges: dict[str, list[str]] = {}
    for name, obj in cluster_roles.items():
        rule = obj.get("aggregationRule")
        selectors = rule.get("clusterRoleSelectors") if isinstance(rule, dict) else None
        if isinstance(selectors, list):
            edges[name] = [o for o in sorted(own) if o != name and any(_selects(s, labels[o]) for s in selectors)]
    result = dict(own)
    for name in edges:
        seen, stack, rules = {name}, [name], dict.fromkeys(own[name])
        while stack:
            for nxt in edges.get(stack.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
                    rules.update(dict.fromkeys(own[nxt]))
        result[name] = tuple(rules)
    return result


class _Members:
    """Which tenants a (normalized) subject belongs to, indexed once: no loop over tenants per subject."""

    def __init__(self, tenants: TenantIndex) -> None:
        self._owner_of = tenants.owner_of
        self._listed: dict[RbacSubject, set[str]] = defaultdict(set)
        for tenant in tenants.by_name.values():
            for s in tenant.subjects:
                subject = _normalize(s.kind, s.name, s.namespace)
                if subject is not None:
                    self._listed[subject].add(tenant.name)
        self._cache: dict[RbacSubject, tuple[str, ...]] = {}

    def tenants_of(self, subject: RbacSubject) -> tuple[str, ...]:
        found = self._cache.get(subject)
        if found is None:
            names = set(self._listed.get(subject, ()))
            if subject.kind == "ServiceAccount":
                account_ns = subject.namespace
            else:
                account_ns = subject.name.removeprefix(SA_GROUP) if subject.name.startswith(SA_GROUP) else ""
            if account_ns in self._owner_of:
                names.add(self._owner_of[account_ns])
            found = self._cache[subject] = tuple(sorted(names))
        return found


class _Report:
    def __init__(self, tenants: TenantIndex, members: _Members, namespaces: Iterable[str]) -> None:
        self.tenants, self.members = tenants, members
        known = set(namespaces)
        self.owner_of = tenants.owner_of
        self.tenant_namespaces = sorted(ns for ns in self.owner_of if not known or ns in known)
        self.namespace_count: dict[str, int] = defaultdict(int)
        for ns in self.tenant_namespaces:
            self.namespace_count[self.owner_of[ns]] += 1
        self.risks: dict[tuple[PolicyRule, bool], tuple[Risk, ...]] = {}
        self.reaches: dict[tuple[PolicyRule, bool], bool] = {}
        self.entries: list[SubjectGrants] = []
        self.cross: list[CrossTenantAccess] = []
        self.risky: set[RiskyGrant] = set()

    def build(self, granted: Mapping[RbacSubject, set[Grant]]) -> RbacExposure:
        for subject, grants in granted.items():
            if _is_broad(subject):
                relevant = sorted((g for g in grants if self._reaches(g) or self._risks(g)), key=Grant.sort_key)
                for tenant in sorted(self.tenants.by_name):
                    self._add(tenant, subject, relevant, shared=(), broad=True)
            else:
                owners = self.members.tenants_of(subject)
                for tenant in owners:
                    self._add(tenant, subject, grants, shared=owners, broad=False)
        return RbacExposure(
            subjects=tuple(
                sorted(self.entries, key=lambda e: (e.tenant, e.subject.kind, e.subject.namespace, e.subject.name))
            ),
            cross_tenant_access=tuple(
                sorted(self.cross, key=lambda c: (c.subject_tenant, c.subject, c.namespace == ALL, c.namespace, c.via))
            ),
            risky_grants=tuple(sorted(self.risky, key=lambda r: (r.tenant, r.subject, r.namespace, r.risk, r.via))),
        )

    def _risks(self, grant: Grant) -> tuple[Risk, ...]:
        key = grant.rule, grant.namespace == ALL
        if key not in self.risks:
            self.risks[key] = grant.rule.risks(cluster_wide=key[1])
        return self.risks[key]

    def _reaches(self, grant: Grant) -> bool:
        key = grant.rule, grant.namespace == ALL
        if key not in self.reaches:
            self.reaches[key] = grant.rule.reaches_namespaces(cluster_wide=key[1])
        return self.reaches[key]

    def _add(
        self, tenant: str, subject: RbacSubject, grants: Iterable[Grant], *, shared: tuple[str, ...], broad: bool
    ) -> None:
        ordered = tuple(sorted(grants, key=Grant.sort_key))
        if not ordered:
            return
        self.entries.append(SubjectGrants(tenant=tenant, subject=subject, broad=broad, grants=ordered))
        name = _display(subject)
        reach: dict[tuple[str, str], tuple[set[str], set[str]]] = {}  # (namespace, via) -> verbs, resources
        for g in ordered:
            for risk in self._risks(g):
                self.risky.add(
                    RiskyGrant(subject=name, tenant=tenant, namespace=g.namespace, risk=risk, via=g.via, broad=broad)
                )
            if self._reaches(g):
                reached_verbs, reached_resources = reach.setdefault((g.namespace, g.via), (set(), set()))
                reached_verbs.update(g.rule.verbs)
                reached_resources.update(g.rule.resources)
        excluded = {tenant, *shared}
        for (ns, via), (verb_set, resource_set) in reach.items():
            verbs, resources = tuple(sorted(verb_set)), tuple(sorted(resource_set))
            self.cross.extend(
                CrossTenantAccess(
                    subject=name,
                    subject_tenant=tenant,
                    namespace=target,
                    namespace_tenant=owner,
                    verbs=verbs,
                    resources=resources,
                    via=via,
                    broad=broad,
                )
                for target, owner in self._targets(ns, excluded)
            )

    def _targets(self, namespace: str, excluded: set[str]) -> Iterator[tuple[str, str]]:
        """(namespace, owner) of the other tenants' namespaces a grant in `namespace` reaches."""
        if namespace != ALL:
            owner = self.owner_of.get(namespace)
            if owner is not None and owner not in excluded:
                yield namespace, owner
            return
        total = len(self.tenant_namespaces) - sum(self.namespace_count[t] for t in excluded)
        listed = 0
        for ns in self.tenant_namespaces:
            if listed == min(total, CROSS_TENANT_NAMESPACES):
                break
            if self.owner_of[ns] not in excluded:
                listed += 1
                yield ns, self.owner_of[ns]
        if total > listed:
            yield ALL, ALL


def _normalize(kind: str, name: str, namespace: str) -> RbacSubject | None:
    """One identity, one key: the user `system:serviceaccount:ns:name` is that ServiceAccount."""
    if kind == "User" and name.startswith(SA_USER):
        account_ns, _, account = name.removeprefix(SA_USER).partition(":")
        if account_ns and account:
            return RbacSubject(kind="ServiceAccount", name=account, namespace=account_ns)
    if kind == "ServiceAccount":
        return RbacSubject(kind=kind, name=name, namespace=namespace)
    if kind in ("User", "Group"):
        return RbacSubject(kind=kind, name=name)
    return None


def _is_broad(subject: RbacSubject) -> bool:
    return subject.kind == "Group" and subject.name in EVERYONE


def _display(subject: RbacSubject) -> str:
    if subject.kind == "ServiceAccount":
        return f"ServiceAccount/{subject.namespace}/{subject.name}"
    return f"{subject.kind}/{subject.name}"


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(sorted({v for v in value if isinstance(v, str)})) if isinstance(value, list) else ()


def _rules(raw: Any) -> tuple[PolicyRule, ...]:
    rules = (
        PolicyRule(
            verbs=_strings(r.get("verbs")),
            api_groups=_strings(r.get("apiGroups")),
            resources=_strings(r.get("resources")),
            resource_names=_strings(r.get("resourceNames")),
            non_resource_urls=_strings(r.get("nonResourceURLs")),
        )
        for r in (raw if isinstance(raw, list) else ())
        if isinstance(r, dict)
    )
    return tuple(dict.fromkeys(r for r in rules if r.verbs and (r.resources or r.non_resource_urls)))


def _labels(obj: Mapping[str, Any]) -> dict[str, str]:
    meta = obj.get("metadata")
    labels = meta.get("labels") if isinstance(meta, dict) else None
    return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {}


def _selects(selector: Any, labels: Mapping[str, str]) -> bool:
    """metav1.LabelSelectorAsSelector: {} matches everything; an invalid selector matches nothing."""
    if not isinstance(selector, dict):
        return False
    match_labels, expressions = selector.get("matchLabels") or {}, selector.get("matchExpressions") or []
    if not isinstance(match_labels, dict) or not isinstance(expressions, list):
        return False
    return all(labels.get(k) == v for k, v in match_labels.items()) and all(
        _requirement(e, labels) for e in expressions
    )


def _requirement(expression: Any, labels: Mapping[str, str]) -> bool:
    if not isinstance(expression, dict):
        return False
    key, operator, values = expression.get("key"), expression.get("operator"), expression.get("values") or []
    if not isinstance(key, str) or not isinstance(values, list):
        return False
    if operator in ("In", "NotIn"):
        if not values:
            return False
        return (labels.get(key) in values) if operator == "In" else (labels.get(key) not in values)
    if operator in ("Exists", "DoesNotExist") and not values:
        exists = key in labels
        return exists if operator == "Exists" else not exists
    return False
