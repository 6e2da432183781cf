"""The backend contract: a solver-neutral :class:`~presale_supply.milp.MILP` in, a
:class:`RawSolution` out.

Each backend lives in its own module and imports its solver package only inside ``solve`` (or
``is_available``), so importing presale_supply never imports a solver. Backends are looked up by
name through :func:`get_backend`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import importlib
import importlib.util
import math
import os
import sys
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from presale_supply.exceptions import InputError, SolverUnavailableError
from presale_supply.milp import MILP

__all__ = [
    "BACKENDS",
    "LP_BACKENDS",
    "Backend",
    "ChildSolve",
    "ProgressCallback",
    "RawSolution",
    "SolveOptions",
    "Status",
    "available_backends",
    "backend_available",
    "get_backend",
    "relative_gap",
    "run_backend",
    "solve_with_watchdog",
    "stdout_to_stderr",
]


class Status(enum.StrEnum):
    """How a solve ended. A run stopped at a limit is never OPTIMAL."""

    OPTIMAL = "OPTIMAL"
    """Proven optimal within the requested gap tolerance."""
    FEASIBLE = "FEASIBLE"
    """A feasible solution, not proven optimal (a time, node or work limit stopped the solver)."""
    INFEASIBLE = "INFEASIBLE"
    """Proven to have no feasible solution."""
    UNBOUNDED = "UNBOUNDED"
    """The objective can decrease without bound."""
    NO_SOLUTION = "NO_SOLUTION"
    """A limit was reached before any feasible solution was found (feasibility unknown)."""
    ERROR = "ERROR"
    """The solver failed."""

    @property
    def has_solution(self) -> bool:
        """True for OPTIMAL and FEASIBLE."""
        return self in (Status.OPTIMAL, Status.FEASIBLE)


#: Called with (seconds elapsed, incumbent objective, best bound or None) on progress.
ProgressCallback = Callable[[float, float, float | None], None]


@dataclass(frozen=True)
class SolveOptions:
    """Solver-independent parameters.

    Parameters
    ----------
    time_limit : float, optional
        Wall-clock seconds (None: no limit). Not reproducible; tests that assert values use
        ``node_limit`` or CP-SAT's deterministic ``work_limit`` instead.
    threads : int
        Threads the solver may use (SCIP is always run with 1: its concurrent mode mislabels
        results).
    seed : int
        Random seed.
    gap : float
        Relative gap at which a solve may stop and call the result optimal.
    node_limit : int, optional
        Branch-and-bound node limit (MIP backends), a reproducible limit.
    work_limit : float, optional
        CP-SAT deterministic time limit, a reproducible limit.
    log : bool
        Stream the solver's own log to stderr.
    progress : callable, optional
        Called on each new incumbent where the backend supports it (see
        :data:`ProgressCallback`).
    stop : threading.Event, optional
        When set by another thread, the solve ends early and returns what it has (CP-SAT only;
        used by the portfolio, :mod:`presale_supply.backends.portfolio`).
    deadline : float, optional
        A ``time.monotonic()`` instant the solve should end by: the solver's clock gets the
        smaller of ``time_limit`` and the time left until then, measured just before the
        solver starts, so the backend's own model building comes out of it (CP-SAT and the
        MathOpt backends; the monotonic clock is shared with forked child processes).
    """

    time_limit: float | None = 60.0
    threads: int = 1
    seed: int = 0
    gap: float = 1e-6
    node_limit: int | None = None
    work_limit: float | None = None
    log: bool = False
    progress: ProgressCallback | None = None
    stop: threading.Event | None = None
    deadline: float | None = None

    def solver_seconds(self) -> float | None:
        """The limit to give the solver now: ``time_limit``, cut to what is left until
        ``deadline`` (at least 0.05 s, so that the solver still returns what it has)."""
        if self.deadline is None:
            return self.time_limit
        left = max(0.05, self.deadline - time.monotonic())
        return left if self.time_limit is None else min(self.time_limit, left)

    def __post_init__(self) -> None:
        if self.time_limit is not None and not self.time_limit > 0:
            raise InputError(
                "time_limit must be > 0 seconds (or None).",
                column="time_limit",
                value=self.time_limit,
            )
        if not isinstance(self.threads, int) or self.threads < 1:
            raise InputError(
                "threads must be a whole number >= 1.", column="threads", value=self.threads
            )
        if not 0 <= self.gap < 1:
            raise InputError("gap must be in [0, 1).", column="gap", value=self.gap)
        if self.node_limit is not None and self.node_limit < 1:
            raise InputError("node_limit must be >= 1.", column="node_limit", value=self.node_limit)


@dataclass(frozen=True, eq=False)
class RawSolution:
    """What a backend returns, before the planner checks it.

    Attributes
    ----------
    status : Status
        As the backend reads its solver (the planner may downgrade OPTIMAL to FEASIBLE when the
        recomputed gap exceeds the tolerance).
    x : ndarray or None
        Variable values, when a solution exists.
    objective : float or None
        The solver's objective value (the planner recomputes it independently).
    bound : float or None
        Best proven lower bound on the objective.
    seconds : float
        Wall time of the solve call.
    solver : str
        Backend name and solver version.
    message : str
        The solver's own termination words.
    """

    status: Status
    x: np.ndarray | None
    objective: float | None
    bound: float | None
    seconds: float
    solver: str
    message: str = ""


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """``|objective - bound| / max(|objective|, 1e-9)``; 0 when both are 0; None if unknown."""
    if objective is None or bound is None or not math.isfinite(bound):
        return None
    diff = abs(objective - bound)
    if diff <= 1e-9 * max(1.0, abs(objective)):
        return 0.0
    return diff / max(abs(objective), 1e-9)


@contextlib.contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """Send everything written to file descriptor 1 (by us, a C library or a child process)
    to file descriptor 2 while active, so solver banners never corrupt JSON on stdout."""
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError):  # pragma: no cover - no real stdout (embedded interpreters)
        yield
        return
    try:
        os.dup2(2, 1)
        yield
    finally:
        with contextlib.suppress(OSError, ValueError):
            sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


class Backend(ABC):
    """Base class of solver backends.

    Subclasses set :attr:`name`, :attr:`package` and implement :meth:`solve`.
    """

    #: Name used to select the backend (``solve(..., solver=name)``).
    name: ClassVar[str]
    #: The Python package the backend needs.
    package: ClassVar[str]
    #: One-line description.
    description: ClassVar[str] = ""
    #: Whether the solver accepts continuous variables (CP-SAT does not).
    supports_continuous: ClassVar[bool] = True
    #: Whether the solver's time limit may be overrun badly (then it runs under a watchdog).
    soft_time_limit: ClassVar[bool] = False

    @classmethod
    def is_available(cls) -> bool:
        """True when the solver package can be imported."""
        return importlib.util.find_spec(cls.package) is not None

    @abstractmethod
    def solve(self, model: MILP, options: SolveOptions) -> RawSolution:
        """Solve ``model`` and return a :class:`RawSolution`."""

    def version(self) -> str:
        """Solver package version."""
        try:
            from importlib.metadata import version

            return f"{self.name} ({self.package} {version(self.package)})"
        except Exception:  # pragma: no cover
            return self.name


#: Backend name -> "module:Class" (imported lazily).
BACKENDS: dict[str, str] = {
    "cpsat": "presale_supply.backends.cpsat:CpSatBackend",
    "scip": "presale_supply.backends.mathopt:ScipBackend",
    "highs": "presale_supply.backends.mathopt:HighsBackend",
    "cbc": "presale_supply.backends.pulp:CbcBackend",
    "pulp-highs": "presale_supply.backends.pulp:PulpHighsBackend",
}


#: LP-only backends (for LP relaxations, e.g. cut separation); not offered for planning.
LP_BACKENDS: dict[str, str] = {
    "glop": "presale_supply.backends.mathopt:GlopBackend",
}


def get_backend(name: str) -> Backend:
    """Return a backend instance by name (``"auto"`` is CP-SAT here; :func:`solve
    <presale_supply.replenishment.solve.solve>` may race it against SCIP).

    Raises
    ------
    SolverUnavailableError
        Unknown name (the message lists the valid ones) or solver package not installed.
    """
    key = name.strip().lower()
    if key == "auto":
        key = "cpsat"
    spec = BACKENDS.get(key) or LP_BACKENDS.get(key)
    if spec is None:
        raise SolverUnavailableError(
            f"unknown solver {name!r}; choose one of {['auto', *sorted(BACKENDS)]}."
        )
    cls = _backend_class(spec)
    if not cls.is_available():
        raise SolverUnavailableError(
            f"solver {name!r} needs the Python package {cls.package!r}; install it with "
            f"`pip install {cls.package}`."
        )
    backend: Backend = cls()
    return backend


def _backend_class(spec: str) -> type[Backend]:
    """The backend class that a ``"module:Class"`` entry of :data:`BACKENDS` names."""
    module, cls_name = spec.split(":")
    cls: type[Backend] = getattr(importlib.import_module(module), cls_name)
    return cls


def available_backends() -> list[str]:
    """Names of the backends whose solver package is installed."""
    return [key for key, spec in BACKENDS.items() if _backend_class(spec).is_available()]


def backend_available(name: str) -> bool:
    """Whether the backend ``name`` (a key of :data:`BACKENDS`) has its solver installed."""
    return name in BACKENDS and _backend_class(BACKENDS[name]).is_available()


def _child(backend: Backend, model: MILP, options: SolveOptions, conn: Any) -> None:
    try:
        with stdout_to_stderr():
            conn.send(("ok", backend.solve(model, options)))
    except BaseException as exc:  # report any failure to the parent
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


class ChildSolve:
    """``backend.solve(model, options)`` running in a child process (see
    :func:`solve_with_watchdog` for why). Start it, :meth:`poll` it, then take its
    :meth:`result`; :meth:`kill` stops it early.

    The progress callback and the stop event cannot cross the process boundary and are dropped.
    """

    def __init__(
        self,
        backend: Backend,
        model: MILP,
        options: SolveOptions,
        *,
        grace: float = 30.0,
        start_method: str | None = None,
    ) -> None:
        import multiprocessing as mp

        if mp.current_process().daemon:
            from presale_supply.exceptions import SolverError

            raise SolverError(
                f"{backend.name} runs in a child process, and this process is a daemon, which "
                "may not start one (Dask workers are daemons by default: start them with "
                "`distributed.worker.daemon: false`, or use the cpsat solver there)"
            )
        # fork is cheap and needs no `if __name__ == "__main__"` guard in the caller's script; a
        # fresh interpreter (spawn) only when PuLP has already loaded highspy's HiGHS here
        if start_method is None:
            start_method = "spawn" if "highspy" in sys.modules else "fork"
        ctx: Any = mp.get_context(start_method)
        self._ctx = ctx
        self.backend = backend
        self.time_limit = options.time_limit
        parent, child = ctx.Pipe(duplex=False)
        self._conn = parent
        self._t0 = time.perf_counter()
        child_options = dataclasses.replace(options, progress=None, stop=None)
        self._proc = ctx.Process(
            target=_child, args=(backend, model, child_options, child), daemon=True
        )
        try:
            self._proc.start()
        except BaseException:
            parent.close()
            child.close()
            raise
        child.close()
        self.deadline = (
            None
            if options.time_limit is None
            else options.time_limit + max(grace, 0.5 * options.time_limit) + 5.0
        )
        self._result: RawSolution | None = None
        self._error: str | None = None

    def poll(self, timeout: float = 0.2) -> bool:
        """Wait up to ``timeout`` seconds; True once the result (or the failure) is known."""
        if self._result is not None or self._error is not None:
            return True
        if self._conn.poll(timeout):
            try:
                kind, payload = self._conn.recv()
            except EOFError:
                self._finish_dead()
                return True
            if kind == "ok":
                self._result = payload
            else:
                self._error = f"{self.backend.name} failed: {payload}"
            self._proc.join(1)  # it has sent its result and is exiting; _close kills a laggard
            self._close()
            return True
        if not self._proc.is_alive():
            self._finish_dead()
            return True
        if self.deadline is not None and time.perf_counter() - self._t0 > self.deadline:
            self.kill(
                f"{self.backend.name} did not return within {self.deadline:.0f} s of a "
                f"{self.time_limit:g} s limit; the watchdog stopped it"
            )
            return True
        return False

    def result(self) -> RawSolution:
        """Wait for the child and return its solution.

        Raises
        ------
        SolverError
            If the solver raised in the child.
        """
        while not self.poll(0.2):
            pass
        if self._error is not None:
            from presale_supply.exceptions import SolverError

            raise SolverError(self._error)
        assert self._result is not None
        return self._result

    def kill(self, message: str) -> None:
        """Stop the child now; its result becomes NO_SOLUTION with ``message``."""
        if self._result is None and self._error is None:
            self._result = self._without_plan(Status.NO_SOLUTION, message)
        self._close()

    def _without_plan(self, status: Status, message: str) -> RawSolution:
        return RawSolution(
            status,
            None,
            None,
            None,
            time.perf_counter() - self._t0,
            self.backend.version(),
            message,
        )

    def _finish_dead(self) -> None:
        self._proc.join(5)
        self._result = self._without_plan(
            Status.ERROR,
            f"the {self.backend.name} solver process died (exit code {self._proc.exitcode}) "
            "without a result"
            + (
                "; it had to be a fresh interpreter because PuLP has loaded highspy in this "
                "process, and Python then needs the calling script's code under "
                '`if __name__ == "__main__":`'
                if self._ctx.get_start_method() == "spawn"
                else ""
            ),
        )
        self._close()

    def _close(self) -> None:
        if self._proc.is_alive():
            self._proc.kill()
            self._proc.join(5)
        with contextlib.suppress(OSError):
            self._conn.close()


def solve_with_watchdog(
    backend: Backend, model: MILP, options: SolveOptions, *, grace: float = 30.0
) -> RawSolution:
    """Run ``backend.solve`` in a fresh child process; kill it if it overruns its time limit.

    Why a child process (forked, or a fresh interpreter when highspy is already loaded):

    - some solvers treat the time limit as advice (HiGHS has run 79 s on a 60 s limit and never
      returned on a larger model); the child is killed ``max(grace, 0.5 x time_limit)`` seconds
      after the limit and the result is NO_SOLUTION, saying so;
    - OR-Tools' HiGHS crashes a process into which PuLP has loaded highspy's HiGHS library; a
      fresh interpreter has loaded neither;
    - a child that dies (a solver crash) is reported as ERROR with its exit code, not as a limit.

    The progress callback cannot cross the process boundary and is not called; ``log`` still
    streams the solver's log to stderr.

    Raises
    ------
    SolverError
        If the solver raised in the child, or this process is a daemon (which may not start a
        child process).
    """
    child = ChildSolve(backend, model, options, grace=grace)
    try:
        return child.result()
    finally:
        child.kill("stopped")


def run_backend(backend: Backend, model: MILP, options: SolveOptions) -> RawSolution:
    """Solve with ``backend``, in a watched child process when its time limit is soft (see
    :func:`solve_with_watchdog`), with the solver's stdout sent to stderr."""
    with stdout_to_stderr():
        if backend.soft_time_limit:
            return solve_with_watchdog(backend, model, options)
        return backend.solve(model, options)
