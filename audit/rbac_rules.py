"""What an RBAC rule grants: the authorizer's matching, and a ClusterRole's rules once aggregated.

These are the parts of kube-apiserver's RBAC authorizer and kube-controller-manager's aggregation controller
that the exposure analysis has to reproduce exactly — wildcards ("*", "*/exec", but not "pods/*"), which
resources are cluster-scoped, and label selectors (an empty one matches every ClusterRole, an invalid one
none) — so a report never claims more or less access than the cluster would allow. Purely computational
over plain object dicts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ALL = "*"
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
        return self.allows_verb(verb, group) and any(
            r in (ALL, resource) or (sub and r == f"*/{sub}") for r in self.resources
        )

    def allows_verb(self, verb: str, group: str) -> bool:
        """Whether verb and apiGroup match, whatever the resource."""
        return (ALL in self.verbs or verb in self.verbs) and (ALL in self.api_groups or group in self.api_groups)

    def reaches_namespaces(self, *, cluster_wide: bool) -> bool:
        """Whether it grants anything on namespaced objects (in a RoleBinding: also its own Namespace)."""
        return any(
            r.partition("/")[0] not in CLUSTER_SCOPED or (not cluster_wide and r.partition("/")[0] == "namespaces")
            for r in self.resources
        )


def aggregate(cluster_roles: Mapping[str, Mapping[str, Any]]) -> dict[str, tuple[PolicyRule, ...]]:
    """Each ClusterRole's rules: its own plus those of every ClusterRole its selectors reach, transitively."""
    own = {name: parse_rules(obj.get("rules")) for name, obj in cluster_roles.items()}
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


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(sorted({v for v in value if isinstance(v, str)})) if isinstance(value, list) else ()


def parse_rules(raw: Any) -> tuple[PolicyRule, ...]:
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
