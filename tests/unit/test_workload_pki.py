"""webhook.workload_pki: the tenant CA, workload and gateway Secrets, on an injected clock."""

from __future__ import annotations

import base64
import copy
import datetime as dt
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID

from tenantguard.policies.rules.mtls.sidecar import CERT_FLAGS, gateway_spiffe_id, spiffe_id
from tenantguard.webhook import tenant_ca
from tenantguard.webhook.workload_pki import (
    PkiError,
    gateway_secret,
    not_after,
    renew_at,
    tenant_ca_secret,
    workload_secret,
)

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
HOUR, DAY = dt.timedelta(hours=1), dt.timedelta(days=1)
NS = "tenantguard-system"
NAME = "tenantguard-workload-cert"


def ca_at(when: dt.datetime, existing: dict[str, Any] | None = None, tenant: str = "acme") -> dict[str, Any]:
    return tenant_ca_secret(tenant, existing, namespace=NS, now=when)


def leaf_at(
    ca: dict[str, Any], existing: dict[str, Any] | None, when: dt.datetime, ns: str = "acme-prod"
) -> dict[str, Any]:
    return workload_secret("acme", ns, ca, existing, name=NAME, now=when)


def raw(secret: dict[str, Any], key: str) -> bytes:
    return base64.b64decode(secret["data"][key])


def cert(secret: dict[str, Any], key: str = "tls.crt") -> x509.Certificate:
    return x509.load_pem_x509_certificate(raw(secret, key))


def bundle(secret: dict[str, Any], key: str = "bundle.crt") -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(raw(secret, key))


def with_data(secret: dict[str, Any], **data: str) -> dict[str, Any]:
    changed = copy.deepcopy(secret)
    changed["data"].update(data)
    return changed


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


# --- the tenant CA ---------------------------------------------------------------------------------------------


def test_a_new_ca_is_a_p256_ca_for_a_year() -> None:
    secret = ca_at(T0)
    assert secret["metadata"] == {"name": "tenantguard-ca-acme", "namespace": NS, "annotations": {}}
    assert secret["type"] == "Opaque" and set(secret["data"]) == {"ca.crt", "ca.key", "bundle.crt"}
    ca = cert(secret, "ca.crt")
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    key = ca.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp256r1"
    assert ca.not_valid_after_utc - ca.not_valid_before_utc == tenant_ca.CA_LIFETIME
    assert bundle(secret) == [ca]
    assert ca.subject != cert(ca_at(T0 + HOUR), "ca.crt").subject, "a CA is named after its birth"


def test_nothing_due_returns_the_existing_object() -> None:
    secret = ca_at(T0)
    for when in (T0, T0 + 30 * DAY, T0 + 243 * DAY):
        assert ca_at(when, secret) is secret


def test_at_two_thirds_the_next_ca_is_staged_and_trusted_but_does_not_sign() -> None:
    first = ca_at(T0)
    staged = ca_at(T0 + 244 * DAY, first)
    assert staged["data"]["ca.crt"] == first["data"]["ca.crt"] and staged["data"]["ca.key"] == first["data"]["ca.key"]
    assert bundle(staged) == [cert(first, "ca.crt"), cert(staged, "next.crt")]
    assert ca_at(T0 + 244 * DAY + 58 * dt.timedelta(minutes=1), staged) is staged, "staged for an hour"
    assert renew_at(staged) == cert(staged, "next.crt").not_valid_before_utc + tenant_ca.STAGE


def test_after_the_stage_hour_the_next_ca_is_promoted_and_the_old_one_stays_trusted() -> None:
    first = ca_at(T0)
    staged = ca_at(T0 + 244 * DAY, first)
    when = T0 + 244 * DAY + HOUR
    promoted = ca_at(when, staged)
    assert promoted["data"]["ca.crt"] == staged["data"]["next.crt"]
    assert promoted["data"]["ca.key"] == staged["data"]["next.key"]
    assert "next.crt" not in promoted["data"]
    assert bundle(promoted) == [cert(staged, "next.crt"), cert(first, "ca.crt")]
    until = promoted["metadata"]["annotations"][tenant_ca.PREVIOUS_UNTIL]
    assert until == (when + tenant_ca.LEAF_LIFETIME).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert renew_at(promoted) == (when + tenant_ca.LEAF_LIFETIME).replace(microsecond=0)
    assert ca_at(when + 23 * HOUR, promoted) is promoted


