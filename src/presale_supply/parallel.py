"""Run independent partitions of a computation on any ``concurrent.futures.Executor``.

The heavy entry points (the forecaster, SLA prediction, the stochastic planner, the solver
benchmark) split their work into *partitions* that share nothing: chunks of series, warehouses,
suppliers, benchmark cells. :func:`run_partitions` runs them in this process (no executor: the
single-process behaviour, unchanged) or on an executor -- a process pool
(:func:`default_executor`) or a Dask ``distributed`` client's ``client.get_executor()`` -- and
returns the results **in the partitions' order**, so the caller merges them exactly as it
would have merged the single-process results. Everything pooled over partitions (calibration,
stock allocation, checks) stays in the caller.

A partition whose future fails for a reason that is not a property of the data (a worker that
died, a broken pool, a lost connection) is submitted once more; if the executor cannot take
work any more, the partition runs in this process. A second failure raises
:class:`PartitionError` naming the partition. Errors the library raises on purpose
(:class:`~presale_supply.exceptions.PresaleSupplyError`, e.g. bad input) are deterministic and
are re-raised at once, unchanged, with a note naming the partition.

A Dask cluster reschedules the tasks of a worker that dies on its own (up to
``distributed.scheduler.allowed-failures`` times), so with Dask the retry is rarely needed.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import pickle
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from presale_supply.exceptions import PresaleSupplyError

__all__ = [
    "Partition",
    "PartitionError",
    "RemoteError",
    "chunk_slices",
    "default_executor",
    "executor_workers",
    "run_partitions",
]

_log = logging.getLogger(__name__)

R = TypeVar("R")


class PartitionError(PresaleSupplyError):
    """A partition failed twice (on the executor and on the retry).

    Attributes
    ----------
    partition : str
        The partition's name (e.g. ``"warehouse WH-East"``, ``"supplier S3"``).
    """

    def __init__(self, partition: str, message: str) -> None:
        self.partition = partition
        super().__init__(partition, message)

    def __str__(self) -> str:
        return f"partition {self.args[0]!r} failed: {self.args[1]}"


class RemoteError(Exception):
    """Stand-in for an exception raised on a worker that cannot be sent back as it is.

    An exception whose class cannot be rebuilt from its pickled form would break a process
    pool (or a Dask future) when it is returned; the worker raises this instead, with the
    original type name, message and traceback text (or, for one of the library's own errors,
    a plain :class:`~presale_supply.exceptions.PresaleSupplyError` with the type name in the
    message, so that it is still not retried).
    """

    def __init__(self, type_name: str, message: str, remote_traceback: str = "") -> None:
        self.type_name = type_name
        self.remote_traceback = remote_traceback
        super().__init__(type_name, message, remote_traceback)

    def __str__(self) -> str:
        return f"{self.args[0]}: {self.args[1]}"


@dataclass(frozen=True)
class Partition:
    """One independent piece of work: ``fn(*args, **kwargs)``, called ``name`` in reports."""

    name: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)


def default_executor(max_workers: int | None = None) -> ProcessPoolExecutor:
    """A process pool with one worker per core (``os.cpu_count()``) to pass as ``executor=``.

    Workers are started with ``forkserver`` where the platform has it (``spawn`` elsewhere):
    forking a process that runs solver or numba threads can deadlock. Each worker imports the
    library on its first task (about a second). Use it as a context manager, or call
    ``shutdown()`` when done::

        with default_executor() as pool:
            res = forecast(history, horizon=14, executor=pool)
    """
    n = max_workers if max_workers is not None else (os.cpu_count() or 1)
    if n < 1:
        raise ValueError(f"max_workers must be >= 1. Got: {max_workers!r}.")
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    return ProcessPoolExecutor(max_workers=n, mp_context=ctx)


def executor_workers(executor: Executor | None) -> int:
    """How many tasks ``executor`` runs at once (1 without one).

    Knows ``ProcessPoolExecutor``/``ThreadPoolExecutor`` (``max_workers``) and Dask's
    ``ClientExecutor`` (the cluster's threads when asked); otherwise ``os.cpu_count()``.
    """
    if executor is None:
        return 1
    n = getattr(executor, "_max_workers", None)
    if isinstance(n, int) and n > 0:
        return n
    client = getattr(executor, "_client", None)
    nthreads = getattr(client, "nthreads", None)
    if callable(nthreads):
        try:
            total = sum(int(v) for v in nthreads().values())
        except Exception:  # a client that cannot answer: fall back to the machine
            total = 0
        if total > 0:
            return total
    return os.cpu_count() or 1


def chunk_slices(n: int, parts: int) -> list[slice]:
    """Split ``range(n)`` into at most ``parts`` contiguous, non-empty slices of near-equal size.

    The slices are in order and cover ``0 .. n - 1`` exactly once (none for ``n == 0``).
    """
    if n <= 0:
        return []
    k = max(1, min(int(parts), n))
    q, r = divmod(n, k)
    out = []
    start = 0
    for i in range(k):
        stop = start + q + (1 if i < r else 0)
        out.append(slice(start, stop))
        start = stop
    return out


def _call(
    fn: Callable[..., Any], attempt: int, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """Run one partition on a worker; ``attempt`` only makes a retry a distinct task (Dask keys
    pure tasks by their arguments)."""
    del attempt
    try:
        return fn(*args, **kwargs)
    except Exception as exc:
        try:
            pickle.loads(pickle.dumps(exc))
        except Exception:
            if isinstance(exc, PresaleSupplyError):  # keep "raised on purpose": not retried
                raise PresaleSupplyError(f"{type(exc).__name__}: {exc}") from None
            tb = "".join(traceback.format_exception(exc))
            raise RemoteError(type(exc).__name__, str(exc), tb) from None
        raise


def _retry(executor: Executor, fn: Callable[..., R], part: Partition, first: BaseException) -> R:
    """Second and last attempt of a failed partition: on the executor, or here if it is broken."""
    _log.warning(
        "partition %r failed (%s: %s); retrying once", part.name, type(first).__name__, first
    )
    try:
        fut = executor.submit(_call, fn, 1, part.args, part.kwargs)
    except RuntimeError:  # shut down or broken (BrokenExecutor): run it in this process
        _log.warning("the executor takes no more work; running partition %r here", part.name)
        try:
            return fn(*part.args, **part.kwargs)
        except PresaleSupplyError:
            raise
        except Exception as exc:
            raise PartitionError(part.name, f"{type(exc).__name__}: {exc}") from exc
    try:
        return fut.result()
    except PresaleSupplyError as exc:
        exc.add_note(f"(in partition {part.name!r})")
        raise
    except Exception as exc:
        raise PartitionError(part.name, f"{type(exc).__name__}: {exc}") from exc


def run_partitions(
    fn: Callable[..., R],
    parts: Sequence[Partition],
    executor: Executor | None = None,
    *,
    on_done: Callable[[int, R], None] | None = None,
) -> list[R]:
    """``[fn(*p.args, **p.kwargs) for p in parts]``, on ``executor`` when one is given.

    Parameters
    ----------
    fn : callable
        A module-level function (it is pickled by reference to reach other processes).
    parts : sequence of Partition
        The partitions, in the order their results are wanted.
    executor : concurrent.futures.Executor, optional
        Where to run them (all are submitted at once); ``None`` runs them here, in order.
    on_done : callable, optional
        Called as ``on_done(position, result)`` in this process as each result is gathered
        (in order), e.g. to advance a progress bar.

    Returns
    -------
    list
        One result per partition, in the order of ``parts``.

    Raises
    ------
    PresaleSupplyError
        Raised by ``fn`` on purpose; re-raised unchanged (with a note naming the partition
        when it ran on the executor), the remaining partitions are cancelled.
    PartitionError
        When a partition failed on the executor and again on the retry.
    """
    out: list[R] = []
    if executor is None:
        for pos, part in enumerate(parts):
            res = fn(*part.args, **part.kwargs)
            out.append(res)
            if on_done is not None:
                on_done(pos, res)
        return out
    futures: list[Future[R]] = [executor.submit(_call, fn, 0, p.args, p.kwargs) for p in parts]
    try:
        for pos, (part, fut) in enumerate(zip(parts, futures, strict=True)):
            try:
                res = fut.result()
            except PresaleSupplyError as exc:
                exc.add_note(f"(in partition {part.name!r})")
                raise
            except Exception as exc:
                res = _retry(executor, fn, part, exc)
            out.append(res)
            if on_done is not None:
                on_done(pos, res)
    except BaseException:
        for fut in futures:
            fut.cancel()
        raise
    return out
