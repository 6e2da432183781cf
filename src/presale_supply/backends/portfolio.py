"""Run several backends on the same problem at once and keep what each proves.

The first entry runs in this process (its progress callback works); every other entry runs in a
child process (:class:`~presale_supply.backends.base.ChildSolve`). When one of them proves its
model optimal or infeasible, the others are stopped: CP-SAT through its stop event, a child
process by killing it. Each entry may solve a different formulation of the same problem, so the
caller combines the results (:func:`presale_supply.replenishment.solve.solve` keeps the best
checked plan and the largest valid bound).

This module imports no solver package; the backends do.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Sequence

from presale_supply.backends.base import (
    Backend,
    ChildSolve,
    RawSolution,
    SolveOptions,
    Status,
    run_backend,
)
from presale_supply.milp import MILP

__all__ = ["DECISIVE", "race"]

#: Statuses that settle the problem: once one entry has one, the others are stopped.
DECISIVE = (Status.OPTIMAL, Status.INFEASIBLE, Status.UNBOUNDED)


def _error(backend: Backend, seconds: float, exc: BaseException) -> RawSolution:
    return RawSolution(
        Status.ERROR,
        None,
        None,
        None,
        seconds,
        backend.version(),
        f"{backend.name} failed: {type(exc).__name__}: {exc}",
    )


def race(
    entries: Sequence[tuple[Backend, MILP, SolveOptions]],
    *,
    wait: float | None = None,
    grace: float = 30.0,
    start_method: str | None = None,
) -> list[RawSolution]:
    """Solve every ``(backend, model, options)`` entry concurrently; one result per entry.

    Parameters
    ----------
    entries : sequence of (Backend, MILP, SolveOptions)
        The first runs in this process, the others in child processes. Their options should
        split the threads the caller may use between them. The first entry's ``stop`` option
        is replaced by the race's own.
    wait : float, optional
        Once the first entry has returned without settling the problem, wait for the children
        until their own time is up (their ``deadline`` option, else their ``time_limit``
        counted from the start of the race) and at most this many seconds more, then stop
        them (None: until each child returns or its watchdog deadline passes).
    grace : float
        Seconds a child may overrun its time limit before its watchdog kills it (see
        :func:`~presale_supply.backends.base.solve_with_watchdog`).
    start_method : {"fork", "spawn"}, optional
        How the children start (default: as :class:`~presale_supply.backends.base.ChildSolve`
        chooses).

    Returns
    -------
    list of RawSolution
        In the order of ``entries``. An entry stopped because another settled the problem
        keeps what it had (CP-SAT) or is NO_SOLUTION saying so (a killed child); an entry whose
        solver raised, or whose child process could not start, is ERROR with the reason. No
        child process outlives the call.

    Raises
    ------
    ValueError
        If ``entries`` is empty.
    """
    if not entries:
        raise ValueError("race needs at least one entry")
    stop = threading.Event()
    halt = threading.Event()
    t0 = time.perf_counter()
    m0 = time.monotonic()
    children: list[ChildSolve | None] = []
    results: list[RawSolution | None] = []
    watcher: threading.Thread | None = None
    backend0, model0, options0 = entries[0]

    def collect(child: ChildSolve, timeout: float) -> RawSolution | None:
        """The child's result once it is known within ``timeout`` seconds, else None."""
        try:
            return child.result() if child.poll(timeout) else None
        except Exception as exc:  # a failing child is a result, not a crash
            return _error(child.backend, time.perf_counter() - t0, exc)

    def finish(child: ChildSolve, why: str) -> RawSolution:
        """The child's result if it has one already, else stop it and say ``why``."""
        res = collect(child, 0)
        if res is not None:
            return res
        child.kill(f"{child.backend.name} stopped after {time.perf_counter() - t0:.1f} s: {why}")
        return child.result()

    def settle(winner: int) -> None:
        """Entry ``winner`` (0: the in-process one) settled the problem: stop the rest."""
        stop.set()
        name = entries[winner][0].name
        for k, child in enumerate(children):
            if k + 1 != winner and results[k] is None and child is not None:
                results[k] = finish(child, f"{name} settled the problem first")

    def end_of(options: SolveOptions) -> float | None:
        """When a child's own time is up, on the monotonic clock (None: no limit)."""
        if options.deadline is not None:
            return options.deadline
        return None if options.time_limit is None else m0 + options.time_limit

    def watch() -> None:
        while not halt.is_set() and any(r is None for r in results):
            for k, child in enumerate(children):
                if results[k] is not None or child is None:
                    continue
                res = collect(child, 0.05)
                if res is None:
                    continue
                results[k] = res
                if res.status in DECISIVE:
                    settle(k + 1)

    try:
        for b, m, o in entries[1:]:
            try:
                children.append(ChildSolve(b, m, o, grace=grace, start_method=start_method))
                results.append(None)
            except OSError as exc:  # no process could be started (memory, process limits)
                children.append(None)
                results.append(_error(b, time.perf_counter() - t0, exc))
        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        try:
            first = run_backend(backend0, model0, dataclasses.replace(options0, stop=stop))
        except Exception as exc:  # the children may still solve it
            first = _error(backend0, time.perf_counter() - t0, exc)
        if first.status in DECISIVE:
            halt.set()
            watcher.join()
            settle(0)
        elif wait is not None:
            ends = [end_of(o) for _, _, o in entries[1:]]
            if any(e is None for e in ends):
                watcher.join()
            else:
                until = max(e for e in ends if e is not None) + wait
                watcher.join(max(0.0, until - time.monotonic()))
        else:
            watcher.join()
    finally:
        halt.set()
        if watcher is not None:
            watcher.join()
        for k, child in enumerate(children):
            if results[k] is None and child is not None:
                results[k] = finish(child, "its time was up")
    out = [first]
    for res in results:
        assert res is not None
        out.append(res)
    return out
