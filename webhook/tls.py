"""Serving TLS: an SSLContext (TLS >= 1.2) whose certificate is reloaded when the files' digest changes.

Mounted Secrets change by symlink swap and emit no reliable file events, so we poll a digest. Reloading
calls load_cert_chain on the same context: new handshakes get the new certificate, in-flight ones finish
with the old.
"""

from __future__ import annotations

import hashlib
import logging
import ssl
import threading
from pathlib import Path

from tenantguard.webhook.certs import inspect

log = logging.getLogger("tenantguard.tls")


class ReloadingContext:
    def __init__(self, cert_file: Path, key_file: Path) -> None:
        self.cert_file, self.key_file = cert_file, key_file
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.minimum_version = ssl.TLSVersion.TLSv1_2
        self.context.set_alpn_protocols(["http/1.1"])
        self._digest = ""
        self.loaded = False
        self.not_after = 0.0
        self.reload()

    def _current_digest(self) -> str:
        h = hashlib.sha256()
        h.update(self.cert_file.read_bytes())
        h.update(self.key_file.read_bytes())
        return h.hexdigest()

    def reload(self) -> bool:
        """Load the files if they changed; a half-written or mismatched pair keeps the old certificate."""
        try:
            digest = self._current_digest()
            if digest == self._digest:
                return False
            self.context.load_cert_chain(str(self.cert_file), str(self.key_file))
        except (OSError, ssl.SSLError) as err:
            log.warning("certificate reload failed, keeping the current one: %s", err)
            return False
        self._digest = digest
        self.loaded = True
        self.not_after = inspect(self.cert_file).not_after.timestamp()
        log.info("serving certificate loaded", extra={"fields": {"notAfter": self.not_after}})
        return True

    def watch(self, stop: threading.Event, interval: float = 2.0) -> threading.Thread:
        def loop() -> None:
            while not stop.wait(interval):
                self.reload()

        thread = threading.Thread(target=loop, name="cert-reloader", daemon=True)
        thread.start()
        return thread