def test_a_leaf_lifetime_after_the_promotion_the_old_ca_is_dropped() -> None:
    promoted = ca_at(T0 + 245 * DAY, ca_at(T0 + 244 * DAY, ca_at(T0)))
    dropped = ca_at(T0 + 246 * DAY, promoted)
    assert bundle(dropped) == [cert(promoted, "ca.crt")]
    assert dropped["metadata"]["annotations"] == {}
    assert dropped["data"]["ca.key"] == promoted["data"]["ca.key"]


@pytest.mark.parametrize(
    "annotations", [{}, {tenant_ca.PREVIOUS_UNTIL: "tomorrow"}, {tenant_ca.PREVIOUS_UNTIL: "2026-10-01"}]
)
def test_a_lost_annotation_keeps_the_old_ca_one_more_leaf_lifetime(annotations: dict[str, str]) -> None:
    promoted = ca_at(T0 + 245 * DAY, ca_at(T0 + 244 * DAY, ca_at(T0)))
    lost = copy.deepcopy(promoted)
    lost["metadata"]["annotations"] = annotations
    repaired = ca_at(T0 + 300 * DAY, lost)
    assert bundle(repaired) == bundle(promoted)
    assert repaired["metadata"]["annotations"][tenant_ca.PREVIOUS_UNTIL] == "2026-10-29T00:00:00Z"


def test_an_expired_ca_is_replaced_at_once_by_the_staged_one_or_a_new_one() -> None:
    first = ca_at(T0)
    late = ca_at(T0 + 366 * DAY, first)
    assert late["data"]["ca.crt"] != first["data"]["ca.crt"] and bundle(late) == [cert(late, "ca.crt")]
    staged = ca_at(T0 + 364 * DAY, first)
    assert ca_at(T0 + 366 * DAY, staged)["data"]["ca.crt"] == staged["data"]["next.crt"]


def test_a_ca_whose_key_is_unusable_is_replaced_and_its_certificate_stays_trusted() -> None:
    first, other = ca_at(T0), ca_at(T0, tenant="globex")
    for damaged in (
        with_data(first, **{"ca.key": other["data"]["ca.key"]}),  # a key that is not the certificate's
        with_data(first, **{"ca.key": "not base64!"}),
        with_data(first, **{"ca.key": b64(b"-----BEGIN PRIVATE KEY-----\ntruncated\n")}),
    ):
        fresh = ca_at(T0 + DAY, damaged)
        assert fresh["data"]["ca.crt"] != first["data"]["ca.crt"]
        assert bundle(fresh) == [cert(fresh, "ca.crt"), cert(first, "ca.crt")]
        assert tenant_ca.PREVIOUS_UNTIL in fresh["metadata"]["annotations"]


@pytest.mark.parametrize(
    "damaged",
    [
        pytest.param({"data": {}}, id="no-data"),
        pytest.param({"data": {"ca.crt": 42}}, id="not-a-string"),
        pytest.param("a string", id="not-an-object"),
        pytest.param({"data": {"ca.crt": b64(b"junk"), "ca.key": b64(b"junk")}}, id="not-pem"),
    ],
)
def test_a_ca_secret_without_a_usable_ca_gets_a_new_one(damaged: Any) -> None:
    fresh = ca_at(T0, damaged)
    assert set(fresh["data"]) == {"ca.crt", "ca.key", "bundle.crt"} and len(bundle(fresh)) == 1


def test_a_leaf_in_ca_crt_is_not_a_ca() -> None:
    ca = ca_at(T0)
    leaf = leaf_at(ca, None, T0)
    fake = {"data": {"ca.crt": leaf["data"]["tls.crt"], "ca.key": leaf["data"]["tls.key"]}}
    fresh = ca_at(T0, fake)
    assert bundle(fresh) == [cert(fresh, "ca.crt")], "the leaf is neither the CA nor kept as one"


