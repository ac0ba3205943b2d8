"""The real mTLS sidecar for the end-to-end tests: ghostunnel from the build cache, run with the injected args.

`binary()` finds ghostunnel where `scripts/build-ghostunnel.sh` puts it (``$TENANTGUARD_CACHE`` or
``~/.cache/tenantguard``, ``ghostunnel-<version>/bin``), building it when absent (the script holds a lock, so
concurrent runs wait for one build). `localised()` turns a sidecar container the API server stored into a local
command line: the certificate directory and the listen and target ports rewritten, every other flag as injected.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "build-ghostunnel.sh"
VERSION = "v1.11.1"  # keep in step with scripts/build-ghostunnel.sh and the sidecar image (a unit test checks)


class GhostunnelError(RuntimeError):
    """ghostunnel cannot be had or did not start; the message says why."""


def cached(env: Mapping[str, str]) -> Path:
    cache = Path(env.get("TENANTGUARD_CACHE") or Path(env.get("HOME", "~")) / ".cache" / "tenantguard")
    version = env.get("TENANTGUARD_GHOSTUNNEL_VERSION", VERSION)
    return cache.expanduser() / f"ghostunnel-{version}" / "bin" / "ghostunnel"


def binary(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    found = cached(env)
    if os.access(found, os.X_OK):
        return found
    proc = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, env=dict(env), check=False)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines or not os.access(lines[-1], os.X_OK):
        raise GhostunnelError(f"{SCRIPT} failed (exit {proc.returncode}): {proc.stderr.strip()[-2000:]}")
    return Path(lines[-1])


def run_version(exe: Path) -> str:
    proc = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=30, check=False)
    return (proc.stdout + proc.stderr).strip()


def localised(container: Mapping[str, Any], *, mount: str, cert_dir: Path, listen: int, target: int) -> list[str]:
    """The sidecar's args with its certificate `mount` at `cert_dir` and its ports on loopback: `listen` for
    `--listen`, `target` for `--target`. Anything else it injects is kept; an arg naming the mount elsewhere
    than these flags, or a missing flag, is an error (the test would no longer run what the webhook injects)."""
    mount_path = mount.rstrip("/") + "/"
    out: list[str] = []
    rewritten: set[str] = set()
    for arg in container["args"]:
        flag, _, value = arg.partition("=")
        if flag == "--listen":
            out.append(f"--listen=127.0.0.1:{listen}")
        elif flag == "--target":
            host, _, _ = value.rpartition(":")
            if host not in ("127.0.0.1", "localhost"):
                raise GhostunnelError(f"the injected --target {value!r} is not this pod's loopback")
            out.append(f"--target=127.0.0.1:{target}")
        elif value.startswith(mount_path):
            out.append(f"{flag}={cert_dir / value.removeprefix(mount_path)}")
        elif mount_path in arg:
            raise GhostunnelError(f"unexpected use of the certificate mount: {arg!r}")
        else:
            out.append(arg)
            continue
        rewritten.add(flag)
    if rewritten != {"--listen", "--target", "--cert", "--key", "--cacert"}:
        raise GhostunnelError(f"the injected args did not carry the expected flags: {container['args']}")
    return out


def _die_with_parent() -> None:
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass(slots=True)
class Ghostunnel:
    """One ghostunnel process; its log (one line per connection and reload) in `log`."""

    exe: Path
    args: list[str]
    log: Path
    proc: subprocess.Popen[bytes] | None = field(default=None)

    def start(self, timeout: float = 20) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [str(self.exe), *self.args], stdout=out, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent
            )
        deadline = time.monotonic() + timeout
        while b"listening for connections on" not in self.log.read_bytes():
            if self.proc.poll() is not None:
                raise GhostunnelError(f"ghostunnel exited {self.proc.returncode}: {self.tail()}")
            if time.monotonic() > deadline:
                raise GhostunnelError(f"ghostunnel did not listen within {timeout} s: {self.tail()}")
            time.sleep(0.05)

    def reloads(self) -> int:
        return self.log.read_bytes().count(b"reloading configuration complete")

    def tail(self, lines: int = 20) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
