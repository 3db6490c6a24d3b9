"""The metrics on the embedded default model (EfficientNet-Lite0, reused ReLU6 modules), at a
small input size so that the test stays cheap."""
from __future__ import annotations

import io

import pytest
import torch

from helpers.explain import GradCAM, Saliency
from helpers.trust import cascade_layers, cascading_randomisation, deletion_insertion, factory_from, random_map

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def default_model():
    from helpers.models.default_model import load_default_model

    return load_default_model()


def state_bytes(model: torch.nn.Module) -> bytes:
    buffer = io.BytesIO()
    torch.save({k: v.detach().clone() for k, v in model.state_dict().items()}, buffer)
    return buffer.getvalue()


def test_default_model_randomisation_leaves_model_untouched(default_model):
    x = torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    before = state_bytes(default_model)
    cascade = cascade_layers(default_model)
    assert cascade[0] == "_fc" and cascade[-1] == "_conv_stem" and len(cascade) == 50
    result = cascading_randomisation(default_model, x, lambda m: Saliency(m), group_depth=2, max_steps=3)
    assert result.layers[-1] == "_conv_stem" and result.n_randomised[-1] == 50
    assert result.spearman[-1].mean() < 0.9
    cam = cascading_randomisation(default_model, x, factory_from(GradCAM(default_model, "_conv_head"), default_model),
                                  layers=["_conv_head"])
    assert cam.layers == ["original", "_conv_head"]
    assert state_bytes(default_model) == before
    assert not default_model.training


def test_default_model_deletion_runs_batched(default_model):
    x = torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    a = deletion_insertion(default_model, x, random_map(x), n_steps=5, batch_size=4)
    b = deletion_insertion(default_model, x, random_map(x), n_steps=5, batch_size=12)
    torch.testing.assert_close(a.deletion, b.deletion, atol=1e-5, rtol=0)
    torch.testing.assert_close(a.insertion, b.insertion, atol=1e-5, rtol=0)
