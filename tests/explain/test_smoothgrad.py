"""SmoothGrad: reproducible with a seed, bounded batches whatever n, options validated."""
from __future__ import annotations

import sys

import pytest
import torch
from torch import nn

from explain_testutils import make_tiny
from helpers.explain import GuidedBackprop, Saliency, SmoothGrad


class BatchRecorder(nn.Module):
    """Wraps a model and records the batch size of every forward pass."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model
        self.sizes: list[int] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.sizes.append(x.shape[0])
        return self.model(x)


def test_seeded_results_are_reproducible_and_seed_matters():
    model = make_tiny()
    x = torch.rand(2, 3, 16, 16)
    a = SmoothGrad(GuidedBackprop(model), n_samples=10, seed=3).attribute(x, 1)
    torch.manual_seed(999)  # the global RNG must not matter
    b = SmoothGrad(GuidedBackprop(model), n_samples=10, seed=3).attribute(x, 1)
    c = SmoothGrad(GuidedBackprop(model), n_samples=10, seed=4).attribute(x, 1)
    assert torch.equal(a, b)
    assert not torch.allclose(a, c)


def test_seed_does_not_touch_global_rng():
    x, model = torch.rand(1, 3, 16, 16), make_tiny()
    torch.manual_seed(0)
    SmoothGrad(Saliency(model), n_samples=3, seed=1).attribute(x, 0)
    after = torch.rand(3)
    torch.manual_seed(0)
    assert torch.equal(after, torch.rand(3))


@pytest.mark.parametrize("n_images,n_samples,batch_size", [(1, 200, 32), (3, 50, 16), (5, 7, 4), (40, 3, 16)])
def test_internal_batches_never_exceed_batch_size(n_images, n_samples, batch_size):
    model = BatchRecorder(make_tiny())
    # fast_copy=False: a traced copy would not run the recorder's Python side effect
    SmoothGrad(GuidedBackprop(model), n_samples=n_samples, batch_size=batch_size, fast_copy=False).attribute(
        torch.rand(n_images, 3, 16, 16), 0)
    noisy_passes = model.sizes[1:]  # the first pass resolves/validates the target on clean images
    assert max(noisy_passes) <= batch_size
    assert sum(noisy_passes) == n_images * n_samples


def test_default_batch_is_bounded():
    model = BatchRecorder(make_tiny())
    SmoothGrad(Saliency(model), n_samples=200, fast_copy=False).attribute(torch.rand(1, 3, 16, 16), 0)
    assert len(model.sizes) > 1 and max(model.sizes) <= 64


def test_variants_are_consistent():
    model = make_tiny()
    x = torch.rand(1, 3, 16, 16)
    kw = dict(n_samples=8, seed=0)
    mean = SmoothGrad(GuidedBackprop(model), variant="mean", **kw).attribute(x, 0)
    sq = SmoothGrad(GuidedBackprop(model), variant="mean_square", **kw).attribute(x, 0)
    var = SmoothGrad(GuidedBackprop(model), variant="variance", **kw).attribute(x, 0)
    torch.testing.assert_close(var, sq - mean ** 2)
    # Real noise gives a variance of ~30 % of the second moment here; without noise only
    # rounding is left (~1e-8 of it), which a bare "> 0" would also accept.
    assert (var >= -1e-6 * sq.max()).all() and var.mean() > 0.01 * sq.mean()
    still = SmoothGrad(GuidedBackprop(model), variant="variance", n_samples=8, seed=0, sigma=0.0).attribute(x, 0)
    assert still.abs().max() < 1e-4 * sq.max()


def test_sigma_zero_equals_the_wrapped_explainer():
    model = make_tiny()
    x = torch.rand(2, 3, 16, 16)
    torch.testing.assert_close(SmoothGrad(GuidedBackprop(model), sigma=0.0, n_samples=3).attribute(x, 2),
                               GuidedBackprop(model).attribute(x, 2))


def test_options_are_validated():
    model = make_tiny()
    with pytest.raises(ValueError, match="variant"):
        SmoothGrad(Saliency(model), variant="max")
    with pytest.raises(ValueError, match="n_samples"):
        SmoothGrad(Saliency(model), n_samples=0)
    with pytest.raises(TypeError):
        SmoothGrad(model)
    with pytest.raises(ValueError, match="noise must have shape"):
        SmoothGrad(Saliency(model), n_samples=2).attribute(torch.rand(1, 3, 16, 16), 0, noise=torch.zeros(1, 3, 3, 16, 16))


def test_no_progress_bar_when_not_interactive(capsys, monkeypatch):
    monkeypatch.delenv("TQDM_DISABLE", raising=False)  # `make test` sets it: it must not be what hides the bar
    assert not sys.stderr.isatty()  # capsys: like a notebook kernel or a headless run
    SmoothGrad(Saliency(make_tiny()), n_samples=4).attribute(torch.rand(1, 3, 16, 16), 0)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


def test_progress_bar_when_asked_and_tqdm_disable_wins(capsys, monkeypatch):
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    SmoothGrad(Saliency(make_tiny()), n_samples=4, progress=True).attribute(torch.rand(1, 3, 16, 16), 0)
    assert "SmoothGrad" in capsys.readouterr().err
    monkeypatch.setenv("TQDM_DISABLE", "1")
    SmoothGrad(Saliency(make_tiny()), n_samples=4, progress=True).attribute(torch.rand(1, 3, 16, 16), 0)
    assert capsys.readouterr().err == ""
