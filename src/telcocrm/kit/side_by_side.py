"""Work run side by side on threads, where the first failure stops the rest instead of letting them run on.

Each task gets an Event it checks between units of its work (a batch of rows): once a sibling has failed the
rest of the work is wasted, as the whole is thrown away, so the task raises Abandoned there and ends early.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

Task = Callable[[threading.Event], None]


class Abandoned(Exception):
    """A task stopped because another one failed; never the error the caller sees."""


def stop_if_abandoned(abandon: threading.Event) -> None:
    """Raise Abandoned when a sibling has failed: call it between two units of a task's work."""
    if abandon.is_set():
        raise Abandoned


def run_side_by_side(tasks: Sequence[Task], *, thread_name_prefix: str) -> None:
    """Run every task on a thread of its own and wait for all; raise the first real failure, if any.

    When a task fails, the event every task holds is set, so the others stop at their next check. The caller
    sees the failure itself, never one of the abandonments it caused.
    """
    abandon = threading.Event()

    def guarded(task: Task) -> None:
        try:
            task(abandon)
        except BaseException:
            abandon.set()
            raise

    with ThreadPoolExecutor(max_workers=max(len(tasks), 1), thread_name_prefix=thread_name_prefix) as pool:
        futures = [pool.submit(guarded, task) for task in tasks]
    failures = [f.exception() for f in futures]
    for failure in failures:
        if failure is not None and not isinstance(failure, Abandoned):
            raise failure
