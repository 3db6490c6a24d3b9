"""Wall-clock cost of a method per image (for the report's time column).

``clock`` is any function returning seconds (default :func:`time.perf_counter`); tests pass a
fake one, so the arithmetic is checked exactly and no test has to sleep.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import torch
from torch import Tensor

R = TypeVar("R")


def _synchronize(inputs: object) -> None:
    """Wait for the GPU's queued work: CUDA calls return before they finish, so a clock read
    without this would time the queueing, not the work."""
    if getattr(inputs, "is_cuda", False):
        torch.cuda.synchronize()


def timed(fn: Callable[[Tensor], R], inputs: Tensor, *,
          clock: Callable[[], float] = time.perf_counter) -> tuple[R, float]:
    """(fn(inputs), seconds per image): one call, so an expensive map is computed only once and
    its cost measured on the very batch the report uses (batching is part of the cost). On a
    CUDA input the clock is read after the GPU has finished (before and after the call)."""
    _synchronize(inputs)
    start = clock()
    result = fn(inputs)
    _synchronize(inputs)
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
