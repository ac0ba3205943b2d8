"""Serving TLS (TLS >= 1.2): the certificate pair is reloaded when the files' digest changes.

Mounted Secrets change by symlink swap and emit no reliable file events, so we poll a digest. A changed pair is
loaded into a fresh scratch context, and only a pair that loads — both files parse, the key matches the
certificate — replaces the one being served. A failed load never touches a context in use: `load_cert_chain`
on a live context can leave it holding a new certificate with the old key, and then every handshake fails.

uvicorn serves with `ReloadingContext.context`, which holds no certificate of its own: its `sni_callback`
hands every new handshake the current pair's context (`ssl_object.context = ...`). OpenSSL calls it for every
ClientHello, with or without SNI, on plain sockets and on the SSLObjects of asyncio's and uvloop's transports.
A handshake under way and an open connection keep the context they started with.

With a client CA (`serve --client-ca`), every handshake must present a certificate that CA signed. The CA file is
part of the pair: it is read with the certificate and key, its digest is in the pair's, and each pair's context
verifies with the CA read beside it, so a rotated CA is picked up like a rotated certificate. OpenSSL verifies with
the store of the context the callback selected, but takes the verify mode from the context the connection began
with: both require a certificate.
"""

from __future__ import annotations

import hashlib
import logging
import ssl
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509

log = logging.getLogger("tenantguard.tls")


TLS12_CIPHERS = "ECDHE+AESGCM:ECDHE+CHACHA20"


def server_context(*, client_auth: bool = False) -> ssl.SSLContext:
    """Every serving setting, in one place: the dispatching context and each pair's context get the same."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    # TLS 1.2: forward-secret AEAD suites only (kube-apiserver's Go client offers these first); no CBC, no RSA key
    # exchange, no SHA-1 MACs. TLS 1.3's suites are all AEAD and not set here.
    context.set_ciphers(TLS12_CIPHERS)
    context.set_alpn_protocols(["http/1.1"])
    if client_auth:
        context.verify_mode = ssl.CERT_REQUIRED  # no certificate, or one the CA did not sign: no handshake
    return context


@dataclass(frozen=True, slots=True, kw_only=True)
class ServedPair:
    """A pair that loaded; swapped in as one reference, so readers never see parts of two pairs."""

    context: ssl.SSLContext
    digest: str
    serial: int
    not_after: float


def _digest(*parts: bytes) -> str:
    h = hashlib.sha256()
    for data in parts:
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()


class ReloadingContext:
    def __init__(self, cert_file: Path, key_file: Path, client_ca: Path | None = None) -> None:
        self.cert_file, self.key_file, self.client_ca = cert_file, key_file, client_ca
        self.context = server_context(client_auth=client_ca is not None)
        self.context.sni_callback = self._select
        self._served: ServedPair | None = None
        self._reported = ""  # the last failure logged: each bad pair is logged once, not at every poll
        self.problem = ""  # why the files on disk are not served (empty when they are)
        self._lock = threading.Lock()
        self.reload()

    @property
    def loaded(self) -> bool:
        return self._served is not None

    @property
    def not_after(self) -> float:
        """Expiry (Unix time) of the certificate being served; 0 before any pair loaded."""
        served = self._served
        return served.not_after if served is not None else 0.0

    @property
    def serial(self) -> int | None:
        served = self._served
        return served.serial if served is not None else None

    def _select(self, ssl_object: ssl.SSLObject | ssl.SSLSocket, server_name: str | None, _: ssl.SSLContext) -> None:
        served = self._served  # one read: the pair current when this handshake began
        if served is not None:
            ssl_object.context = served.context

    def reload(self) -> bool:
        """Serve the pair on disk if it changed and loads; True when it replaced the served one.

        A half-written, unreadable or mismatched pair keeps the current certificate, and is tried again at the
        next call, so the pair that completes it is picked up.
        """
        with self._lock:
            try:
                files = self._read()
            except OSError as err:
                self._report(f"unreadable: {err}", err)
                return False
            digest = _digest(*files)
            if self._served is not None and self._served.digest == digest:
                return False
            try:
                pair = self._load(files, digest)
                unchanged = self._unchanged(digest)
            except (OSError, ssl.SSLError, ValueError) as err:
                if self._unchanged(digest):  # otherwise a file changed while loading: judge the new one next
                    self._report(digest, err)
                return False
            if not unchanged:
                return False
            self._served = pair
            self._reported = self.problem = ""
        fields: dict[str, object] = {"serial": f"{pair.serial:x}", "notAfter": pair.not_after}
        if self.client_ca is not None:
            fields["clientCA"] = str(self.client_ca)
        log.info("serving certificate loaded", extra={"fields": fields})
        return True

    def _read(self) -> tuple[bytes, ...]:
        """The certificate, the key and (with client authentication) the client CA, as they are now."""
        files = (self.cert_file, self.key_file, *((self.client_ca,) if self.client_ca is not None else ()))
        return tuple(path.read_bytes() for path in files)

    def _load(self, files: tuple[bytes, ...], digest: str) -> ServedPair:
        context = server_context(client_auth=self.client_ca is not None)
        context.load_cert_chain(self.cert_file, self.key_file)  # checks that the key matches the certificate
        if self.client_ca is not None:
            try:  # the bytes the digest covers, not the file again
                context.load_verify_locations(cadata=files[2].decode("ascii", errors="replace"))
            except (ssl.SSLError, ValueError) as err:
                raise ValueError(f"client CA {self.client_ca}: {err}") from err
        cert = x509.load_pem_x509_certificate(files[0])
        return ServedPair(
            context=context, digest=digest, serial=cert.serial_number, not_after=cert.not_valid_after_utc.timestamp()
        )

    def _unchanged(self, digest: str) -> bool:
        """The files still hold the pair whose digest was taken, so what loaded is what was judged."""
        try:
            return _digest(*self._read()) == digest
        except OSError:
            return False

    def _report(self, problem: str, err: Exception) -> None:
        self.problem = str(err)
        if problem == self._reported:
            return
        self._reported = problem
        served = self._served
        log.warning(
            "certificate reload failed, still serving the current certificate",
            extra={
                "fields": {
                    "cert": str(self.cert_file),
                    "key": str(self.key_file),
                    "clientCA": str(self.client_ca) if self.client_ca is not None else None,
                    "error": str(err),  # OpenSSL's reason or the OS error: never file contents
                    "serving": f"{served.serial:x}" if served is not None else None,
                }
            },
        )

    def watch(self, stop: threading.Event, interval: float = 2.0) -> threading.Thread:
        def loop() -> None:
            while not stop.wait(interval):
                self.reload()

        thread = threading.Thread(target=loop, name="cert-reloader", daemon=True)
        thread.start()
        return thread
