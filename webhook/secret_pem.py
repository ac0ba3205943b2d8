"""Certificates and keys inside Secrets: read without trusting them, written back as the API server stores them.

Every reader returns None (or nothing) for what it cannot use — absent, not base64, not PEM, the wrong kind of
key — so a damaged Secret is re-issued rather than crashing its reconciler. Nothing here logs or formats key
material into a message.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tenantguard.webhook import pki


def data(secret: Any, key: str) -> bytes | None:
    """The decoded value of `data[key]`."""
    values = secret.get("data") if isinstance(secret, dict) else None
    value = values.get(key) if isinstance(values, dict) else None
    if not isinstance(value, str):
        return None
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None


def encode(values: dict[str, bytes]) -> dict[str, str]:
    """`data` as the API server holds it: base64 of each value."""
    return {key: base64.b64encode(value).decode() for key, value in values.items()}


def annotations_of(secret: Any) -> dict[str, Any]:
    metadata = secret.get("metadata") if isinstance(secret, dict) else None
    found = metadata.get("annotations") if isinstance(metadata, dict) else None
    return found if isinstance(found, dict) else {}


def certificates(pem: bytes | None) -> list[x509.Certificate]:
    try:
        return x509.load_pem_x509_certificates(pem) if pem else []
    except ValueError:
        return []


def private_key(pem: bytes | None) -> ec.EllipticCurvePrivateKey | None:
    try:
        key = serialization.load_pem_private_key(pem, password=None) if pem else None
    except (ValueError, TypeError):
        return None
    return key if isinstance(key, ec.EllipticCurvePrivateKey) else None


def pair(cert_pem: bytes | None, key_pem: bytes | None) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None:
    """One certificate and the private key of its public key."""
    certs, key = certificates(cert_pem), private_key(key_pem)
    if len(certs) != 1 or key is None or certs[0].public_key() != key.public_key():
        return None
    return certs[0], key


def is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def authority(cert_pem: bytes | None, key_pem: bytes | None) -> pki.Authority | None:
    found = pair(cert_pem, key_pem)
    return pki.Authority(cert=found[0], key=found[1]) if found and is_ca(found[0]) else None


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def parse_time(value: Any) -> dt.datetime | None:
    """An RFC 3339 timestamp with its zone; None for anything else."""
    try:
        parsed = dt.datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return parsed if parsed is not None and parsed.tzinfo is not None else None


def format_time(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
