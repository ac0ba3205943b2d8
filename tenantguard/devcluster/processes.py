"""Detached component processes: start, find, stop; their logs.

Each component runs in its own session (so ``up`` can return and a terminal's Ctrl-C does not
reach it), with stdout and stderr appended to ``logs/<name>.log`` and its pid in ``run/<name>.pid``.
A pid is trusted only while ``/proc/<pid>/cmdline`` still names the binary, so a recycled pid is
never signalled.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from tenantguard.devcluster.layout import Layout

PR_SET_PDEATHSIG = 1
# Children started by this Python process, kept so they can be reaped (no zombies in tests, and
# no ResourceWarning from a Popen collected while its child runs).
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}
_EXIT_CODES: dict[int, int] = {}


class ComponentError(RuntimeError):
    """A component died or did not become healthy; the message carries its log's tail."""


def tail(path: Path, lines: int = 30) -> str:
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 64 * 1024))
            text = handle.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])


def describe_failure(layout: Layout, name: str, problem: str) -> str:
    log = layout.log(name)
    return f"{name}: {problem}; last lines of {log}:\n{tail(log)}"


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM when the starting thread dies (Linux prctl)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def start(layout: Layout, name: str, argv: Sequence[str], *, die_with_parent: bool = False) -> int:
    """Start ``argv`` detached. ``die_with_parent`` ties its life to ours: a test session killed
    with SIGKILL must not leave a control plane running; ``tenantguard dev-cluster up`` must.
    (Linux delivers the signal when the starting *thread* exits: start from a long-lived one.)"""
    layout.logs.mkdir(parents=True, exist_ok=True)
    layout.run.mkdir(parents=True, exist_ok=True)
    log_path = layout.log(name)
    with log_path.open("ab") as log:
        log.write(f"--- {time.strftime('%Y-%m-%dT%H:%M:%S')} {' '.join(argv)}\n".encode())
        log.flush()
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
            cwd=layout.root,
            preexec_fn=_die_with_parent if die_with_parent and sys.platform == "linux" else None,
        )
    _CHILDREN[proc.pid] = proc
    layout.pid_file(name).write_text(f"{proc.pid}\n")
    return proc.pid


def _reap(pid: int) -> None:
    proc = _CHILDREN.get(pid)
    if proc is not None and proc.poll() is not None:
        _EXIT_CODES[pid] = proc.returncode
        del _CHILDREN[pid]


def exit_status(pid: int) -> str:
    """How a child of ours ended, as far as we know."""
    _reap(pid)
    code = _EXIT_CODES.get(pid)
    if code is None:
        return "exited"
    return f"exited with code {code}" if code >= 0 else f"was killed by {signal.Signals(-code).name}"


def is_running(pid: int, binary: str | None = None) -> bool:
    _reap(pid)
    if pid in _CHILDREN:  # our own child and not yet exited: waitpid is the authority, not /proc
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return False
    if stat.rsplit(")", 1)[-1].split()[0] == "Z":  # zombie: exited, not yet reaped by its parent
        return False
    if binary is None:
        return True
    # argv[1] too: a wrapper script in KUBEBUILDER_ASSETS runs as "/bin/sh <script> ...".
    leading = [arg.decode(errors="replace") for arg in cmdline.split(b"\0")[:2]]
    if "/" in binary:
        return binary in leading
    # A bare name (no state file to say which binary) matches on the basename.
    return binary in [Path(arg).name for arg in leading]


def read_pid(layout: Layout, name: str) -> int | None:
    try:
        return int(layout.pid_file(name).read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def running_pid(layout: Layout, name: str, binary: str) -> int | None:
    pid = read_pid(layout, name)
    return pid if pid is not None and is_running(pid, binary) else None


def stop(pid: int, *, timeout: float = 10.0, crash: bool = False) -> None:
    """SIGTERM the process group, SIGKILL it after ``timeout``; reap it if it is our child. ``crash`` sends
    SIGKILL at once: the process gets no chance to close its connections (fault tests)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL if crash else signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and is_running(pid):
        time.sleep(0.05)
    if is_running(pid):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
    proc = _CHILDREN.pop(pid, None)
    if proc is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=timeout)
