"""Work over forked worker processes in two phases, with one exchange between them.

Lint reads and judges files in parallel, but judging needs something from every file (Tenants, ConfigMaps,
autoscaling targets). So each worker runs `first` on its share and keeps what it returns for itself; the parent
gets every worker's summary, `combine`s them, and sends the one combined value to every worker; each worker then
runs `second` on what it kept and the combined value, and sends back its results. What a worker read stays in
that worker: only summaries and results cross a pipe.

Workers are forked, so they start with the parent's imports and data (settings, Tenants): nothing is imported or
read twice. Where fork is not the platform's way (macOS, Windows), `count` answers 1 and the caller runs serially.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

T = TypeVar("T")
K = TypeVar("K")
S = TypeVar("S")
B = TypeVar("B")
R = TypeVar("R")

# Work worth a worker of its own: below this many bytes of input per worker, forking and the pipes cost more than
# the parallel part saves (~100 ms of reading and judging a typical chart's objects).
BYTES_PER_WORKER = 256 * 1024


class WorkerError(RuntimeError):
    """A worker failed (its traceback is the message) or exited without answering."""


def cpus() -> int:
    """The CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def can_fork() -> bool:
    return sys.platform.startswith("linux") and hasattr(os, "fork")


def count(jobs: int, sizes: Sequence[int]) -> int:
    """How many workers to run for inputs of these sizes (bytes): `jobs` when given (≥ 1), and for 0 (auto) one
    per CPU as long as each has `BYTES_PER_WORKER` to do. Never more than there are inputs."""
    if not can_fork() or len(sizes) < 2:
        return 1
    wanted = jobs if jobs > 0 else min(cpus(), sum(sizes) // BYTES_PER_WORKER)
    return max(1, min(wanted, len(sizes)))


def split(sizes: Sequence[int], n: int) -> list[list[int]]:
    """The indices of `sizes` in `n` shares of about equal total size (largest first to the lightest share),
    each in ascending order."""
    shares: list[list[int]] = [[] for _ in range(n)]
    loads = [0] * n
    for i in sorted(range(len(sizes)), key=lambda i: -sizes[i]):
        lightest = loads.index(min(loads))
        shares[lightest].append(i)
        loads[lightest] += sizes[i]
    return [sorted(share) for share in shares if share]


def in_order(shares: Sequence[Sequence[int]], per_share: Sequence[Sequence[R]]) -> list[R]:
    """Per-share results (one per index of the share) back in the order of the indices."""
    by_index = {i: r for share, found in zip(shares, per_share, strict=True) for i, r in zip(share, found, strict=True)}
    return [by_index[i] for i in range(len(by_index))]


def run(
    shares: Sequence[Sequence[T]],
    first: Callable[[Sequence[T]], tuple[S, K]],
    combine: Callable[[list[S]], B],
    second: Callable[[K, B], R],
) -> list[R]:
    """`second`'s result for every share, in the order of `shares`; `combine` runs in this process."""
    import multiprocessing  # here: a serial lint never pays for importing it

    ctx = multiprocessing.get_context("fork")
    pipes: list[Connection] = []
    procs = []
    try:
        for share in shares:
            mine, theirs = ctx.Pipe()
            proc = ctx.Process(target=_work, args=(theirs, share, first, second), daemon=True)
            proc.start()
            theirs.close()
            pipes.append(mine)
            procs.append(proc)
        combined = combine([_answer(pipe, proc) for pipe, proc in zip(pipes, procs, strict=True)])
        data = pickle.dumps(combined, protocol=pickle.HIGHEST_PROTOCOL)
        for pipe in pipes:
            pipe.send_bytes(data)
        return [_answer(pipe, proc) for pipe, proc in zip(pipes, procs, strict=True)]
    finally:
        for pipe in pipes:
            pipe.close()
        for proc in procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()
                proc.join()


def _answer(pipe: Connection, proc: Any) -> Any:
    try:
        status, value = pipe.recv()
    except EOFError:
        proc.join()
        raise WorkerError(f"a worker process exited with code {proc.exitcode} before answering") from None
    if status != "ok":
        raise WorkerError(value)
    return value


def _work(pipe: Connection, share: Sequence[T], first: Callable[..., Any], second: Callable[..., Any]) -> None:
    try:
        summary, kept = first(share)
        pipe.send(("ok", summary))
        combined = pickle.loads(pipe.recv_bytes())
        pipe.send(("ok", second(kept, combined)))
    except (EOFError, BrokenPipeError):
        pass  # the parent gave up (another worker failed)
    except BaseException:  # the parent reports it
        with contextlib.suppress(OSError):
            pipe.send(("error", traceback.format_exc()))
    finally:
        pipe.close()
