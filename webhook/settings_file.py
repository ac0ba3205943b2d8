"""`serve --config`: the settings file, reloaded when its contents change.

A ConfigMap mounted as a volume changes by symlink swap and emits no reliable file events, so the file's
digest is polled (as `webhook.tls` does for the certificate). Only a file that parses and names only known
rules replaces the settings in force; anything else is logged once per content and the previous settings
keep serving, so a bad edit to the ConfigMap never opens or closes the gate by accident.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from pathlib import Path

from tenantguard import platform
from tenantguard.policies.settings import Settings, SettingsError

log = logging.getLogger("tenantguard.settings")


class SettingsFile:
    def __init__(self, path: Path, apply: Callable[[Settings], None]) -> None:
        self.path, self.apply = path, apply
        self.digest = self._read()[0]  # the file serve started with, already loaded
        self._rejected = ""  # digest of the last content refused, so each bad version is logged once

    def _read(self) -> tuple[str, bytes]:
        try:
            data = self.path.read_bytes()
        except OSError as err:
            return f"unreadable: {err}", b""
        return hashlib.sha256(data).hexdigest(), data

    def reload(self) -> bool:
        """Apply the file if its contents changed and are valid; True when new settings took effect."""
        digest, data = self._read()
        if digest in (self.digest, self._rejected):
            return False
        try:
            if digest.startswith("unreadable: "):
                raise SettingsError([f"{self.path}: {digest.removeprefix('unreadable: ')}"])
            settings = platform.settings_from_text(data.decode("utf-8"), str(self.path))
        except (SettingsError, UnicodeDecodeError) as err:
            self._rejected = digest
            problems = err.problems if isinstance(err, SettingsError) else [f"{self.path}: {err}"]
            log.warning(
                "settings reload refused, keeping the current settings",
                extra={"fields": {"file": str(self.path), "problems": problems}},
            )
            return False
        self.apply(settings)
        self.digest, self._rejected = digest, ""
        log.info("settings reloaded", extra={"fields": {"file": str(self.path), "sha256": digest[:12]}})
        return True

    def watch(self, stop: threading.Event, interval: float = 2.0) -> threading.Thread:
        def loop() -> None:
            while not stop.wait(interval):
                self.reload()

        thread = threading.Thread(target=loop, name="settings-reloader", daemon=True)
        thread.start()
        return thread
