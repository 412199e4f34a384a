"""Pace: which steps keep answering within microseconds, so the frame lane runs their calls on the
thread that read them instead of handing them to a worker thread.

A hand-off wakes another thread and moves the GIL to it: on a 2-vCPU machine that was most of a small
call's cost (about five context switches per call). A step earns running in place after TRUSTED_AFTER
runs in a row of at most QUICK_S each, and loses it at its first slower run.

QUICK_S is 1 ms here (100 µs in the Go and Rust SDKs): Python step code holds the GIL, so while a worker
runs it the reader could hardly read the next frame anyway, and Python steps are slower per call.
"""

from __future__ import annotations

from typing import Dict, Iterable

QUICK_S = 1e-3
"""The longest run that counts as quick."""

TRUSTED_AFTER = 8
"""Quick runs in a row before a step runs in place."""


class Pace:
    """Quick runs in a row per step name. Updated under the GIL; a lost update only delays trust."""

    def __init__(self) -> None:
        self._quick: Dict[str, int] = {}

    def record(self, step: str, seconds: float) -> None:
        """Counts one run of `step`; a slow one takes the trust away."""
        if seconds > QUICK_S:
            self._quick[step] = 0
        else:
            n = self._quick.get(step, 0)
            if n < TRUSTED_AFTER:
                self._quick[step] = n + 1

    def trusted(self, steps: Iterable[str]) -> bool:
        """True when every step named has earned running in place (an unknown name has not)."""
        quick = self._quick
        return all(quick.get(step, 0) >= TRUSTED_AFTER for step in steps)
