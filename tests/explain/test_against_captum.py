"""Each gradient method against Captum 0.9 on the same model and inputs (relative max error 1e-5)."""
from __future__ import annotations

import warnings

import pytest
import torch
from captum.attr import GuidedBackprop as CaptumGB
from captum.attr import GuidedGradCam as CaptumGuidedGradCam
from captum.attr import IntegratedGradients as CaptumIG
from captum.attr import LayerAttribution, LayerGradCam, NoiseTunnel
from captum.attr import Saliency as CaptumSaliency
from scipy.stats import spearmanr

from explain_testutils import assert_close_rel, make_tiny
from helpers.explain import GradCAM, GuidedBackprop, GuidedGradCAM, IntegratedGradients, Saliency, SmoothGrad

warnings.filterwarnings("ignore", message="Setting backward hooks", category=UserWarning)


def _captum_input(x: torch.Tensor) -> torch.Tensor:
    return x.clone().requires_grad_(True)


@pytest.fixture(params=["tiny", "classic"])
def model_and_inputs(request, classic, classic_inputs):
    if request.param == "tiny":
        return make_tiny(), torch.rand(3, 3, 16, 16, generator=torch.Generator().manual_seed(5)), "conv2"
    return classic, classic_inputs, "conv5"


def test_saliency_abs_matches_captum(model_and_inputs):
    model, x, _ = model_and_inputs
    target = [1, 2, 0][: x.shape[0]]
    ref = CaptumSaliency(model).attribute(_captum_input(x), target=target, abs=True)
    ours = Saliency(model, reduction="abs").attribute(x, target)
    assert_close_rel(ours, ref)
    # Simonyan's map is the max over channels of the same |gradient|
    assert_close_rel(Saliency(model).attribute(x, target), ref.amax(1, keepdim=True))


def test_saliency_signed_matches_captum(model_and_inputs):
    model, x, _ = model_and_inputs
    ref = CaptumSaliency(model).attribute(_captum_input(x), target=1, abs=False)
    ours = Saliency(model, reduction="none").attribute(x, 1)
    assert_close_rel(ours, ref)
    assert (ours < 0).any(), "signed gradient should have negative entries"


def test_guided_backprop_matches_captum(model_and_inputs):
    model, x, _ = model_and_inputs
    ref = CaptumGB(model).attribute(_captum_input(x), target=0)
    ours = GuidedBackprop(model).attribute(x, 0)
    assert_close_rel(ours, ref)
    plain = Saliency(model, reduction="none").attribute(x, 0)
    assert (ours - plain).abs().max() > 1e-3 * plain.abs().max(), "guided rule had no effect"


def test_deconvnet_matches_captum(model_and_inputs):
    from captum.attr import Deconvolution

    model, x, _ = model_and_inputs
    ref = Deconvolution(model).attribute(_captum_input(x), target=0)
    ours = GuidedBackprop(model, rule="deconvnet").attribute(x, 0)
    assert_close_rel(ours, ref)


@pytest.mark.parametrize("variant,nt_type", [("mean", "smoothgrad"), ("mean_square", "smoothgrad_sq"),
                                             ("variance", "vargrad")])
def test_smoothgrad_saliency_matches_noise_tunnel_same_noise(variant, nt_type):
    model = make_tiny()
    x = torch.rand(2, 3, 16, 16, generator=torch.Generator().manual_seed(3))
    n, stdev = 12, 0.2
    # Captum draws torch.normal(0, stdev) of shape (N * n, C, H, W) from the global RNG, image-major.
    torch.manual_seed(123)
    noise = torch.normal(0, torch.full((2 * n, 3, 16, 16), stdev))
    torch.manual_seed(123)
    ref = NoiseTunnel(CaptumSaliency(model)).attribute(_captum_input(x), nt_type=nt_type, nt_samples=n,
                                                       stdevs=stdev, target=[1, 3], abs=True)
    ours = SmoothGrad(Saliency(model, reduction="abs"), n_samples=n, variant=variant, batch_size=5).attribute(
        x, [1, 3], noise=noise.view(2, n, 3, 16, 16))
    assert_close_rel(ours, ref, rel=1e-5 if variant != "variance" else 1e-4)


def test_smoothgrad_guided_backprop_matches_noise_tunnel_classic(classic, classic_inputs):
    x = classic_inputs[:1]
    n, stdev = 4, 0.2
    torch.manual_seed(7)
    noise = torch.normal(0, torch.full((n, 3, 128, 128), stdev))
    torch.manual_seed(7)
    ref = NoiseTunnel(CaptumGB(classic)).attribute(_captum_input(x), nt_type="smoothgrad", nt_samples=n,
                                                   stdevs=stdev, target=3)
    exact = SmoothGrad(GuidedBackprop(classic), n_samples=n, batch_size=3, fast_copy=False)
    assert_close_rel(exact.attribute(x, 3, noise=noise.view(1, n, 3, 128, 128)), ref)
    # The default runs on the faster copy (BatchNorm folded, channels_last): float32 rounding moves a
    # few near-tie max-pool / ReLU decisions, so single pixels differ by up to ~1 % of the map's
    # maximum at n = 4 (measured 1.05 %; it shrinks as n grows); the map as a whole is the same.
    fast = SmoothGrad(GuidedBackprop(classic), n_samples=n, batch_size=3).attribute(
        x, 3, noise=noise.view(1, n, 3, 128, 128))
    diff = (fast - ref).abs() / ref.abs().max()
    assert diff.max() <= 0.03 and diff.mean() <= 1e-3
    assert spearmanr(fast.flatten(), ref.flatten())[0] >= 0.9999


