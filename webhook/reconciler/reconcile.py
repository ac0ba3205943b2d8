"""Converge one tenant: compute what it should have (`policies.generated`), compare, write the difference.

For each namespace the Tenant owns, in this order:
1. the namespace's labels (tenant label, Pod Security) — before anything else, so every object created after
   it is labelled and judged by the webhook;
2. the baseline NetworkPolicies (allows first, the default deny last), pruning managed ones no longer wanted;
3. the GPU ResourceQuotas, each namespace's limit being the tenant's cap minus what its other namespaces use;
4. native mTLS: the tenant CA (in the webhook's namespace, written first: leaves are signed only by a CA that is
   stored), the namespace's workload certificate, and the gateways' client certificates;
   istio: the PeerAuthentication, where that API is served;
then the Tenant's status. Everything labelled for this tenant outside the namespaces it owns — a namespace
dropped from the Tenant, or the whole Tenant deleted — is deleted, unless another Tenant owns that namespace
now (its own pass overwrites or prunes it), and the tenant label the reconciler set there is released.

Level-based: the pass reads only the current state, never the event that triggered it, so a missed event is
repaired at the next pass. It returns when it must run again at the latest (a certificate's renewal).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from fractions import Fraction
from types import ModuleType
from typing import Any

from tenantguard.policies import dra
from tenantguard.policies.dra_quota import device_class_quota
from tenantguard.policies.generated import labels, mesh, netpols, quotas
from tenantguard.policies.generated.compare import differences
from tenantguard.policies.generated.namespaces import namespace_labels
from tenantguard.policies.generated.status import Observation, Problem, tenant_status
from tenantguard.policies.gpu import gpu_equivalents, quantity
from tenantguard.policies.tenancy import Tenant, TenantError, parse_tenant
from tenantguard.webhook import workload_pki
from tenantguard.webhook.reconciler.events import Recorder
from tenantguard.webhook.reconciler.metrics import ReconcileMetrics
from tenantguard.webhook.reconciler.view import KINDS, Obj, View, Writer, key_of
from tenantguard.webhook.reconciler.writes import Pass

log = logging.getLogger("tenantguard.reconciler")
PSA_PREFIX = "pod-security.kubernetes.io/"


class Reconciler:
    def __init__(
        self,
        view: View,
        writer: Writer,
        *,
        recorder: Recorder,
        metrics: ReconcileMetrics | None = None,
        may_write: Callable[[], bool] = lambda: True,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        pki: ModuleType = workload_pki,
    ) -> None:
        self.view, self.writer, self.recorder, self.metrics = view, writer, recorder, metrics
        self.may_write, self.now, self.pki = may_write, now, pki
        self._released: dict[str, dict[str, str]] = {}  # namespace -> its labels after a release that kept the label

    def reconcile(self, name: str) -> Pass:
        """One pass for tenant `name` (present or deleted). Raises NotLeader when the Lease is lost."""
        settings = self.view.settings
        obj = self.view.tenant_object(name)
        tenant: Tenant | None = None
        problem = ""
        if obj is not None:
            try:
                tenant = parse_tenant(obj)
            except TenantError as err:
                problem = str(err)
        run = Pass(
            view=self.view, writer=self.writer, recorder=self.recorder, metrics=self.metrics,
            may_write=self.may_write, name=name, tenant=tenant, settings=settings, now=self.now(),
        )  # fmt: skip
        if problem:  # kube-apiserver validates Tenants against the CRD; keep what exists, delete nothing
            log.warning("not reconciling an invalid Tenant: %s", problem)
            run.degraded.append(Problem(reason="InvalidSpec", message=problem))
            return run
        owned = sorted(ns for ns, owner in self.view.tenants.owner_of.items() if owner == name) if tenant else []
        existing = self.view.namespaces()
        live = [ns for ns in owned if ns in existing and not settings.is_exempt(ns)]
        if tenant is not None:
            self._claims(run, tenant, owned, existing)
            for ns in live:
                self._namespace(run, tenant, ns, existing[ns])
            for ns in live:
                self._network_policies(run, tenant, ns)
            self._quotas(run, tenant, live)
            ca = self._certificate_authority(run, tenant)
            for ns in live:
                self._certificates(run, tenant, ns, ca)
                self._mesh(run, tenant, ns)
            self._gateways(run, tenant, ca)
        self._cleanup(run, frozenset(live))
        if tenant is not None and obj is not None:
            self._status(run, tenant, obj, owned)
        if self.metrics is not None:
            for kind, seconds in run.timings.items():
                self.metrics.duration.labels(kind).observe(seconds)
        return run

    # namespaces -------------------------------------------------------------------------------------------------
    def _claims(self, run: Pass, tenant: Tenant, owned: list[str], existing: Mapping[str, Any]) -> None:
        index = self.view.tenants
        for ns in tenant.namespaces:
            if index.owner_of.get(ns) != tenant.name:
                owner = index.owner_of.get(ns)
                message = f"namespace {ns} is also listed by Tenant {owner}, which owns it (the first by name)"
                run.problem(ns, "NamespaceConflict", message)
                run.degraded.append(Problem(reason="NamespaceConflict", message=message))
            elif run.settings.is_exempt(ns):
                message = f"namespace {ns} is exempt from tenant policies (settings) and cannot be a tenant's"
                run.problem(ns, "NamespaceExempt", message)
                run.degraded.append(Problem(reason="NamespaceExempt", message=message))
            elif ns not in existing:
                run.problem(ns, "NamespaceMissing", f"namespace {ns} does not exist yet (the platform creates it)")

    def _namespace(self, run: Pass, tenant: Tenant, ns: str, current: Mapping[str, str]) -> None:
        want = namespace_labels(tenant, ns, run.settings, current, now=run.now.replace(tzinfo=None))
        if all(current.get(k) == v for k, v in want.items()):
            return
        body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": want}}
        action = "Labelled" if run.settings.tenant_label not in current else "Relabelled"
        run.write(body, {"metadata": {"labels": dict(current)}}, force=True, action=action)

    # network policies -------------------------------------------------------------------------------------------
    def _network_policies(self, run: Pass, tenant: Tenant, ns: str) -> None:
        store = self.view.managed("NetworkPolicy")
        desired = netpols.network_policies(tenant, ns, run.settings)
        for policy in desired:
            run.write(policy, store.get(ns, policy["metadata"]["name"]))
        wanted = {p["metadata"]["name"] for p in desired}
        for obj in store.objects(ns):
            if key_of(obj)[1] not in wanted:
                run.remove(obj)

    # GPU quotas -------------------------------------------------------------------------------------------------
    def _used(self, ns: str, resources: Mapping[str, int]) -> dict[str, int]:
        """Devices per resource a namespace holds: the larger of the quota's own count (kube-apiserver raises it as
        it admits a pod, before the pod reaches any watch) and the running pods the cache knows."""
        quota = self.view.managed("ResourceQuota").get(ns, labels.QUOTA_NAME) or {}
        counted = quotas.quota_devices((quota.get("status") or {}).get("used"), resources)
        running = self.view.gpu_devices(ns)
        return {r: max(counted.get(r, 0), running.get(r, 0)) for r in resources}

    def _used_classes(self, ns: str, classes: Iterable[str]) -> dict[str, int]:
        """DRA devices per DeviceClass a namespace holds, as its quota counts them (claims, from creation)."""
        quota = self.view.managed("ResourceQuota").get(ns, labels.QUOTA_NAME) or {}
        used = (quota.get("status") or {}).get("used") or {}
        found: dict[str, int] = {}
        for name in classes:
            n = quantity(used.get(dra.quota_key(name)))
            if n:
                found[name] = n
        return found

    def _quotas(self, run: Pass, tenant: Tenant, live: list[str]) -> None:
        store = self.view.managed("ResourceQuota")
        caps = quotas.gpu_caps(tenant)
        used = {ns: self._used(ns, caps) for ns in live}
        cluster_classes = self.view.device_classes()
        given = sorted(tenant.gpu.device_classes) if tenant.gpu is not None else []
        used_classes = {ns: self._used_classes(ns, given) for ns in live}
        for ns in live:
            hard = quotas.namespace_hard(caps, quotas.used_elsewhere(ns, used))
            dra_hard = device_class_quota(
                tenant, device_classes=cluster_classes, used_elsewhere=quotas.used_elsewhere(ns, used_classes)
            )
            desired = quotas.resource_quotas(tenant, ns, run.settings, hard, dra_hard)
            for quota in desired:
                run.write(quota, store.get(ns, quota["metadata"]["name"]))
            wanted = {q["metadata"]["name"] for q in desired}
            for obj in store.objects(ns):
                if key_of(obj)[1] not in wanted:
                    run.remove(obj)

    # mTLS -------------------------------------------------------------------------------------------------------
    def _secret(self, run: Pass, tenant: Tenant, result: Obj, existing: Obj | None, what: str) -> bool:
        """Write a Secret the PKI returned, labelled; True when it is stored as returned."""
        marks = labels.managed_labels(tenant.name, run.settings)
        body = {**result, "metadata": {**result["metadata"], "labels": marks}}
        changed = result is not existing
        if changed or differences(existing, body):
            action = "Issued" if existing is None else ("Renewed" if changed else "Repaired")
            if run.write(body, existing, force=True, action=action) is None:
                return False
        try:
            run.needs(self.pki.renew_at(result))
        except ValueError as err:
            run.degraded.append(Problem(reason="CertificateUnreadable", message=f"{what}: {err}"))
        return True

    def _certificate_authority(self, run: Pass, tenant: Tenant) -> Obj | None:
        if tenant.mtls_mode != "native":
            return None
        ns, name = run.settings.webhook_namespace, labels.ca_secret_name(tenant.name)
        existing = self.view.managed("Secret").get(ns, name)
        try:
            ca: Obj = self.pki.tenant_ca_secret(tenant.name, existing, namespace=ns, now=run.now)
        except ValueError as err:
            run.degraded.append(Problem(reason="CertificateAuthorityFailed", message=f"tenant CA: {err}"))
            return None
        if ns not in self.view.namespaces():
            message = f"namespace {ns} (settings webhookNamespace) does not exist: no tenant CA, no certificates"
            run.degraded.append(Problem(reason="WebhookNamespaceMissing", message=message))
            return None
        return ca if self._secret(run, tenant, ca, existing, "tenant CA") else None

    def _certificates(self, run: Pass, tenant: Tenant, ns: str, ca: Obj | None) -> None:
        store = self.view.managed("Secret")
        wanted: set[str] = set()
        if tenant.mtls_mode == "native":
            name = run.settings.mtls.secret_name
            wanted.add(name)
            if ca is None:
                run.problem(ns, "CertificateMissing", "no tenant CA to sign the workload certificate with")
            else:
                existing = store.get(ns, name)
                try:
                    leaf = self.pki.workload_secret(tenant.name, ns, ca, existing, name=name, now=run.now)
                except ValueError as err:
                    run.problem(ns, "CertificateFailed", f"workload certificate: {err}")
                else:
                    self._secret(run, tenant, leaf, existing, f"workload certificate {ns}/{name}")
        for obj in store.objects(ns):
            if key_of(obj)[1] not in wanted:
                run.remove(obj)

    def _gateways(self, run: Pass, tenant: Tenant, ca: Obj | None) -> None:
        if tenant.mtls_mode != "native" or ca is None:
            return
        store, name = self.view.managed("Secret"), labels.gateway_secret_name(tenant.name)
        existing_ns = self.view.namespaces()
        for gateway in run.settings.gateway_namespaces:
            if gateway not in existing_ns:
                message = f"gateway namespace {gateway} (settings gatewayNamespaces) does not exist: no identity there"
                run.degraded.append(Problem(reason="GatewayNamespaceMissing", message=message))
                continue
            existing = store.get(gateway, name)
            try:
                result = self.pki.gateway_secret(tenant.name, gateway, ca, existing, now=run.now)
            except ValueError as err:
                run.degraded.append(Problem(reason="CertificateFailed", message=f"gateway certificate: {err}"))
                continue
            self._secret(run, tenant, result, existing, f"gateway certificate {gateway}/{name}")

    def _mesh(self, run: Pass, tenant: Tenant, ns: str) -> None:
        served = self.view.mesh_served()
        store = self.view.managed("PeerAuthentication")
        if tenant.mtls_mode == "istio" and served:
            desired = mesh.peer_authentication(tenant, ns, run.settings)
            run.write(desired, store.get(ns, desired["metadata"]["name"]))
            wanted = {desired["metadata"]["name"]}
        else:
            wanted = set()
        if tenant.mtls_mode == "istio" and not served:
            message = (
                f"{mesh.API_VERSION} PeerAuthentication is not served: install Istio's CRDs, or the tenant's "
                "namespaces accept plaintext from outside the mesh"
            )
            if not any(p.reason == "MeshPolicyUnavailable" for p in run.degraded):
                run.degraded.append(Problem(reason="MeshPolicyUnavailable", message=message))
                run.event("Warning", "MeshPolicyUnavailable", message)
            run.problem(ns, "MeshPolicyUnavailable", "no STRICT PeerAuthentication")
        for obj in store.objects(ns):
            if key_of(obj)[1] not in wanted:
                run.remove(obj)

    # what is no longer this tenant's ----------------------------------------------------------------------------
    def _kept(self, run: Pass, obj: Mapping[str, Any]) -> bool:
        """The tenant's objects outside its namespaces that stay: its CA and its gateway identities (native)."""
        if run.tenant is None or run.tenant.mtls_mode != "native" or obj.get("kind") != "Secret":
            return False
        ns, name = key_of(obj)
        return (ns, name) == (run.settings.webhook_namespace, labels.ca_secret_name(run.name)) or (
            ns in run.settings.gateway_namespaces and name == labels.gateway_secret_name(run.name)
        )

    def _cleanup(self, run: Pass, live: frozenset[str]) -> None:
        owner_of = self.view.tenants.owner_of
        for kind in KINDS:
            for obj in self.view.managed(kind).labelled(run.name):
                ns = key_of(obj)[0]
                if ns in live or self._kept(run, obj):
                    continue
                if owner_of.get(ns) is not None and ns not in (run.settings.webhook_namespace,
                                                              *run.settings.gateway_namespaces):  # fmt: skip
                    continue  # another Tenant owns the namespace now: its own pass rewrites or prunes it
                run.remove(obj, "Deleted")
        existing = self.view.namespaces()
        for ns in self.view.labelled_namespaces(run.name):
            current = existing.get(ns)
            if current is None or owner_of.get(ns) is not None or run.settings.is_exempt(ns):
                continue
            if self._released.get(ns) == current:
                continue  # released before, and someone else set the label too: it is theirs to remove
            # Release the tenant label (removed where only the reconciler set it); Pod Security labels stay.
            keep = {k: v for k, v in current.items() if k.startswith(PSA_PREFIX)}
            body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": keep}}
            if run.write(body, None, force=True, action="Released"):
                self._released[ns] = dict(current)

    # status -----------------------------------------------------------------------------------------------------
    def _status(self, run: Pass, tenant: Tenant, obj: Mapping[str, Any], owned: list[str]) -> None:
        caps = quotas.gpu_caps(tenant)
        live = [ns for ns in owned if ns in self.view.namespaces()]
        devices: dict[str, int] = {}
        for ns in live:
            for r, n in self.view.gpu_devices(ns).items():
                devices[r] = devices.get(r, 0) + n
        ca, leaves = self._expiries(run, tenant, live)
        observation = Observation(
            namespaces={ns: tuple(run.problems.get(ns, ())) for ns in tenant.namespaces},
            degraded=tuple(run.degraded),
            equivalents=gpu_equivalents(devices) if devices else Fraction(0),
            devices_used={r: devices.get(r, 0) for r in {*caps, *devices}},
            device_caps=caps,
            ca_not_after=ca,
            certificate_not_after=leaves,
        )
        meta = obj.get("metadata") or {}
        previous = obj.get("status") if isinstance(obj.get("status"), dict) else None
        status = tenant_status(
            tenant, observation, generation=int(meta.get("generation") or 0), previous=previous,
            now=run.now.replace(tzinfo=None),
        )  # fmt: skip
        if status != previous:
            body = {"apiVersion": obj.get("apiVersion"), "kind": "Tenant", "metadata": {"name": tenant.name},
                    "status": status}  # fmt: skip
            run.write(body, None, force=True, action="Status", subresource="status")

    def _expiries(self, run: Pass, tenant: Tenant, live: list[str]) -> tuple[datetime | None, datetime | None]:
        """(tenant CA notAfter, first workload or gateway certificate notAfter); metrics follow."""
        store, settings = self.view.managed("Secret"), run.settings
        if tenant.mtls_mode != "native":
            found: dict[str, datetime | None] = {"ca": None, "workload": None, "gateway": None}
        else:
            places = {
                "ca": [(settings.webhook_namespace, labels.ca_secret_name(tenant.name))],
                "workload": [(ns, settings.mtls.secret_name) for ns in live],
                "gateway": [(gw, labels.gateway_secret_name(tenant.name)) for gw in settings.gateway_namespaces],
            }
            found = {which: self._first_expiry([store.get(ns, n) for ns, n in keys]) for which, keys in places.items()}
        if self.metrics is not None:
            for which, when in found.items():
                self.metrics.certificate(tenant.name, which, when)
        leaves = [t for t in (found["workload"], found["gateway"]) if t is not None]
        return found["ca"], min(leaves) if leaves else None

    def _first_expiry(self, secrets: list[Obj | None]) -> datetime | None:
        times = []
        for secret in secrets:
            if secret is not None:
                try:
                    times.append(self.pki.not_after(secret))
                except ValueError:
                    continue
        return min(times) if times else None
