"""One attack: what the tenant developer alice sends to kube-apiserver, and what must come of it.

A case is data. `act` says how the request is made (kubectl apply, create, server-side apply, patch in its
three flavours, delete, debug, create token, or a raw kubectl invocation), `manifest` is the object sent (or the
target of a patch or delete), and `rules` is tenantguard's verdict on it: the rule IDs that deny it, none when
it is legitimate (then it must be admitted; `warns` lists the rules that only warn).

`needs` says what RBAC must grant for the request to reach admission at all:
- None: the example role (`examples/platform/tenant-rbac.yaml`, least privilege) grants it;
- BROAD: `escalate`/`bind` on Roles, `bind` on ClusterRoles — the broad example role
  (`examples/platform/tenant-rbac-broad.yaml`);
- GRANTED: a power the platform should never grant a tenant (status subresources, namespace, quota or endpoint
  writes, …), granted here by a platform ClusterRole on top of the broad role to show the webhook holds anyway.
Under a role that does not grant it, the request must be refused by kube-apiserver's authorizer (Forbidden).

`manifest_verdict`: the object can exist as a manifest — lint judges it as a tenant's file, and the audit judges
it as the cluster would store it (after the webhook's mutation) — so both must name the same rules. False for
requests that are not an object (updates, patches, subresources, deletes) and for the few objects whose verdict
depends on who sends them (the platform's managed objects, pod placement that only admission sees).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

Obj = dict[str, Any]


class Act(StrEnum):
    APPLY = "apply"  # kubectl apply (client-side): a create of a new object
    CREATE = "create"  # kubectl create
    SERVER_SIDE = "server-side"  # kubectl apply --server-side
    PATCH = "patch"  # kubectl patch --type <patch_type> [--subresource]
    DELETE = "delete"
    DEBUG = "debug"  # kubectl debug: an ephemeral container
    RAW = "raw"  # kubectl <args>: token requests, impersonation, label, scale …


class Needs(StrEnum):
    BROAD = "broad"
    GRANTED = "granted"


class Profile(StrEnum):
    """The RBAC alice holds in acme-dev when a case runs."""

    LEAST = "least"  # the example tenant-developer role
    BROAD = "broad"  # + the broad example role (escalate, bind)
    GRANTED = "granted"  # + a platform over-grant of forbidden powers


class Outcome(StrEnum):
    ADMITTED = "admitted"
    DENIED = "denied"  # by tenantguard (or Pod Security Admission, for the same control), rules named
    FORBIDDEN = "forbidden"  # by kube-apiserver's RBAC authorizer or its escalation check


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    id: str
    group: str
    what: str  # the attack (or the legitimate shape) in one line
    act: Act = Act.APPLY
    manifest: Obj | None = None
    patch: str = ""  # PATCH: the body (JSON)
    patch_type: str = "strategic"
    subresource: str = ""
    args: tuple[str, ...] = ()  # RAW: kubectl's arguments; DEBUG: after `debug`
    rules: frozenset[str] = frozenset()
    warns: frozenset[str] = frozenset()
    needs: Needs | None = None
    manifest_verdict: bool = True
    dry_run: bool = True
    forbidden_always: bool = False  # no profile grants it: refused by RBAC everywhere (another tenant's namespace …)
    # Rules that also deny while the stored Namespace lacks Pod Security labels (one created before the webhook:
    # status and finalize writes are not mutated, so PSS020 judges the namespace as stored).
    unless_psa_labelled: frozenset[str] = frozenset()

    def expected_rules(self, namespace_psa_labelled: bool) -> frozenset[str]:
        return self.rules if namespace_psa_labelled else self.rules | self.unless_psa_labelled

    def expected(self, profile: Profile) -> Outcome:
        if self.forbidden_always:
            return Outcome.FORBIDDEN
        granted = {
            None: True,
            Needs.BROAD: profile in (Profile.BROAD, Profile.GRANTED),
            Needs.GRANTED: profile is Profile.GRANTED,
        }[self.needs]
        if not granted:
            return Outcome.FORBIDDEN
        return Outcome.DENIED if self.rules else Outcome.ADMITTED

    @property
    def profiles(self) -> tuple[Profile, ...]:
        """Every case runs with least privilege; those that need more run again with the roles that grant it."""
        if self.needs is None:
            return (Profile.LEAST,)
        return (Profile.LEAST, Profile.BROAD, Profile.GRANTED)

    @property
    def judges_object(self) -> bool:
        """Lint and the audit can judge it: a whole object a tenant could have as a manifest."""
        return self.manifest_verdict and self.act in (Act.APPLY, Act.CREATE, Act.SERVER_SIDE) and bool(self.manifest)