def test_smoothgrad_seeded_noise_is_relative_gaussian():
    """Without injected noise, the draw is N(0, (sigma * range)^2): check through a linear model,
    whose gradient is constant, so SmoothGrad of the 'x * grad' trick recovers the noise mean."""
    model = make_tiny()
    x = torch.rand(1, 3, 16, 16) * 0.5  # range ~0.5, so the absolute stdev is ~0.1
    captured = []

    class Recorder(Saliency):
        def _attribute_batch(self, noisy, target):
            captured.append(noisy - x)
            return super()._attribute_batch(noisy, target)

    SmoothGrad(Recorder(model), sigma=0.2, n_samples=64, batch_size=16, seed=0).attribute(x, 0)
    noise = torch.cat(captured)
    expected = 0.2 * (x.max() - x.min())
    assert noise.shape == (64, 3, 16, 16)
    assert abs(noise.std().item() - expected.item()) < 0.05 * expected.item()
    assert abs(noise.mean().item()) < 0.01


def test_integrated_gradients_matches_captum(model_and_inputs):
    model, x, _ = model_and_inputs
    steps = 4 if x.shape[-1] > 32 else 20
    ref = CaptumIG(model).attribute(_captum_input(x), target=2, n_steps=steps)
    ours = IntegratedGradients(model, n_steps=steps, batch_size=7).attribute(x, 2)
    assert_close_rel(ours, ref)


def test_integrated_gradients_baseline_and_riemann_match_captum():
    model = make_tiny()
    x = torch.rand(2, 3, 16, 16, generator=torch.Generator().manual_seed(9))
    baseline = torch.full_like(x, 0.5)
    ref = CaptumIG(model).attribute(_captum_input(x), baselines=baseline, target=1, n_steps=16,
                                    method="riemann_trapezoid")
    ours = IntegratedGradients(model, baseline=baseline, n_steps=16, method="riemann_trapezoid").attribute(x, 1)
    assert_close_rel(ours, ref)


def test_integrated_gradients_completeness():
    """Attributions sum to score(x) - score(baseline) (checked in float64 for a tight bound)."""
    model = make_tiny().double()
    x = torch.rand(1, 3, 16, 16, dtype=torch.float64)
    attr = IntegratedGradients(model, n_steps=64).attribute(x, 1)
    with torch.no_grad():
        gap = model(x)[0, 1] - model(torch.zeros_like(x))[0, 1]
    assert abs(attr.sum().item() - gap.item()) < 1e-2 * abs(gap.item()) + 1e-6


def test_gradcam_matches_captum(model_and_inputs):
    model, x, layer_alias = model_and_inputs
    from helpers.models.layers import resolve_layer

    _, layer = resolve_layer(model, layer_alias)
    ref_raw = LayerGradCam(model, layer).attribute(_captum_input(x), target=1, relu_attributions=True)
    raw = GradCAM(model, layer_alias, upsample=False).attribute(x, 1)
    assert_close_rel(raw, ref_raw)
    ref_up = LayerAttribution.interpolate(ref_raw, tuple(x.shape[-2:]), interpolate_mode="bilinear")
    up = GradCAM(model, layer_alias).attribute(x, 1)
    assert up.shape == (x.shape[0], 1) + tuple(x.shape[-2:])
    assert_close_rel(up, ref_up)


def test_guided_gradcam_matches_captum(model_and_inputs):
    model, x, layer_alias = model_and_inputs
    from helpers.models.layers import resolve_layer

    _, layer = resolve_layer(model, layer_alias)
    target = [2, 0, 1][: x.shape[0]]
    ref = CaptumGuidedGradCam(model, layer).attribute(_captum_input(x), target=target)  # nearest upsampling
    ours = GuidedGradCAM(model, layer_alias, interpolate="nearest").attribute(x, target)
    assert ours.shape == x.shape
    assert_close_rel(ours, ref)
    # the product of the two factors, each computed on its own (bilinear upsampling by default)
    product = GuidedBackprop(model).attribute(x, target) * GradCAM(model, layer_alias).attribute(x, target)
    assert_close_rel(GuidedGradCAM(model, layer_alias).attribute(x, target), product)
    assert_close_rel(GuidedGradCAM(model, layer_alias, reduction="max_abs").attribute(x, target),
                     product.abs().amax(1, keepdim=True))
