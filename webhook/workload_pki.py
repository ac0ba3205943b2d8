"""The workload PKI of native mTLS mode: a CA per tenant, the certificates its sidecars mount, the gateway's identity.

Pure: Secrets in (plain dicts as the API server returns them, `data` base64), Secrets out; no I/O and no clock of
its own (`now` is the caller's, timezone-aware UTC). A function returns the very `existing` object when nothing
is due, so the caller writes only what changed. Labels are the caller's to add.

- the tenant CA (`tenantguard-ca-<tenant>`, in the webhook's namespace): ca.crt and ca.key, and bundle.crt, the
  CAs a sidecar trusts — the current one and, after a rotation, the previous one until it expires, so leaves it
  signed keep working while they are re-issued. The CA lives a year and rotates at two thirds of it;
- a workload certificate (kubernetes.io/tls, in each tenant namespace): URI SAN `spiffe://tenantguard.io/tenant/
  <tenant>`, server and client auth, 24 h, re-issued at two thirds of its lifetime, when the CA rotated, or when
  it is missing or unreadable; `ca.crt` is the trust bundle;
- the gateway's client certificate (in each gateway namespace): URI SAN `spiffe://tenantguard.io/gateway/<ns>`.

A simple implementation on `webhook.pki`'s primitives (ECDSA P-256); the mTLS work owns this module's internals.
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tenantguard.webhook import pki

Secret = dict[str, Any]
LEAF_LIFETIME = dt.timedelta(hours=24)
CA_LIFETIME = dt.timedelta(days=365)
BACKDATE = dt.timedelta(minutes=1)


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _data(secret: Any, key: str) -> bytes | None:
    data = secret.get("data") if isinstance(secret, dict) else None
    value = data.get(key) if isinstance(data, dict) else None
    try:
        return base64.b64decode(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _certs(pem: bytes | None) -> list[x509.Certificate]:
    try:
        return x509.load_pem_x509_certificates(pem) if pem else []
    except ValueError:
        return []


def _renewal(cert: x509.Certificate) -> dt.datetime:
    start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
    return start + (end - start) * 2 / 3


def _secret(name: str, namespace: str, type_: str, values: dict[str, bytes]) -> Secret:
    data = {k: base64.b64encode(v).decode() for k, v in values.items()}
    return {"apiVersion": "v1", "kind": "Secret", "type": type_, "metadata": {"name": name, "namespace": namespace},
            "data": data}  # fmt: skip


_CA_USAGE = x509.KeyUsage(
    digital_signature=True,
    key_cert_sign=True,
    crl_sign=True,
    content_commitment=False,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    encipher_only=False,
    decipher_only=False,
)


def _new_ca(tenant: str, now: dt.datetime) -> pki.Authority:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"tenantguard tenant CA {tenant}")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + CA_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_CA_USAGE, critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return pki.Authority(cert=cert, key=key)


def _authority(secret: Any) -> pki.Authority | None:
    cert, key = _data(secret, "ca.crt"), _data(secret, "ca.key")
    try:
        return pki.load_authority(cert, key) if cert and key else None
    except ValueError:
        return None


def tenant_ca_secret(tenant: str, existing: dict[str, Any] | None, *, namespace: str, now: dt.datetime) -> Secret:
    ca = _authority(existing)
    bundle = _certs(_data(existing, "bundle.crt"))
    previous = [c for c in bundle if ca is None or c != ca.cert]
    if ca is None or now >= _renewal(ca.cert) or now >= ca.cert.not_valid_after_utc:
        previous = [ca.cert] if ca is not None and now < ca.cert.not_valid_after_utc else []
        ca = _new_ca(tenant, now)
    previous = [c for c in previous if now < c.not_valid_after_utc]
    trusted = b"".join(_pem(c) for c in (ca.cert, *previous))
    values = {"ca.crt": ca.cert_pem, "ca.key": ca.key_pem, "bundle.crt": trusted}
    desired = _secret(f"tenantguard-ca-{tenant}", namespace, "Opaque", values)
    return existing if existing is not None and existing.get("data") == desired["data"] else desired


def _issue(ca: pki.Authority, uri: str, usages: list[x509.ObjectIdentifier], now: dt.datetime) -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, uri)]))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(min(now + LEAF_LIFETIME, ca.cert.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
        .add_extension(x509.SubjectAlternativeName([x509.UniformResourceIdentifier(uri)]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False)
        .sign(ca.key, hashes.SHA256())
    )
    return _pem(cert), pki.Authority(cert=cert, key=key).key_pem


def _leaf_secret(
    name: str, namespace: str, uri: str, usages: list[x509.ObjectIdentifier], ca_secret: dict[str, Any],
    existing: dict[str, Any] | None, now: dt.datetime,
) -> Secret:  # fmt: skip
    ca = _authority(ca_secret)
    if ca is None:
        raise ValueError(f"Secret {(ca_secret.get('metadata') or {}).get('name')!r} holds no usable tenant CA")
    bundle = _data(ca_secret, "bundle.crt") or ca.cert_pem
    leaf = next(iter(_certs(_data(existing, "tls.crt"))), None)
    due = (
        leaf is None
        or leaf.issuer != ca.cert.subject
        or _aki(leaf) != x509.SubjectKeyIdentifier.from_public_key(ca.key.public_key()).digest
        or now >= _renewal(leaf)
        or not _data(existing, "tls.key")
    )
    if due:
        cert, key = _issue(ca, uri, usages, now)
    else:
        cert, key = _data(existing, "tls.crt") or b"", _data(existing, "tls.key") or b""
    desired = _secret(name, namespace, "kubernetes.io/tls", {"tls.crt": cert, "tls.key": key, "ca.crt": bundle})
    same = existing is not None and existing.get("type") == desired["type"] and existing.get("data") == desired["data"]
    return existing if same and existing is not None else desired


def _aki(cert: x509.Certificate) -> bytes | None:
    try:
        return cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier
    except x509.ExtensionNotFound:
        return None


def workload_secret(
    tenant: str, namespace: str, ca_secret: dict[str, Any], existing: dict[str, Any] | None, *, name: str,
    now: dt.datetime,
) -> Secret:  # fmt: skip
    usages = [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
    return _leaf_secret(name, namespace, f"spiffe://tenantguard.io/tenant/{tenant}", usages, ca_secret, existing, now)


def gateway_secret(
    tenant: str, gateway_namespace: str, ca_secret: dict[str, Any], existing: dict[str, Any] | None, *,
    now: dt.datetime,
) -> Secret:  # fmt: skip
    uri = f"spiffe://tenantguard.io/gateway/{gateway_namespace}"
    name = f"tenantguard-gateway-{tenant}"
    return _leaf_secret(name, gateway_namespace, uri, [ExtendedKeyUsageOID.CLIENT_AUTH], ca_secret, existing, now)


def _main_cert(secret: dict[str, Any]) -> x509.Certificate:
    found = next(iter(_certs(_data(secret, "tls.crt")) or _certs(_data(secret, "ca.crt"))), None)
    if found is None:
        raise ValueError("the Secret holds no certificate (tls.crt or ca.crt)")
    return found


def renew_at(secret: dict[str, Any]) -> dt.datetime:
    """When the reconciler must look at `secret` again: two thirds of its certificate's lifetime (a CA Secret:
    also when the previous CA in its bundle expires)."""
    due = _renewal(_main_cert(secret))
    for cert in _certs(_data(secret, "bundle.crt"))[1:]:
        due = min(due, cert.not_valid_after_utc)
    return due


def not_after(secret: dict[str, Any]) -> dt.datetime:
    return _main_cert(secret).not_valid_after_utc
