"""presale_supply.parallel without a cluster: chunking, ordered gather, the retry of a failed
partition, and reporting a partition that fails twice by name."""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any

import pytest

from presale_supply.exceptions import InputError, PlanCheckError, PresaleSupplyError
from presale_supply.parallel import (
    Partition,
    PartitionError,
    chunk_slices,
    default_executor,
    executor_workers,
    run_partitions,
)


def square(x: int) -> int:
    return x * x


def exit_in_child(parent: int, x: int) -> int:
    """Kills the process it runs in, unless that is the test process itself."""
    if os.getpid() != parent:
        os._exit(3)
    return x * x


def raise_plan_check(x: int) -> int:
    raise PlanCheckError("the plan is wrong", [f"row {x}"])


class Flaky:
    """Fails the first ``fails`` calls with ``x == bad``, counting calls per argument."""

    def __init__(self, bad: int, fails: int, exc: Exception) -> None:
        self.bad, self.fails, self.exc = bad, fails, exc
        self.calls: dict[int, int] = {}
        self.lock = threading.Lock()

    def __call__(self, x: int) -> int:
        with self.lock:
            self.calls[x] = self.calls.get(x, 0) + 1
            n = self.calls[x]
        if x == self.bad and n <= self.fails:
            raise self.exc
        return x * x


def parts(n: int) -> list[Partition]:
    return [Partition(f"p{i}", (i,)) for i in range(n)]


@pytest.mark.parametrize("n", [0, 1, 5, 7, 100])
@pytest.mark.parametrize("k", [1, 3, 8])
def test_chunk_slices_cover_in_order(n: int, k: int) -> None:
    sl = chunk_slices(n, k)
    assert [i for s in sl for i in range(s.start, s.stop)] == list(range(n))
    assert len(sl) == min(n, k)
    sizes = [s.stop - s.start for s in sl]
    assert not sizes or (min(sizes) >= 1 and max(sizes) - min(sizes) <= 1)


def test_gather_is_in_partition_order_with_and_without_executor() -> None:
    seen: list[int] = []
    local = run_partitions(square, parts(9))
    with ThreadPoolExecutor(3) as pool:
        remote = run_partitions(square, parts(9), pool, on_done=lambda pos, _: seen.append(pos))
    assert local == remote == [i * i for i in range(9)]
    assert seen == list(range(9))


def test_a_failed_partition_is_retried_once(caplog: pytest.LogCaptureFixture) -> None:
    fn = Flaky(bad=4, fails=1, exc=ConnectionError("worker lost"))
    with ThreadPoolExecutor(2) as pool, caplog.at_level(logging.WARNING):
        out = run_partitions(fn, parts(6), pool)
    assert out == [i * i for i in range(6)]
    assert fn.calls[4] == 2 and all(fn.calls[i] == 1 for i in range(6) if i != 4)
    assert "'p4'" in caplog.text and "retrying once" in caplog.text


def test_a_partition_failing_twice_is_reported_by_name() -> None:
    fn = Flaky(bad=2, fails=2, exc=ConnectionError("worker lost"))
    with ThreadPoolExecutor(2) as pool, pytest.raises(PartitionError) as err:
        run_partitions(fn, parts(4), pool)
    assert err.value.partition == "p2"
    assert "'p2'" in str(err.value) and "ConnectionError: worker lost" in str(err.value)
    assert fn.calls[2] == 2


def test_errors_raised_on_purpose_are_not_retried() -> None:
    fn = Flaky(bad=1, fails=5, exc=InputError("bad value", column="y", value=-1))
    with ThreadPoolExecutor(2) as pool, pytest.raises(InputError) as err:
        run_partitions(fn, parts(3), pool)
    assert fn.calls[1] == 1
    assert err.value.column == "y"
    assert "(in partition 'p1')" in (err.value.__notes__ or [])


def test_without_executor_exceptions_are_unchanged() -> None:
    fn = Flaky(bad=0, fails=1, exc=ConnectionError("x"))
    with pytest.raises(ConnectionError):
        run_partitions(fn, parts(2))


def _fork_pool() -> ProcessPoolExecutor:
    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("needs the fork start method")
    return ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))


def test_a_broken_process_pool_falls_back_to_this_process(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The worker dies: every pending future fails with BrokenProcessPool, the pool takes no
    more work, and the partitions run here; the result is complete."""
    tasks = [Partition(f"p{i}", (os.getpid(), i)) for i in range(3)]
    with _fork_pool() as pool, caplog.at_level(logging.WARNING):
        out = run_partitions(exit_in_child, tasks, pool)
    assert out == [0, 1, 4]
    assert "running partition 'p0' here" in caplog.text


def test_an_error_that_cannot_cross_processes_keeps_its_name() -> None:
    """PlanCheckError cannot be rebuilt from its plain pickle (two required arguments); it comes
    back as a PresaleSupplyError naming it, without breaking the pool or being retried. (Once
    ``distributed`` is imported, tblib's pickling support rebuilds it as it is.)"""
    with _fork_pool() as pool:
        with pytest.raises(PresaleSupplyError, match="the plan is wrong") as err:
            run_partitions(raise_plan_check, parts(2), pool)
        assert isinstance(err.value, PlanCheckError) or "PlanCheckError: " in str(err.value)
        assert pool.submit(square, 3).result() == 9  # the pool still works


class Recording(Executor):
    """An executor that runs each call at once in the calling thread."""

    def __init__(self) -> None:
        self.submitted = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.submitted += 1
        fut: Future[Any] = Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except Exception as exc:
            fut.set_exception(exc)
        return fut


def test_executor_workers_and_default_executor() -> None:
    assert executor_workers(None) == 1
    with ThreadPoolExecutor(3) as pool:
        assert executor_workers(pool) == 3
    assert executor_workers(Recording()) == (os.cpu_count() or 1)
    with default_executor(2) as pool:
        assert isinstance(pool, ProcessPoolExecutor)
        assert executor_workers(pool) == 2
        assert run_partitions(square, parts(3), pool) == [0, 1, 4]
    with pytest.raises(ValueError, match="max_workers"):
        default_executor(0)
    pool = default_executor()
    try:
        assert executor_workers(pool) == (os.cpu_count() or 1)
    finally:
        pool.shutdown()
