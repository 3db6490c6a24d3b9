"""Wall-clock cost of a method per image (for the report's time column).

``clock`` is any function returning seconds (default :func:`time.perf_counter`); tests pass a
fake one, so the arithmetic is checked exactly and no test has to sleep.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from torch import Tensor

R = TypeVar("R")


def timed(fn: Callable[[Tensor], R], inputs: Tensor, *,
          clock: Callable[[], float] = time.perf_counter) -> tuple[R, float]:
    """(fn(inputs), seconds per image): one call, so an expensive map is computed only once and
    its cost measured on the very batch the report uses (batching is part of the cost)."""
    start = clock()
    result = fn(inputs)
    return result, (clock() - start) / max(1, int(inputs.shape[0]))


def time_per_image(fn: Callable[[Tensor], object], inputs: Tensor, repeats: int = 1, warmup: bool = False, *,
                   clock: Callable[[], float] = time.perf_counter) -> float:
    """Seconds per image of ``fn(inputs)``: the best of ``repeats`` calls (the least disturbed
    by other processes), after an untimed call if ``warmup`` (first-call allocations)."""
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats}")
    if warmup:
        fn(inputs)
    return min(timed(fn, inputs, clock=clock)[1] for _ in range(repeats))
