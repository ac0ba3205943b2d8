"""The webhook's CA and serving certificate in a directory: generate, inspect, renew.

`ca.crt`/`ca.key` sign `tls.crt`/`tls.key`; keys are written 0600 (see `webhook.pki`). Files are replaced
atomically, the key before the certificate, so a reloading server never pairs a new certificate with an old key.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509

from tenantguard.webhook import pki

CA_DAYS = 3650
SERVING_DAYS = 365
CA_NAME = "tenantguard-webhook-ca"


@dataclass(frozen=True, slots=True, kw_only=True)
class CertInfo:
    subject: str
    dns_names: tuple[str, ...]
    ip_addresses: tuple[str, ...]
    not_after: dt.datetime
    issuer: str

    def expires_within(self, delta: dt.timedelta, now: dt.datetime | None = None) -> bool:
        now = now or dt.datetime.now(dt.UTC)
        return self.not_after - now < delta


def _replace(path: Path, data: bytes, *, private: bool) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    (pki.write_private if private else pki.write_public)(tmp, data)
    os.replace(tmp, path)


def _authority(cert_dir: Path) -> pki.Authority:
    crt, key = cert_dir / "ca.crt", cert_dir / "ca.key"
    if crt.exists() and key.exists():
        try:
            return pki.load_authority(crt.read_bytes(), key.read_bytes())
        except ValueError as err:
            raise ValueError(f"{key}: {err}") from err
    ca = pki.new_authority(CA_NAME, validity=dt.timedelta(days=CA_DAYS))
    _replace(key, ca.key_pem, private=True)
    _replace(crt, ca.cert_pem, private=False)
    return ca


def issue_serving(
    cert_dir: Path, dns_names: Sequence[str], ips: Sequence[str] = ("127.0.0.1",), days: int = SERVING_DAYS
) -> None:
    """(Re)issue tls.crt/tls.key for the names, signed by the CA in cert_dir (created when absent)."""
    cert_dir.mkdir(parents=True, exist_ok=True)
    ca = _authority(cert_dir)
    common = dns_names[0] if dns_names else (ips[0] if ips else "tenantguard")
    pair = pki.issue_serving(
        ca, common_name=common, dns_names=tuple(dns_names), ip_addresses=tuple(ips), validity=dt.timedelta(days=days)
    )
    _replace(cert_dir / "tls.key", pair.key_pem, private=True)
    _replace(cert_dir / "tls.crt", pair.cert_pem, private=False)


def ensure(cert_dir: Path, dns_names: Sequence[str], ips: Sequence[str] = ("127.0.0.1",)) -> bool:
    """Generate a CA and serving certificate when tls.crt is absent; True when something was written."""
    if (cert_dir / "tls.crt").exists() and (cert_dir / "tls.key").exists():
        return False
    issue_serving(cert_dir, dns_names, ips)
    return True


def inspect(path: Path) -> CertInfo:
    cert = x509.load_pem_x509_certificate(path.read_bytes())
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        dns = tuple(san.get_values_for_type(x509.DNSName))
        ips = tuple(str(ip) for ip in san.get_values_for_type(x509.IPAddress))
    except x509.ExtensionNotFound:
        dns, ips = (), ()
    return CertInfo(
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        dns_names=dns,
        ip_addresses=ips,
        not_after=cert.not_valid_after_utc,
    )