def test_a_tampered_bundle_is_rewritten() -> None:
    first = ca_at(T0)
    other = ca_at(T0, tenant="globex")
    tampered = with_data(first, **{"bundle.crt": other["data"]["ca.crt"]})
    repaired = ca_at(T0 + DAY, tampered)
    assert repaired["data"] == first["data"]


# --- workload certificates -------------------------------------------------------------------------------------


def test_a_workload_certificate_names_the_tenant_and_the_namespace() -> None:
    ca = ca_at(T0)
    secret = leaf_at(ca, None, T0)
    assert secret["type"] == "kubernetes.io/tls"
    assert secret["metadata"] == {"name": NAME, "namespace": "acme-prod", "annotations": {}}
    assert set(secret["data"]) == {"tls.crt", "tls.key", "ca.crt"} == {p.rsplit("/", 1)[1] for p in CERT_FLAGS.values()}
    leaf = cert(secret)
    sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.UniformResourceIdentifier) == [spiffe_id("acme")]
    assert sans.get_values_for_type(x509.DNSName) == ["*.acme-prod.svc", "*.acme-prod.svc.cluster.local"]
    usages = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert set(usages) == {ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH}
    assert not leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    leaf.verify_directly_issued_by(cert(ca, "ca.crt"))
    assert leaf.not_valid_after_utc - leaf.not_valid_before_utc == tenant_ca.LEAF_LIFETIME
    assert bundle(secret, "ca.crt") == bundle(ca)
    assert not_after(secret) == leaf.not_valid_after_utc
    assert renew_at(secret) == leaf.not_valid_before_utc + 16 * HOUR


def test_a_workload_certificate_is_renewed_at_two_thirds_of_its_lifetime() -> None:
    ca = ca_at(T0)
    secret = leaf_at(ca, None, T0)
    assert leaf_at(ca, secret, renew_at(secret) - dt.timedelta(seconds=1)) is secret
    renewed = leaf_at(ca, secret, renew_at(secret))
    assert cert(renewed).serial_number != cert(secret).serial_number
    assert renewed["data"]["tls.key"] != secret["data"]["tls.key"], "a new key with every certificate"
    assert cert(renewed).not_valid_before_utc == renew_at(secret) - dt.timedelta(minutes=1)


def test_a_staged_ca_reaches_the_bundle_without_re_issuing() -> None:
    first = ca_at(T0)
    secret = leaf_at(first, None, T0 + 244 * DAY)
    staged = ca_at(T0 + 244 * DAY, first)
    updated = leaf_at(staged, secret, T0 + 244 * DAY + 1 * HOUR)
    assert updated["data"]["tls.crt"] == secret["data"]["tls.crt"]
    assert updated["data"]["tls.key"] == secret["data"]["tls.key"]
    assert bundle(updated, "ca.crt") == bundle(staged)


def test_a_promoted_ca_re_issues_every_leaf() -> None:
    staged = ca_at(T0 + 244 * DAY, ca_at(T0))
    secret = leaf_at(staged, None, T0 + 244 * DAY)
    promoted = ca_at(T0 + 244 * DAY + HOUR, staged)
    reissued = leaf_at(promoted, secret, T0 + 244 * DAY + HOUR)
    cert(reissued).verify_directly_issued_by(cert(promoted, "ca.crt"))
    assert bundle(reissued, "ca.crt") == bundle(promoted)


