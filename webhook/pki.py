"""PKI primitives: a CA, serving and client certificates, signing keys, and writing them safely.

Used by the webhook's own certificates (`webhook.certs`), the dev cluster's control plane and the
workload PKI of native mTLS mode (`webhook.workload_pki`, which passes its own clock as ``now``).

ECDSA P-256 throughout: key generation takes microseconds where RSA-2048 takes tens of
milliseconds per key, and every component here accepts it (the service-account issuer signs ES256).
Private keys are written 0600 before any byte of them lands on disk.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALIDITY = dt.timedelta(days=365)
BACKDATE = dt.timedelta(minutes=1)


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyPair:
    cert_pem: bytes
    key_pem: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class Authority:
    """A CA able to sign further certificates."""

    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    @property
    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def key_pem(self) -> bytes:
        return _key_pem(self.key)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _name(common_name: str, organizations: tuple[str, ...] = ()) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, org) for org in organizations]
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attrs)


def _start(now: dt.datetime | None) -> dt.datetime:
    # Backdated a minute: components on the same host must not see a "not yet valid" certificate.
    return (now or dt.datetime.now(dt.UTC)) - BACKDATE


def new_authority(
    common_name: str,
    validity: dt.timedelta = VALIDITY,
    *,
    subject: x509.Name | None = None,
    now: dt.datetime | None = None,
) -> Authority:
    key = ec.generate_private_key(ec.SECP256R1())
    name = subject or _name(common_name)
    now = _start(now)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + validity)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Authority(cert=cert, key=key)


def load_authority(cert_pem: bytes, key_pem: bytes) -> Authority:
    key = serialization.load_pem_private_key(key_pem, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError("expected an EC private key")
    return Authority(cert=x509.load_pem_x509_certificate(cert_pem), key=key)


def issue(
    ca: Authority,
    *,
    subject: x509.Name,
    usages: tuple[x509.ObjectIdentifier, ...],
    dns_names: tuple[str, ...] = (),
    ip_addresses: tuple[str, ...] = (),
    uris: tuple[str, ...] = (),
    validity: dt.timedelta = VALIDITY,
    now: dt.datetime | None = None,
) -> KeyPair:
    """A leaf certificate signed by ``ca``, valid from ``now`` (default: the clock) for ``validity``, never
    beyond the CA's own expiry."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = _start(now)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(min(now + validity, ca.cert.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage(list(usages)), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False)
    )
    sans: list[x509.GeneralName] = [x509.DNSName(name) for name in dns_names]
    sans += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ip_addresses]
    sans += [x509.UniformResourceIdentifier(uri) for uri in uris]
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    cert = builder.sign(ca.key, hashes.SHA256())
    return KeyPair(cert_pem=cert.public_bytes(serialization.Encoding.PEM), key_pem=_key_pem(key))


def issue_serving(
    ca: Authority,
    *,
    common_name: str,
    dns_names: tuple[str, ...],
    ip_addresses: tuple[str, ...],
    validity: dt.timedelta = VALIDITY,
) -> KeyPair:
    return issue(
        ca,
        subject=_name(common_name),
        usages=(ExtendedKeyUsageOID.SERVER_AUTH,),
        dns_names=dns_names,
        ip_addresses=ip_addresses,
        validity=validity,
    )


def issue_client(ca: Authority, *, user: str, groups: tuple[str, ...] = ()) -> KeyPair:
    """A client certificate: the apiserver reads the user from CN and the groups from O."""
    return issue(ca, subject=_name(user, groups), usages=(ExtendedKeyUsageOID.CLIENT_AUTH,))


def new_signing_key() -> KeyPair:
    """The service-account token signing key; ``cert_pem`` holds its public key (PEM)."""
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return KeyPair(cert_pem=public, key_pem=_key_pem(key))


def write_private(path: Path, data: bytes) -> None:
    """Write a secret readable by its owner only, never briefly world-readable."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # O_CREAT's mode does not apply to a file that already existed
        os.write(fd, data)
    finally:
        os.close(fd)


def write_public(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    path.chmod(0o644)


def write_pair(directory: Path, stem: str, pair: KeyPair) -> tuple[Path, Path]:
    """Write ``<stem>.crt`` and ``<stem>.key``; return their paths."""
    cert, key = directory / f"{stem}.crt", directory / f"{stem}.key"
    write_public(cert, pair.cert_pem)
    write_private(key, pair.key_pem)
    return cert, key
