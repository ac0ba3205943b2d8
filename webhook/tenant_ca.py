"""A tenant's CA over time: when the next one is staged, promoted, and the previous one dropped.

The CA lives 1 year. At 2/3 of it the next CA is *staged*: every trust bundle carries it, nothing is signed with
it. After `STAGE` (1 h, for the reconciler to rewrite every Secret, kubelet to deliver them and the sidecars to
reload) it is *promoted*: it signs from then on, and every leaf is re-issued at once (not signed by the current
CA). The previous CA stays in the bundles for one leaf lifetime after the promotion — every leaf it signed has
expired by then — and is then dropped (annotation `tenantguard.io/previous-ca-until`). So no peer is ever handed a
certificate its bundle does not trust yet, and no valid leaf is ever distrusted.

Only when the reconciler was away past the CA's expiry is the next CA promoted (or a new one made) without the
staging hour: the expired CA could not sign anything anyway.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from cryptography import x509
from cryptography.x509.oid import NameOID

from tenantguard.webhook import pki, secret_pem

LEAF_LIFETIME = dt.timedelta(hours=24)
CA_LIFETIME = dt.timedelta(days=365)
RENEW_FRACTION = 2 / 3
STAGE = dt.timedelta(hours=1)
ORGANIZATION = "tenantguard.io"

CA_CERT, CA_KEY, BUNDLE, NEXT_CERT, NEXT_KEY = "ca.crt", "ca.key", "bundle.crt", "next.crt", "next.key"
PREVIOUS_UNTIL = "tenantguard.io/previous-ca-until"


def renewal(cert: x509.Certificate) -> dt.datetime:
    """2/3 of the way through the certificate's lifetime."""
    start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
    return start + (end - start) * RENEW_FRACTION


@dataclass(frozen=True, slots=True, kw_only=True)
class CaState:
    """The signing CA, the staged next one, and previous ones still trusted until `previous_until`."""

    current: pki.Authority
    next: pki.Authority | None = None
    previous: tuple[x509.Certificate, ...] = ()
    previous_until: dt.datetime | None = None

    @property
    def bundle(self) -> bytes:
        """Every CA trusted now: current, next, previous."""
        certs = [self.current.cert, *([self.next.cert] if self.next else []), *self.previous]
        return b"".join(secret_pem.pem(cert) for cert in certs)

    @property
    def next_event(self) -> dt.datetime:
        """When `advance` will next change something: staging, promotion, dropping the previous CA, or expiry."""
        events = [self.current.cert.not_valid_after_utc]
        events.append(renewal(self.current.cert) if self.next is None else self.next.cert.not_valid_before_utc + STAGE)
        if self.previous_until is not None:
            events.append(self.previous_until)
        return min(events)

    def data(self) -> dict[str, bytes]:
        values = {CA_CERT: self.current.cert_pem, CA_KEY: self.current.key_pem, BUNDLE: self.bundle}
        if self.next is not None:
            values |= {NEXT_CERT: self.next.cert_pem, NEXT_KEY: self.next.key_pem}
        return values

    def annotations(self) -> dict[str, str]:
        return {PREVIOUS_UNTIL: secret_pem.format_time(self.previous_until)} if self.previous_until else {}


def read(secret: Any) -> CaState | None:
    """The state a CA Secret holds; None when it is missing or its signing CA (ca.crt, ca.key) is unusable."""
    current = secret_pem.authority(secret_pem.data(secret, CA_CERT), secret_pem.data(secret, CA_KEY))
    if current is None:
        return None
    staged = secret_pem.authority(secret_pem.data(secret, NEXT_CERT), secret_pem.data(secret, NEXT_KEY))
    known = {current.cert, *([staged.cert] if staged else [])}
    bundle = secret_pem.certificates(secret_pem.data(secret, BUNDLE))
    previous = tuple(c for c in bundle if c not in known and _same_tenant(c, current.cert))
    until = secret_pem.parse_time(secret_pem.annotations_of(secret).get(PREVIOUS_UNTIL)) if previous else None
    return CaState(current=current, next=staged, previous=previous, previous_until=until)


def _tenant(cert: x509.Certificate) -> tuple[str, ...]:
    return tuple(
        str(a.value) for a in cert.subject if a.oid in (NameOID.ORGANIZATION_NAME, NameOID.ORGANIZATIONAL_UNIT_NAME)
    )


def _same_tenant(cert: x509.Certificate, ca: x509.Certificate) -> bool:
    """A CA of the same tenant (a certificate someone added to the bundle is not trusted on)."""
    return secret_pem.is_ca(cert) and _tenant(cert) == _tenant(ca)


def new_ca(tenant: str, now: dt.datetime) -> pki.Authority:
    """A CA for `tenant`, named after its birth so that the current and the next one differ."""
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, tenant),
            x509.NameAttribute(NameOID.COMMON_NAME, f"tenant CA {secret_pem.format_time(now)}"),
        ]
    )
    return pki.new_authority("", CA_LIFETIME, subject=subject, now=now)


def fresh(tenant: str, damaged: Any, now: dt.datetime) -> CaState:
    """A new CA for a missing or unusable Secret; its old ca.crt, if still readable and valid, stays trusted for a
    leaf lifetime so leaves it signed keep working until they are re-issued."""
    current = new_ca(tenant, now)
    old = secret_pem.certificates(secret_pem.data(damaged, CA_CERT))[:1]
    kept = tuple(c for c in old if _same_tenant(c, current.cert) and now < c.not_valid_after_utc)
    return CaState(current=current, previous=kept, previous_until=now + LEAF_LIFETIME if kept else None)


def advance(state: CaState, tenant: str, now: dt.datetime) -> CaState:
    """The state at `now`: promote, drop and stage what is due."""
    if now >= state.current.cert.not_valid_after_utc:
        usable = state.next is not None and now < state.next.cert.not_valid_after_utc
        return CaState(current=state.next if usable and state.next else new_ca(tenant, now))
    if state.next is not None and now >= state.next.cert.not_valid_before_utc + STAGE:
        kept = state.previous if state.previous_until and now < state.previous_until else ()
        state = CaState(current=state.next, previous=(state.current.cert, *kept), previous_until=now + LEAF_LIFETIME)
    if state.previous and state.previous_until is None:  # the annotation was lost: one more leaf lifetime
        state = replace(state, previous_until=now + LEAF_LIFETIME)
    elif state.previous_until is not None and now >= state.previous_until:
        state = replace(state, previous=(), previous_until=None)
    if state.next is None and now >= renewal(state.current.cert):
        state = replace(state, next=new_ca(tenant, now))
    return state