@pytest.mark.parametrize(
    "existing",
    [
        pytest.param(lambda acme, globex: leaf_at(globex, None, T0), id="signed-by-another-ca"),
        pytest.param(
            lambda acme, globex: workload_secret("globex", "acme-prod", acme, None, name=NAME, now=T0),
            id="another-tenants-identity",
        ),
        pytest.param(lambda acme, globex: leaf_at(acme, None, T0, ns="acme-dev"), id="another-namespaces-names"),
        pytest.param(lambda acme, globex: gateway_secret("acme", "acme-prod", acme, None, now=T0), id="client-only"),
        pytest.param(lambda acme, globex: leaf_at(acme, None, T0 + 3 * HOUR), id="from-a-clock-ahead"),
        pytest.param(lambda acme, globex: {**leaf_at(acme, None, T0), "type": "Opaque"}, id="wrong-type"),
        pytest.param(
            lambda acme, globex: with_data(
                leaf_at(acme, None, T0), **{"tls.key": leaf_at(acme, None, T0)["data"]["tls.key"]}
            ),
            id="key-of-another-certificate",
        ),
        pytest.param(lambda acme, globex: with_data(leaf_at(acme, None, T0), **{"tls.crt": "%%%"}), id="not-base64"),
        pytest.param(
            lambda acme, globex: with_data(leaf_at(acme, None, T0), **{"tls.crt": b64(b"-----BEGIN")}), id="not-pem"
        ),
        pytest.param(lambda acme, globex: {"data": None}, id="no-data"),
        pytest.param(lambda acme, globex: [], id="not-an-object"),
    ],
)
def test_a_leaf_that_is_not_what_it_should_be_is_re_issued(existing: Any) -> None:
    acme, globex = ca_at(T0), ca_at(T0, tenant="globex")
    damaged = existing(acme, globex)
    fresh = leaf_at(acme, damaged, T0 + HOUR)
    assert fresh is not damaged
    cert(fresh).verify_directly_issued_by(cert(acme, "ca.crt"))
    assert cert(fresh).not_valid_before_utc == T0 + HOUR - dt.timedelta(minutes=1)


def test_a_leaf_never_outlives_its_ca() -> None:
    ca = ca_at(T0)
    late = leaf_at(ca, None, cert(ca, "ca.crt").not_valid_after_utc - HOUR)
    assert cert(late).not_valid_after_utc == cert(ca, "ca.crt").not_valid_after_utc


def test_an_unusable_ca_secret_is_a_clear_error_without_key_material() -> None:
    ca = ca_at(T0)
    broken = with_data(ca, **{"ca.key": ca_at(T0, tenant="globex")["data"]["ca.key"]})
    with pytest.raises(PkiError, match="'tenantguard-ca-acme' holds no usable tenant CA") as error:
        leaf_at(broken, None, T0)
    assert "PRIVATE" not in str(error.value) and ca["data"]["ca.key"][:40] not in str(error.value)
    with pytest.raises(PkiError, match="'\\(unnamed\\)'"):
        gateway_secret("acme", "llm-gateway", {}, None, now=T0)


# --- the gateway's identity ------------------------------------------------------------------------------------


def test_the_gateway_identity_is_a_client_certificate_of_the_tenants_ca() -> None:
    ca = ca_at(T0)
    secret = gateway_secret("acme", "llm-gateway", ca, None, now=T0)
    assert secret["metadata"]["name"] == "tenantguard-gateway-acme"
    assert secret["metadata"]["namespace"] == "llm-gateway" and secret["type"] == "kubernetes.io/tls"
    leaf = cert(secret)
    sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.UniformResourceIdentifier) == [gateway_spiffe_id("llm-gateway")]
    assert sans.get_values_for_type(x509.DNSName) == []
    assert list(leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
        ExtendedKeyUsageOID.CLIENT_AUTH
    ]
    leaf.verify_directly_issued_by(cert(ca, "ca.crt"))
    assert gateway_secret("acme", "llm-gateway", ca, secret, now=T0 + 15 * HOUR) is secret
    assert gateway_secret("acme", "llm-gateway", ca, secret, now=T0 + 16 * HOUR) is not secret


def test_renew_at_and_not_after_name_what_they_cannot_read() -> None:
    with pytest.raises(PkiError, match="neither a certificate"):
        renew_at({"data": {}})
    with pytest.raises(PkiError, match="no certificate"):
        not_after({"data": {"tls.crt": "%%%"}})
    ca = ca_at(T0)
    assert not_after(ca) == cert(ca, "ca.crt").not_valid_after_utc
    assert renew_at(ca) == tenant_ca.renewal(cert(ca, "ca.crt"))


def test_another_tenants_ca_is_never_kept_as_the_previous_one() -> None:
    globex = ca_at(T0, tenant="globex")
    damaged = {"data": {"ca.crt": globex["data"]["ca.crt"]}}  # no key: unusable, and not acme's anyway
    fresh = ca_at(T0, damaged)
    assert bundle(fresh) == [cert(fresh, "ca.crt")]
