"""Per-image timing, measured with an injected clock: exact numbers, no sleeping."""
from __future__ import annotations

import pytest
import torch

from helpers.trust import time_per_image, timed


class FakeClock:
    """A clock that only moves when a timed call says how long it 'took'."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def slow_call(clock: FakeClock, durations: list[float]):
    """fn(inputs) that advances the clock by the next duration and records that it ran."""
    calls = []

    def fn(inputs: torch.Tensor) -> float:
        calls.append(inputs.shape[0])
        clock.now += durations[len(calls) - 1]
        return float(inputs.sum())

    return fn, calls


def test_timed_returns_the_result_and_the_seconds_per_image():
    clock = FakeClock()
    fn, calls = slow_call(clock, [2.0])
    result, per_image = timed(fn, torch.ones(4, 3, 2, 2), clock=clock)
    assert result == 48.0 and calls == [4]
    assert per_image == 0.5  # 2 s for a batch of 4, not 2 s


def test_time_per_image_is_the_best_call_divided_by_the_batch_and_skips_the_warmup():
    clock = FakeClock()
    fn, calls = slow_call(clock, [100.0, 3.0, 1.0, 2.0])  # the warm-up call is the slow one
    assert time_per_image(fn, torch.zeros(8, 3, 2, 2), repeats=3, warmup=True, clock=clock) == 1.0 / 8
    assert calls == [8, 8, 8, 8]
    clock = FakeClock()
    fn, calls = slow_call(clock, [6.0])
    assert time_per_image(fn, torch.zeros(3, 3, 2, 2), clock=clock) == 2.0 and calls == [3]


def test_repeats_must_be_positive():
    with pytest.raises(ValueError, match="repeats"):
        time_per_image(lambda inputs: None, torch.zeros(1, 3, 2, 2), repeats=0)


def test_a_cuda_input_is_timed_after_the_gpu_finished(monkeypatch):
    clock, events = FakeClock(), []
    monkeypatch.setattr(torch.cuda, "synchronize", lambda: events.append(("sync", clock.now)))

    def fn(inputs):
        clock.now += 1.0  # queued work: the clock must not be read before it finishes
        events.append(("call", clock.now))

    class CudaBatch:  # what timed reads of a CUDA tensor (this machine has no GPU)
        is_cuda, shape = True, (2, 3, 4, 4)

    assert timed(fn, CudaBatch(), clock=clock)[1] == 0.5
    assert [e[0] for e in events] == ["sync", "call", "sync"]
    timed(fn, torch.zeros(2, 3, 4, 4), clock=clock)  # a CPU tensor: nothing to wait for
    assert [e[0] for e in events] == ["sync", "call", "sync", "call"]
