"""WorkerPool: persistent threads that run the frame lane's calls.

Lighter than concurrent.futures (no Future per call): a call is a callable on
a C-implemented queue, and a thread is started only when every existing one
is busy, up to a limit. Threads never exit; they are daemons, and the process
ends with os._exit after shutdown.
"""

from __future__ import annotations

import queue
import threading
from typing import Any, Callable

from ..core.logger import Logger


class WorkerPool:
    """Runs submitted callables on up to `max_threads` persistent threads; more wait in the queue, in order."""

    def __init__(self, max_threads: int, logger: Logger, name: str = "heddle-frame-call") -> None:
        if max_threads < 1:
            raise ValueError("a WorkerPool needs at least one thread")
        self._queue: "queue.SimpleQueue[tuple[Callable[..., Any], tuple]]" = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._max = max_threads
        self._threads = 0
        self._idle = 0  # threads waiting for work that no submitted item has claimed yet
        self._backlog = 0  # submitted items no thread has claimed yet
        self._logger = logger
        self._name = name

    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        """Queues `fn(*args)`; an exception from it is logged, never raised here.

        Raises RuntimeError when a thread is needed, none can be started and no other exists to take the task.
        """
        start = False
        with self._lock:
            if self._idle:
                self._idle -= 1
            elif self._threads < self._max:
                self._threads += 1
                start = True
            else:
                self._backlog += 1
        if start:
            try:
                threading.Thread(target=self._work, name=f"{self._name}-{self._threads}", daemon=True).start()
            except RuntimeError:  # the system refuses another thread: leave the task to the existing ones
                with self._lock:
                    self._threads -= 1
                    if not self._threads:
                        raise
                    self._backlog += 1
        self._queue.put((fn, args))

    def _work(self) -> None:
        get = self._queue.get
        while True:
            fn, args = get()
            try:
                fn(*args)
            except BaseException as exc:  # a bug in the lane: keep the thread, tell someone
                self._logger.error("a frame-lane task failed", error=f"{type(exc).__name__}: {exc}")
            del fn, args  # drop the call's tables now, not when the next call arrives
            with self._lock:
                if self._backlog:
                    self._backlog -= 1  # the queue holds an unclaimed item: this thread takes it
                else:
                    self._idle += 1
