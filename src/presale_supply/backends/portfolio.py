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
        Once the first entry has returned without settling the problem, wait at most this many
        seconds more for the children, then stop them (None: until each child returns or its
        watchdog deadline passes).
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
        solver raised is ERROR with the solver's words. No child process outlives the call.
    """
    if not entries:
        raise ValueError("race needs at least one entry")
    stop = threading.Event()
    halt = threading.Event()
    t0 = time.perf_counter()
    children: list[ChildSolve] = []
    results: list[RawSolution | None] = []
    watcher: threading.Thread | None = None
    backend0, model0, options0 = entries[0]

    def settle(winner: int) -> None:
        """Entry ``winner`` (0: the in-process one) settled the problem: stop the rest."""
        stop.set()
        name = entries[winner][0].name
        for k, child in enumerate(children):
            if k + 1 != winner and results[k] is None:
                child.kill(
                    f"{child.backend.name} stopped after {time.perf_counter() - t0:.1f} s: "
                    f"{name} settled the problem first"
                )
                results[k] = child.result()

    def watch() -> None:
        while not halt.is_set() and any(r is None for r in results):
            for k, child in enumerate(children):
                if results[k] is not None:
                    continue
                try:
                    if not child.poll(0.05):
                        continue
                    res = child.result()
                except Exception as exc:  # a failing child is a result, not a crash
                    res = _error(child.backend, time.perf_counter() - t0, exc)
                results[k] = res
                if res.status in DECISIVE:
                    settle(k + 1)

    try:
        for b, m, o in entries[1:]:
            children.append(ChildSolve(b, m, o, grace=grace, start_method=start_method))
            results.append(None)
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
            watcher.join(wait)
        else:
            watcher.join()
    finally:
        halt.set()
        if watcher is not None:
            watcher.join()
        for k, child in enumerate(children):
            if results[k] is None:
                child.kill(
                    f"{child.backend.name} stopped after {time.perf_counter() - t0:.1f} s: "
                    "its time was up"
                )
                results[k] = child.result()
    out = [first]
    for res in results:
        assert res is not None
        out.append(res)
    return out
