"""LIME stability: Jaccard of the top-k superpixels under several seeds."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from helpers.explain import LimeExplainer

from helpers.trust import jaccard, lime_stability, top_superpixels
from trust_testutils import make_small, small_images


def test_jaccard_and_top_superpixels():
    assert jaccard([1, 2, 3], [3, 2, 1]) == 1.0
    assert jaccard([1, 2], [3, 4]) == 0.0
    assert jaccard([1, 2, 3], [2, 3, 4]) == pytest.approx(0.5)
    assert jaccard([], []) == 1.0
    assert top_superpixels(np.array([0.1, 0.5, -1.0, 0.5]), 2).tolist() == [1, 3]


def test_identical_seeds_give_jaccard_one():
    model, x = make_small(), small_images(2)
    res = lime_stability(model, x, seeds=(3, 3), top_k=3, num_samples=40, n_segments=12)
    assert res.jaccard.shape == (2, 1) and res.score.shape == (2, 2)
    assert (res.jaccard == 1).all()
    np.testing.assert_array_equal(res.score[:, 0], res.score[:, 1])


def test_different_seeds_jaccard_in_range_and_reproducible():
    model, x = make_small(), small_images(2)
    first = lime_stability(model, x, seeds=(0, 1, 2), top_k=3, num_samples=30, n_segments=12)
    assert first.jaccard.shape == (2, 3) and first.pairs == [(0, 1), (0, 2), (1, 2)]
    assert ((first.jaccard >= 0) & (first.jaccard <= 1)).all()
    assert ((first.score <= 1) & np.isfinite(first.score)).all()
    again = lime_stability(model, x, seeds=(0, 1, 2), top_k=3, num_samples=30, n_segments=12)
    np.testing.assert_array_equal(again.top, first.top)
    np.testing.assert_array_equal(again.score, first.score)


def test_k_above_superpixel_count_takes_all_and_bad_args():
    model, x = make_small(), small_images(1)
    with pytest.raises(ValueError, match="at least two"):
        lime_stability(model, x, seeds=(1,))
    res = lime_stability(model, x, seeds=(0, 1), top_k=100, num_samples=30, n_segments=8)
    assert (res.jaccard == 1).all() and res.mean_jaccard.shape == (1,)
    assert (res.top[0, 0] >= 0).sum() == res.n_segments[0]


def test_given_target_is_used():
    model, x = make_small(), small_images(2)
    res = lime_stability(model, x, target=[1, 2], seeds=(0, 1), top_k=2, num_samples=30, n_segments=8)
    assert res.target.tolist() == [1, 2]


class HalvesModel(nn.Module):
    """Class 0 reads the left half (plus a bias, so it is always the prediction), class 1 the
    right half: the two classes' evidence lies in different superpixels."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        half = x.shape[-1] // 2
        left, right = x[..., :half].mean(dim=(1, 2, 3)), x[..., half:].mean(dim=(1, 2, 3))
        return torch.stack([1.0 + 4 * left, 4 * right], dim=1)


def _halves_image(size: int = 32) -> torch.Tensor:
    x = 0.05 * torch.rand(1, 3, size, size, generator=torch.Generator().manual_seed(0))
    x[:, 0, :, : size // 2] += 0.8  # red left, blue right: SLIC splits at the middle
    x[:, 2, :, size // 2:] += 0.8
    x[:, 1] += 0.2
    return x


def test_top_superpixels_are_the_asked_target_s_not_the_prediction_s():
    model, x = HalvesModel(), _halves_image()
    kwargs = dict(n_segments=8, hide_color=0.0)  # a switched-off superpixel turns black
    segments = LimeExplainer(model, **kwargs).segment(np.ascontiguousarray(x[0].double().permute(1, 2, 0).numpy()))
    columns = np.broadcast_to(np.arange(segments.shape[1]), segments.shape)
    in_right_half = {int(s): bool((columns[segments == s] >= segments.shape[1] // 2).mean() > 0.5)
                     for s in np.unique(segments)}
    assert any(in_right_half.values()) and not all(in_right_half.values())
    predicted = lime_stability(model, x, seeds=(0, 1, 2), top_k=2, num_samples=40, **kwargs)
    asked = lime_stability(model, x, target=1, seeds=(0, 1, 2), top_k=2, num_samples=40, **kwargs)
    assert predicted.target.tolist() == [0] and asked.target.tolist() == [1]
    assert not any(in_right_half[int(s)] for s in predicted.top.ravel())
    assert all(in_right_half[int(s)] for s in asked.top.ravel())


def test_given_first_seed_results_are_used_as_they_are_and_equal_explaining_again():
    """The report passes section 3's explanations (same settings, first seed): the check then
    compares exactly those masks, at one explanation less per image."""
    model, x = make_small(), small_images(2)
    settings = dict(num_samples=30, n_segments=12)
    section3 = LimeExplainer(model, random_state=5, **settings).explain(x)
    fresh = lime_stability(model, x, seeds=(5, 6), top_k=3, **settings)
    reused = lime_stability(model, x, seeds=(5, 6), top_k=3, given=section3, **settings)
    np.testing.assert_array_equal(reused.top, fresh.top)
    np.testing.assert_array_equal(reused.jaccard, fresh.jaccard)
    weights_used = [top_superpixels(r.weights[t], 3) for r, t in zip(section3, reused.target)]
    np.testing.assert_array_equal(reused.top[:, 0], np.stack(weights_used))
    other = LimeExplainer(model, random_state=5, num_samples=30, n_segments=30).explain(x)
    with pytest.raises(ValueError, match="segmented differently"):
        lime_stability(model, x, seeds=(5, 6), top_k=3, given=other, **settings)
    with pytest.raises(ValueError, match="one LIME result per image"):
        lime_stability(model, x, seeds=(5, 6), given=section3[:1], **settings)


def test_every_image_gets_its_own_superpixels():
    """Regression: the segmentation was read through an explainer whose segment function had been
    pinned to the previous image's, so every image after the first got image 0's superpixels."""
    model, x = make_small(), small_images(2)
    own = [int(np.unique(r.segments).size) for r in LimeExplainer(model, num_samples=30, n_segments=12).explain(x)]
    assert own[0] != own[1]  # the fixture's two images segment differently: the check can fail
    assert lime_stability(model, x, seeds=(0, 1), top_k=3, num_samples=30, n_segments=12).n_segments.tolist() == own
