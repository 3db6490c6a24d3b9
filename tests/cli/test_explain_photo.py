"""``explain_photo`` for notebooks: the maps the command writes, and a figure laid out for the page."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from helpers.data.images import load_image
from helpers.explain import GradCAM, GuidedBackprop, Saliency, SmoothGrad, explain_photo
from helpers.explain.photo import MethodSettings
from helpers.models.registry import load_model
from helpers.plotting import layout_problems


@pytest.fixture(scope="module")
def classic(classic_checkpoint):
    return load_model("classic", classic_checkpoint, device="cpu")


def test_maps_and_figure_of_one_method(classic, demo_photos):
    result = explain_photo(demo_photos[0], classic, method="smoothgrad-guided", samples=3, sigma=0.1, seed=4)
    image = load_image(demo_photos[0], 32)[None]
    own = SmoothGrad(GuidedBackprop(classic.model, reduction="max_abs"), sigma=0.1, n_samples=3, seed=4,
                     batch_size=8).attribute(image)
    assert list(result.maps) == ["smoothgrad-guided"]
    torch.testing.assert_close(result.maps["smoothgrad-guided"], own[0], rtol=0, atol=1e-6 * float(own.abs().max()))
    torch.testing.assert_close(result.image, image[0])
    fig = result.figure()
    assert isinstance(fig, Figure) and len(fig.axes[0].images) == 3  # photo | map | overlay on one canvas
    assert fig.texts and "SmoothGrad x guided backprop" in fig.texts[0].get_text()
    assert f"p = {result.top(1)[0][2]:.3f}" in fig.texts[0].get_text()
    assert not layout_problems(fig)
    assert result._repr_png_()[:8] == b"\x89PNG\r\n\x1a\n"  # what Jupyter shows for a result


def test_several_methods_give_a_row_each(classic, demo_photos):
    result = explain_photo(demo_photos[1], classic, method=["saliency", "gradcam"], target=2)
    image = load_image(demo_photos[1], 32)[None]
    saliency = Saliency(classic.model, reduction="max_abs").attribute(image, 2)[0]
    torch.testing.assert_close(result.maps["saliency"], saliency)
    torch.testing.assert_close(result.maps["gradcam"], GradCAM(classic.model, "conv5").attribute(image, 2)[0])
    assert result.target == 2 != result.predicted and "target; predicted class" in result.title()
    fig = result.figure()
    assert len(fig.axes[0].images) == 6 and not layout_problems(fig)
    assert len(result.figure("gradcam").axes[0].images) == 3
    with pytest.raises(ValueError, match="no 'lime' map"):
        result.figure("lime")


def test_a_plain_module_needs_its_input_size(classic, demo_photos):
    with pytest.raises(ValueError, match="input_size"):
        explain_photo(demo_photos[0], classic.model, method="saliency")
    result = explain_photo(demo_photos[0], classic.model, method="saliency", input_size=32,
                           class_names=["Rice", "Soup", "Egg"])
    assert [name for _, name, _ in result.top(3)] and {n for _, n, _ in result.top(3)} == {"Rice", "Soup", "Egg"}
    assert np.isclose(sum(p for _, _, p in result.top(3)), 1.0, atol=1e-5)


def test_wrong_arguments_raise_before_anything_runs(classic, demo_photos):
    with pytest.raises(ValueError, match="unknown method 'smoothgrad-guidedd'"):
        explain_photo(demo_photos[0], classic, method="smoothgrad-guidedd")
    with pytest.raises(ValueError, match="out of range"):
        explain_photo(demo_photos[0], classic, method="saliency", target=3)
    with pytest.raises(ValueError, match="samples must be an integer >= 1"):
        MethodSettings(samples=0)
    with pytest.raises(TypeError, match="either settings= or"):
        explain_photo(demo_photos[0], classic, settings=MethodSettings(), samples=3)
