"""Work side by side: the first failure is the one reported, and it stops the siblings at their next check."""

from __future__ import annotations

import threading
import time

import pytest

from telcocrm.kit.side_by_side import Task, run_side_by_side, stop_if_abandoned

UNITS = 200  # a sibling's whole work: 200 units of 10 ms, 2 s


class LoadFailed(Exception):
    pass


def _worker(done: list[int]) -> Task:
    def work(abandon: threading.Event) -> None:
        for _ in range(UNITS):
            stop_if_abandoned(abandon)
            time.sleep(0.01)
            done.append(1)

    return work


def _fails_after(seconds: float) -> Task:
    def work(abandon: threading.Event) -> None:
        time.sleep(seconds)
        raise LoadFailed("segments: duplicate customer code")

    return work


def test_a_failure_stops_the_others_and_is_the_error_reported() -> None:
    first: list[int] = []
    second: list[int] = []
    started = time.perf_counter()
    with pytest.raises(LoadFailed, match="duplicate customer code"):
        run_side_by_side([_worker(first), _fails_after(0.1), _worker(second)], thread_name_prefix="t")
    assert time.perf_counter() - started < 1.5  # the siblings' whole work is 2 s
    assert 0 < len(first) < UNITS and 0 < len(second) < UNITS


def test_without_a_failure_every_task_does_all_its_work() -> None:
    first: list[int] = []
    second: list[int] = []
    run_side_by_side([_worker(first), _worker(second)], thread_name_prefix="t")
    assert len(first) == len(second) == UNITS


def test_a_failure_after_the_others_ended_is_still_reported() -> None:
    done: list[int] = []

    def quick(abandon: threading.Event) -> None:
        done.append(1)

    with pytest.raises(LoadFailed):
        run_side_by_side([quick, _fails_after(0.2)], thread_name_prefix="t")
    assert done == [1]
