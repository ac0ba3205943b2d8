"""The workload PKI of native mTLS mode: a CA per tenant, the certificates its sidecars mount, the gateway's identity.

Pure: Secrets in (plain dicts as the API server returns them, `data` base64), Secrets out; no I/O and no clock of
its own (`now` is the caller's). A function returns the very `existing` object when nothing is due, so a caller
writes only what changed (`result is existing`). Labels and owner references are the caller's to add.

Identities (what the sidecar's `--allow-uri` checks; one definition, in `policies/rules/mtls/sidecar.py`):
- workload: URI `spiffe://tenantguard.io/tenant/<tenant>`, DNS `*.<ns>.svc` and `*.<ns>.svc.cluster.local`;
  server and client auth (a tenant's pods call each other through their sidecars);
- gateway: URI `spiffe://tenantguard.io/gateway/<gateway namespace>`, client auth only; one per tenant, signed by
  that tenant's CA, so the gateway presents each tenant the identity that tenant's sidecars trust.

Keys are ECDSA P-256, serials 159 random bits (`webhook.pki`). A leaf lives 24 h and is re-issued at 2/3 (16 h),
leaving 8 h for kubelet to deliver it (about a minute) and the sidecar to reload it (`--timed-reload`). The
tenant CA lives 1 year and rotates without a refused handshake (`webhook.tenant_ca`). A missing or unusable CA
Secret gets a new CA; an unreadable leaf Secret is re-issued, never a crash. No key material reaches a message.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tenantguard.policies.rules.mtls.sidecar import gateway_spiffe_id, spiffe_id
from tenantguard.webhook import pki, secret_pem, tenant_ca
from tenantguard.webhook.tenant_ca import LEAF_LIFETIME, ORGANIZATION, CaState

Secret = dict[str, Any]

TLS_TYPE = "kubernetes.io/tls"
TLS_CERT, TLS_KEY, TRUST = "tls.crt", "tls.key", "ca.crt"
# A leaf that starts later than this after `now` comes from a wrong clock: re-issued.
SKEW = dt.timedelta(minutes=5)


class PkiError(ValueError):
    """A Secret this module cannot use; the message names it and never carries key material."""


def ca_secret_name(tenant: str) -> str:
    return f"tenantguard-ca-{tenant}"


def gateway_secret_name(tenant: str) -> str:
    return f"tenantguard-gateway-{tenant}"


def _secret(name: str, namespace: str, type_: str, data: dict[str, bytes], annotations: dict[str, str]) -> Secret:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": type_,
        "metadata": {"name": name, "namespace": namespace, "annotations": annotations},
        "data": secret_pem.encode(data),
    }


def _unless_same(existing: Any, desired: Secret) -> Secret:
    """`existing` itself when it already holds what `desired` does: type, data and our annotation."""
    if not isinstance(existing, dict) or existing.get("type") != desired["type"]:
        return desired
    if existing.get("data") != desired["data"]:
        return desired
    found = secret_pem.annotations_of(existing)
    ours = {k: found[k] for k in (tenant_ca.PREVIOUS_UNTIL,) if k in found}
    return existing if ours == desired["metadata"]["annotations"] else desired


# --- the tenant CA ---------------------------------------------------------------------------------------------


def tenant_ca_secret(tenant: str, existing: dict[str, Any] | None, *, namespace: str, now: dt.datetime) -> Secret:
    """Secret `tenantguard-ca-<tenant>` in `namespace` (the webhook's): ca.crt and ca.key (the signing CA),
    bundle.crt (every CA trusted now: current, staged next, previous during rotation), next.crt and next.key while
    a next CA is staged; `existing` itself when nothing is due."""
    state = tenant_ca.read(existing)
    state = tenant_ca.fresh(tenant, existing, now) if state is None else tenant_ca.advance(state, tenant, now)
    desired = _secret(ca_secret_name(tenant), namespace, "Opaque", state.data(), state.annotations())
    return _unless_same(existing, desired)


def _signer(ca_secret: Any) -> CaState:
    state = tenant_ca.read(ca_secret)
    if state is None:
        name = (ca_secret.get("metadata") or {}).get("name") if isinstance(ca_secret, dict) else None
        raise PkiError(
            f"Secret {name or '(unnamed)'!r} holds no usable tenant CA; write it with tenant_ca_secret first"
        )
    return state


# --- leaves: the workload certificate and the gateway's client identity ------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Identity:
    """What a leaf says: its URI SAN, DNS SANs, extended key usages and subject."""

    uri: str
    dns_names: tuple[str, ...]
    usages: tuple[x509.ObjectIdentifier, ...]
    unit: str
    common_name: str

    def holds(self, cert: x509.Certificate) -> bool:
        try:
            sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            usages = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        except x509.ExtensionNotFound:
            return False
        return (
            sans.get_values_for_type(x509.UniformResourceIdentifier) == [self.uri]
            and sans.get_values_for_type(x509.DNSName) == list(self.dns_names)
            and set(usages) == set(self.usages)
        )

    def issue(self, ca: pki.Authority, now: dt.datetime) -> pki.KeyPair:
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
                x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, self.unit),
                x509.NameAttribute(NameOID.COMMON_NAME, self.common_name),
            ]
        )
        return pki.issue(
            ca,
            subject=subject,
            usages=self.usages,
            dns_names=self.dns_names,
            uris=(self.uri,),
            validity=LEAF_LIFETIME,
            now=now,
        )


def workload_identity(tenant: str, namespace: str) -> Identity:
    return Identity(
        uri=spiffe_id(tenant),
        dns_names=(f"*.{namespace}.svc", f"*.{namespace}.svc.cluster.local"),
        usages=(ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH),
        unit=tenant,
        common_name=namespace,
    )


def gateway_identity(gateway_namespace: str) -> Identity:
    return Identity(
        uri=gateway_spiffe_id(gateway_namespace),
        dns_names=(),
        usages=(ExtendedKeyUsageOID.CLIENT_AUTH,),
        unit="gateway",
        common_name=gateway_namespace,
    )


def _signed_by(cert: x509.Certificate, ca: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _due(existing: Any, identity: Identity, ca: CaState, now: dt.datetime) -> bool:
    """The leaf in `existing` must be re-issued: unreadable, someone else's, another CA's, or renewal is due."""
    found = secret_pem.pair(secret_pem.data(existing, TLS_CERT), secret_pem.data(existing, TLS_KEY))
    if found is None or existing.get("type") != TLS_TYPE:
        return True
    cert = found[0]
    return (
        not identity.holds(cert)
        or not _signed_by(cert, ca.current.cert)
        or now >= tenant_ca.renewal(cert)
        or now < cert.not_valid_before_utc - SKEW
    )


def _leaf_secret(
    name: str, namespace: str, identity: Identity, ca_secret: Any, existing: Any, now: dt.datetime
) -> Secret:
    ca = _signer(ca_secret)
    if _due(existing, identity, ca, now):
        pair = identity.issue(ca.current, now)
        cert_pem, key_pem = pair.cert_pem, pair.key_pem
    else:  # the leaf stands; the bundle may have changed (a CA staged, promoted or dropped)
        cert_pem = secret_pem.data(existing, TLS_CERT) or b""
        key_pem = secret_pem.data(existing, TLS_KEY) or b""
    data = {TLS_CERT: cert_pem, TLS_KEY: key_pem, TRUST: ca.bundle}
    return _unless_same(existing, _secret(name, namespace, TLS_TYPE, data, {}))


def workload_secret(
    tenant: str,
    namespace: str,
    ca_secret: dict[str, Any],
    existing: dict[str, Any] | None,
    *,
    name: str,
    now: dt.datetime,
) -> Secret:
    """kubernetes.io/tls Secret `name` in the tenant namespace: tls.crt and tls.key (URI SAN
    spiffe://tenantguard.io/tenant/<tenant>) and ca.crt (the tenant's trust bundle). Re-issued when missing,
    unreadable, not this identity, not signed by the current CA, or past 2/3 of its lifetime; ca.crt follows the
    bundle; else `existing` itself. Raises PkiError when `ca_secret` holds no usable CA."""
    return _leaf_secret(name, namespace, workload_identity(tenant, namespace), ca_secret, existing, now)


def gateway_secret(
    tenant: str,
    gateway_namespace: str,
    ca_secret: dict[str, Any],
    existing: dict[str, Any] | None,
    *,
    now: dt.datetime,
) -> Secret:
    """kubernetes.io/tls Secret `tenantguard-gateway-<tenant>` in the gateway namespace: the client identity
    (URI spiffe://tenantguard.io/gateway/<gateway_namespace>, signed by the tenant's CA) that the gateway presents
    to that tenant's sidecars, and ca.crt to verify them. Renewed like `workload_secret`."""
    name = gateway_secret_name(tenant)
    return _leaf_secret(name, gateway_namespace, gateway_identity(gateway_namespace), ca_secret, existing, now)


# --- when to look again ------------------------------------------------------------------------------------------


def _leaf(secret: Any) -> x509.Certificate | None:
    certs = secret_pem.certificates(secret_pem.data(secret, TLS_CERT))
    return certs[0] if certs else None


def renew_at(secret: dict[str, Any]) -> dt.datetime:
    """When the function that wrote `secret` will next change it: a leaf's 2/3 point; for a CA Secret the next of
    staging, promotion, dropping the previous CA and expiry. Raises PkiError for a Secret it cannot read."""
    if (leaf := _leaf(secret)) is not None:
        return tenant_ca.renewal(leaf)
    state = tenant_ca.read(secret)
    if state is None:
        raise PkiError("the Secret holds neither a certificate (tls.crt) nor a tenant CA (ca.crt, ca.key)")
    return state.next_event


def not_after(secret: dict[str, Any]) -> dt.datetime:
    """When the certificate in `secret` expires: tls.crt, or for a CA Secret its signing CA (ca.crt)."""
    leaf = _leaf(secret) or next(iter(secret_pem.certificates(secret_pem.data(secret, tenant_ca.CA_CERT))), None)
    if leaf is None:
        raise PkiError("the Secret holds no certificate (tls.crt or ca.crt)")
    return leaf.not_valid_after_utc
