"""What catching every rectifier call costs: guided backprop with the rule applied through a
TorchFunctionMode (helpers.explain.rectifier_rules, today's GuidedBackprop) against the module
hooks used before (a forward hook on each nn.ReLU / nn.ReLU6 module puts max(g, 0) on its output),
on the classic model (randomly initialised: the cost does not depend on the weights).

Prints, interleaved by round (alternating which runs first), the time of one guided-backprop call
on a batch with each mechanism and their ratio (median over rounds), then the cost of one rule
application (F.relu on a small tensor) and of one call the mode lets through (a multiplication).
The maps of both mechanisms must be equal.

Run:  .venv/bin/python bench/bench_rectifier_rules.py [--batch 8] [--rounds 9]
"""
from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import time
import timeit
from pathlib import Path

os.environ.setdefault("TQDM_DISABLE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from helpers.explain import GuidedBackprop  # noqa: E402
from helpers.explain.base import frozen_eval, input_gradient  # noqa: E402
from helpers.explain.rectifier_rules import RectifierRules  # noqa: E402
from helpers.models.classic import Food11CNN  # noqa: E402


@contextlib.contextmanager
def module_hooks(model: nn.Module):
    """The mechanism before: a forward hook on each ReLU / ReLU6 module gates its output's gradient."""
    def gate(module, args, output):
        output.register_hook(lambda g: g.clamp(min=0))

    handles = [m.register_forward_hook(gate) for m in model.modules() if isinstance(m, (nn.ReLU, nn.ReLU6))]
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


def with_module_hooks(model: nn.Module, x: torch.Tensor, target: int) -> torch.Tensor:
    with frozen_eval(model), module_hooks(model):
        return input_gradient(model, x, target)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    torch.manual_seed(0)
    model = Food11CNN().eval()
    x = torch.rand(args.batch, 3, 128, 128, generator=torch.Generator().manual_seed(1))
    explainer = GuidedBackprop(model)
    mode_map, hook_map = explainer.attribute(x, 1), with_module_hooks(model, x, 1)
    assert torch.allclose(mode_map, hook_map, rtol=0, atol=1e-6 * float(hook_map.abs().max())), "maps differ"
    print(f"classic model, batch {args.batch} at 128 px, {explainer.coverage.summary()}; load average "
          f"{os.getloadavg()[0]:.2f} at start")
    ratios = []
    runs = {"hooks": lambda: with_module_hooks(model, x, 1), "mode": lambda: explainer.attribute(x, 1)}
    for r in range(args.rounds):
        took = {}
        for name in (("hooks", "mode") if r % 2 == 0 else ("mode", "hooks")):  # alternate who goes first
            start = time.perf_counter()
            runs[name]()
            took[name] = time.perf_counter() - start
        hooks, mode = took["hooks"], took["mode"]
        ratios.append(mode / hooks)
        print(f"round {r}: module hooks {hooks * 1000:.0f} ms, TorchFunctionMode {mode * 1000:.0f} ms, "
              f"ratio {ratios[-1]:.3f}")
    print(f"median ratio TorchFunctionMode / module hooks: {statistics.median(ratios):.3f}")

    small, weight = torch.randn(16, requires_grad=True), torch.randn(16)
    rules = RectifierRules()
    calls = (("F.relu (rule applied)", lambda: F.relu(small)), ("x * w (let through)", lambda: small * weight))
    for name, call in calls:
        plain = min(timeit.repeat(call, number=2000, repeat=7)) / 2000
        with rules:
            ruled = min(timeit.repeat(call, number=2000, repeat=7)) / 2000
        print(f"one call of {name}: {plain * 1e6:.1f} us without the mode, {ruled * 1e6:.1f} us with it")
    print(f"load average {os.getloadavg()[0]:.2f} at end")


if __name__ == "__main__":
    main()
