"""A PolicyRule and what it allows: kube-apiserver's RBAC authorizer, match for match.

`RuleAllows` in plugin/pkg/auth/authorizer/rbac/rbac.go with the helpers of pkg/apis/rbac/v1/
evaluation_helpers.go, for one rule and one request:

- verbs: `*` or the request's verb; apiGroups: `*` or the request's group (`""` is the core group, and
  matches only it);
- resources: `*` (every resource and subresource), the request's `resource[/subresource]` exactly, or
  `*/<subresource>` (that subresource of every resource). `pods/*` is no wildcard: it matches a subresource
  literally named `*`, which nothing requests;
- resourceNames: none means every object; otherwise the request's object name must be listed. Requests
  without a name (`deletecollection`, `create` of a new object by POST) never match a name-scoped rule;
- nonResourceURLs (only in ClusterRoles bound cluster-wide): `*`, the path exactly, or a prefix ending in `*`.

A rule with no verbs, or with neither resources nor nonResourceURLs, allows nothing and is dropped on parse.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tenantguard.policies.rbac.resources import CLUSTER_SCOPED

ALL = "*"


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicyRule:
    verbs: tuple[str, ...]
    api_groups: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    resource_names: tuple[str, ...] = ()
    non_resource_urls: tuple[str, ...] = ()

    def allows(self, verb: str, group: str, resource: str, name: str | None = None) -> bool:
        """Whether a request for `verb` on `group`'s `resource` (`pods/exec` for a subresource) is allowed.

        `name` is the object's name; None asks about some object, whichever its name.
        """
        return self.allows_verb(verb, group) and self.matches_resource(resource) and self.matches_name(verb, name)

    def allows_verb(self, verb: str, group: str) -> bool:
        """Whether verb and apiGroup match, whatever the resource."""
        return (ALL in self.verbs or verb in self.verbs) and (ALL in self.api_groups or group in self.api_groups)

    def matches_resource(self, resource: str) -> bool:
        return any(_resource_matches(r, resource) for r in self.resources)

    def resource_entries(self, resource: str) -> tuple[str, ...]:
        """The rule's `resources` entries that match `resource` — what to remove to stop matching it."""
        return tuple(r for r in self.resources if _resource_matches(r, resource))

    def matches_name(self, verb: str, name: str | None) -> bool:
        if not self.resource_names:
            return True
        if name is None:  # some object: every request but the nameless deletecollection can carry a name
            return verb != "deletecollection"
        return name in self.resource_names

    def allows_some_subresource(self, verb: str, group: str, resource: str) -> bool:
        """Whether some subresource of `resource` is allowed — for open-ended ones such as `userextras/<key>`."""
        return self.allows_verb(verb, group) and bool(self.subresource_entries(resource))

    def subresource_entries(self, resource: str) -> tuple[str, ...]:
        """The `resources` entries that match some subresource of `resource`: `*`, `*/x` or `resource/x`."""
        prefix = f"{resource}/"
        return tuple(
            r
            for r in self.resources
            if r == ALL or (r.startswith(prefix) and len(r) > len(prefix)) or (r.startswith("*/") and len(r) > 2)
        )

    def allows_url(self, verb: str, path: str) -> bool:
        """A non-resource request (`/metrics`, `/healthz/etcd`)."""
        if ALL not in self.verbs and verb not in self.verbs:
            return False
        return any(
            u in (ALL, path) or (u.endswith("*") and path.startswith(u.rstrip("*"))) for u in self.non_resource_urls
        )

    def reaches_namespaces(self, *, cluster_wide: bool) -> bool:
        """Whether it grants anything on namespaced objects (in a RoleBinding: also its own Namespace)."""
        return any(
            r.partition("/")[0] not in CLUSTER_SCOPED or (not cluster_wide and r.partition("/")[0] == "namespaces")
            for r in self.resources
        )


def _resource_matches(entry: str, resource: str) -> bool:
    if entry in (ALL, resource):
        return True
    sub = resource.partition("/")[2]
    return bool(sub) and entry == f"*/{sub}"


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(sorted({v for v in value if isinstance(v, str)})) if isinstance(value, list) else ()


def parse_rule(raw: Any) -> PolicyRule | None:
    """One entry of a Role's `rules`; None when it is malformed or allows nothing."""
    if not isinstance(raw, dict):
        return None
    rule = PolicyRule(
        verbs=_strings(raw.get("verbs")),
        api_groups=_strings(raw.get("apiGroups")),
        resources=_strings(raw.get("resources")),
        resource_names=_strings(raw.get("resourceNames")),
        non_resource_urls=_strings(raw.get("nonResourceURLs")),
    )
    return rule if rule.verbs and (rule.resources or rule.non_resource_urls) else None


def indexed_rules(raw: Any) -> Iterator[tuple[int, PolicyRule]]:
    """(index in `rules`, rule) for every entry that allows something — what a finding's path points at."""
    for i, item in enumerate(raw if isinstance(raw, list) else ()):
        rule = parse_rule(item)
        if rule is not None:
            yield i, rule


def parse_rules(raw: Any) -> tuple[PolicyRule, ...]:
    """A Role's or ClusterRole's `rules`, duplicates dropped, in their order."""
    return tuple(dict.fromkeys(rule for _, rule in indexed_rules(raw)))
