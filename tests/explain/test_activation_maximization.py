"""Activation maximisation (plain and Fourier-parameterised) and the high-frequency measure."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from explain_testutils import all_hooks, make_tiny
from helpers.explain import ActivationMaximization, high_frequency_share, layer_output
from helpers.explain.activation_maximization import random_transform

# Small transforms for 16 px images (the defaults are sized for 128 px).
TINY_FOURIER = dict(method="fourier", pad=2, jitter=1, max_rotation=5.0)


# -- high_frequency_share: known answers -----------------------------------------------------------
def _dct_basis_image(u: int, size: int = 32) -> torch.Tensor:
    """A horizontal cosine that is exactly one DCT-II basis function: frequency u / (2 * size)."""
    n = torch.arange(size, dtype=torch.float64)
    row = torch.cos(math.pi * u * (2 * n + 1) / (2 * size))
    return (0.5 + 0.4 * row).view(1, 1, 1, size).expand(1, 3, size, size).float()


def test_constant_image_has_no_high_frequency_power():
    share = high_frequency_share(torch.full((2, 3, 16, 16), 0.3))
    assert share.shape == (2,) and torch.equal(share, torch.zeros(2))


def test_white_noise_share_is_the_area_outside_half_nyquist():
    size = 64
    noise = torch.randn(8, 3, size, size, generator=torch.Generator().manual_seed(0))
    u = np.arange(size) / (2 * size)
    high = np.hypot(u[:, None], u[None, :]) > 0.25
    expected = high.sum() / (size * size - 1)  # iid noise spreads power evenly; the mean is removed
    assert abs(expected - (1 - math.pi / 16)) < 0.02  # continuous limit: outside a quarter disc
    torch.testing.assert_close(high_frequency_share(noise), torch.full((8,), float(expected)), atol=0.015, rtol=0)


def test_smooth_gradient_has_almost_none_and_pixel_checkerboard_almost_all():
    ramp = torch.linspace(0, 1, 64).view(1, 1, 1, 64).expand(1, 3, 64, 64)
    assert high_frequency_share(ramp).item() < 1e-3
    checker = ((torch.arange(32)[:, None] + torch.arange(32)[None, :]) % 2).float().expand(1, 3, 32, 32)
    assert high_frequency_share(checker).item() > 0.99


def test_threshold_is_half_nyquist_radially():
    # DCT index u is u / 64 cycles per pixel at 32 px: 14 -> 0.22 (below 0.25), 18 -> 0.28 (above).
    below, above = _dct_basis_image(14), _dct_basis_image(18)
    shares = high_frequency_share(torch.cat([below, above]))
    torch.testing.assert_close(shares, torch.tensor([0.0, 1.0]), atol=1e-5, rtol=0)
    # invariant to contrast and brightness: it is a share of the mean-removed power
    torch.testing.assert_close(high_frequency_share(0.2 * above + 0.3), torch.tensor([1.0]), atol=1e-5, rtol=0)


def test_high_frequency_share_rejects_non_batches():
    with pytest.raises(ValueError, match=r"\(K, C, H, W\)"):
        high_frequency_share(torch.rand(3, 16, 16))


# -- the ascent -------------------------------------------------------------------------------------
def test_random_transform_pads_with_grey_and_shifts_by_whole_pixels():
    image = torch.rand(2, 3, 10, 12)
    same = random_transform(image, torch.Generator().manual_seed(0), pad=0, jitter=0, scale_range=(1, 1),
                            max_rotation=0)
    torch.testing.assert_close(same, image)
    shifted = random_transform(image, torch.Generator().manual_seed(0), pad=3, jitter=3, scale_range=(1, 1),
                               max_rotation=0)
    assert shifted.shape == (2, 3, 16, 18)
    padded = torch.nn.functional.pad(image, (3, 3, 3, 3), value=0.5)
    # output pixel (y, x) shows padded pixel (y + dy, x + dx) for one shift |dy|, |dx| <= 3
    matches = [(dy, dx) for dy in range(-3, 4) for dx in range(-3, 4)
               if torch.allclose(shifted[..., 3:-3, 3:-3], padded[..., 3 + dy:13 + dy, 3 + dx:15 + dx], atol=1e-5)]
    assert len(matches) == 1, "a pure jitter must be a whole-pixel shift of the grey-padded image"
    turned = random_transform(image.requires_grad_(True), torch.Generator().manual_seed(1), pad=2, jitter=1,
                              scale_range=(0.95, 1.05), max_rotation=5)
    turned.sum().backward()
    assert image.grad is not None and image.grad.abs().sum() > 0


@pytest.mark.parametrize("options", [dict(method="plain"), TINY_FOURIER], ids=["plain", "fourier"])
def test_ascent_increases_activation_for_a_batch_of_filters(options):
    model = make_tiny()
    result = ActivationMaximization(model, "conv2", steps=30, image_size=16, seed=0, **options).run([0, 3, 5])
    assert result.images.shape == (3, 3, 16, 16) and result.method == options["method"]
    assert result.images.min() >= 0 and result.images.max() <= 1
    assert result.history.shape == (30, 3) and result.filter_indices == [0, 3, 5]
    assert (result.final_activation > result.initial_activation).all()


def test_final_activation_is_measured_on_the_untransformed_image():
    model = make_tiny()
    result = ActivationMaximization(model, "conv2", steps=5, image_size=16, seed=0, **TINY_FOURIER).run([1, 2])
    with torch.no_grad():
        out = layer_output(model, "conv2", result.images)
    torch.testing.assert_close(result.final_activation, out[[0, 1], [1, 2]].mean(dim=(1, 2)))


def test_fourier_images_are_smoother_than_plain_ones():
    """The 1/f parameterisation is what keeps the pictures low-frequency: from the same
    grey start, plain pixel ascent on a random-weight model leaves far more high-frequency power."""
    model = make_tiny()
    start = torch.full((2, 3, 16, 16), 0.5)
    plain = ActivationMaximization(model, "conv2", steps=20, method="plain").attribute(start, [0, 3])
    fourier = ActivationMaximization(model, "conv2", steps=20, **TINY_FOURIER).attribute(start, [0, 3])
    assert (high_frequency_share(fourier) < 0.5 * high_frequency_share(plain)).all()


def test_a_steeper_spectrum_decay_gives_smoother_images():
    model = make_tiny()

    def share(decay_power: float) -> torch.Tensor:
        maximizer = ActivationMaximization(model, "conv2", steps=20, image_size=16, decay_power=decay_power,
                                           **TINY_FOURIER)
        return high_frequency_share(maximizer.run([0, 3]).images)

    assert (share(2.0) < 0.5 * share(1.0)).all()
    with pytest.raises(ValueError, match="decay_power"):
        ActivationMaximization(model, "conv2", decay_power=-1)


@pytest.mark.parametrize("options", [dict(method="plain"), TINY_FOURIER], ids=["plain", "fourier"])
def test_ascent_is_seeded(options):
    model = make_tiny()

    def images(seed: int) -> torch.Tensor:
        return ActivationMaximization(model, "conv1", steps=4, image_size=16, seed=seed, **options).run(2).images

    torch.manual_seed(123)
    a = images(1)
    torch.manual_seed(456)  # the global random state must not matter
    assert torch.equal(a, images(1)) and a.shape == (1, 3, 16, 16)
    assert not torch.equal(a, images(2))


@pytest.mark.parametrize("options", [dict(method="plain"), TINY_FOURIER], ids=["plain", "fourier"])
def test_attribute_starts_from_the_inputs(options):
    model = make_tiny()
    start = 0.1 + 0.8 * torch.rand(2, 3, 16, 12)  # not square: the Fourier parameterisation must fit it
    out = ActivationMaximization(model, "conv1", steps=1, lr=1e-5, **options).attribute(start, [1, 2])
    assert out.shape == start.shape
    torch.testing.assert_close(out, start, atol=1e-3, rtol=0)


def test_channels_last_gives_the_same_images():
    model = make_tiny()
    weights = [p for p in model.parameters() if p.dim() == 4]
    strides = [p.stride() for p in weights]
    start = torch.rand(2, 3, 16, 16)
    plain = ActivationMaximization(model, "conv2", steps=3, **TINY_FOURIER).attribute(start, [0, 1])
    fast = ActivationMaximization(model, "conv2", steps=3, channels_last=True, **TINY_FOURIER).attribute(start, [0, 1])
    torch.testing.assert_close(fast, plain, atol=1e-4, rtol=0)
    assert [p.stride() for p in weights] == strides


def test_attribute_targets_and_errors():
    model = make_tiny()
    explainer = ActivationMaximization(model, "conv2", steps=2)
    start = torch.full((3, 3, 16, 16), 0.5)
    assert explainer.attribute(start, 4).shape == (3, 3, 16, 16)
    assert explainer.attribute(start, torch.tensor([0, 1, 2])).shape == (3, 3, 16, 16)
    with pytest.raises(ValueError, match="filter index"):
        explainer.attribute(start, None)
    with pytest.raises(ValueError, match="3 images"):
        explainer.attribute(start, [0, 1])
    with pytest.raises(IndexError, match="8 filters"):
        explainer.attribute(start, [0, 1, 8])
    with pytest.raises(ValueError, match="4-D"):
        explainer.attribute(start[0], 0)


def test_regularize_is_an_alias_for_the_fourier_method_and_methods_are_checked():
    model = make_tiny()
    assert ActivationMaximization(model, "conv1", regularize=True).method == "fourier"
    assert ActivationMaximization(model, "conv1", regularize=False).method == "plain"
    with pytest.raises(ValueError, match="plain"):
        ActivationMaximization(model, "conv1", method="lucid")
    with pytest.raises(IndexError, match="8 filters"):
        ActivationMaximization(model, "conv1", steps=1, image_size=16).run([0, 8])
    with pytest.raises(ValueError, match="no filters"):
        ActivationMaximization(model, "bn1", steps=1, image_size=16).run(0)


# -- the model is left as it was ---------------------------------------------------------------------
def _snapshot(model: nn.Module):
    return ({k: v.clone() for k, v in model.state_dict().items()}, [m.training for m in model.modules()],
            [p.requires_grad for p in model.parameters()])


def _assert_unchanged(model: nn.Module, snapshot) -> None:
    state, modes, grads = snapshot
    assert all(torch.equal(v, state[k]) for k, v in model.state_dict().items())
    assert [m.training for m in model.modules()] == modes
    assert [p.requires_grad for p in model.parameters()] == grads
    assert all_hooks(model) == 0 and all(p.grad is None for p in model.parameters())


@pytest.mark.parametrize("options", [dict(method="plain"), TINY_FOURIER, dict(TINY_FOURIER, channels_last=True)],
                         ids=["plain", "fourier", "fourier_channels_last"])
def test_model_state_modes_and_hooks_restored(options):
    model = make_tiny().train()  # BN statistics would change if the ascent ran in train mode
    model.fc.eval()
    model.conv1.bias.requires_grad_(False)
    snapshot = _snapshot(model)
    x = torch.rand(2, 3, 16, 16, requires_grad=True)
    x_before = x.detach().clone()
    ActivationMaximization(model, "conv2", steps=3, **options).attribute(x, [0, 1])
    _assert_unchanged(model, snapshot)
    assert x.requires_grad and x.grad is None and torch.equal(x.detach(), x_before)


class _FailingNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.late = nn.Conv2d(4, 4, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.conv(x)
        raise RuntimeError("boom")


def test_no_hook_survives_a_failing_forward():
    model = _FailingNet().train()
    snapshot = _snapshot(model)
    with pytest.raises(RuntimeError, match="boom"):
        ActivationMaximization(model, "late", steps=2, image_size=16).run(0)
    _assert_unchanged(model, snapshot)


def test_loaded_model_wrapper_is_rejected_with_a_hint():
    class Loaded:
        model = make_tiny()

    with pytest.raises(TypeError, match=r"\.model"):
        ActivationMaximization(Loaded(), "conv1")


def test_classic_model_filter_ascent(classic):
    result = ActivationMaximization(classic, "conv1", steps=5, image_size=32, seed=0, method="fourier",
                                    pad=4, jitter=2).run([0, 1])
    assert (result.final_activation > result.initial_activation).all()
