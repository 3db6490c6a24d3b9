"""Per-image map measures on constructed maps with known answers."""
import numpy as np
import pytest
import torch
from skimage import color, filters

from helpers.measures.maps import (concentration, edge_alignment, edge_magnitude, lime_positive_share,
                                   rank_correlation, share_on_region)
from measures_testutils import white_plate_photo


def left_half(n: int = 2, size: int = 16) -> np.ndarray:
    region = np.zeros((n, size, size), dtype=bool)
    region[:, :, : size // 2] = True
    return region


def test_share_on_region_known_answers():
    region = left_half()
    inside = np.where(region, 1.0, 0.0)
    assert share_on_region(inside, region) == pytest.approx([1.0, 1.0])
    assert share_on_region(-inside, region) == pytest.approx([1.0, 1.0])  # |map| mass
    assert share_on_region(1.0 - inside, region) == pytest.approx([0.0, 0.0])
    assert share_on_region(np.ones((2, 16, 16)), region) == pytest.approx([0.5, 0.5])  # the area share


def test_share_on_region_is_nan_for_an_all_zero_map_and_reduces_channels():
    region = left_half()
    maps = torch.zeros(2, 3, 16, 16)
    maps[1, 2, :, :8] = -2.0
    share = share_on_region(maps, torch.from_numpy(region))
    assert np.isnan(share[0]) and share[1] == pytest.approx(1.0)


def test_share_on_region_rejects_maps_of_another_size():
    with pytest.raises(ValueError, match="upsample"):
        share_on_region(np.ones((2, 7, 7)), left_half())


def test_concentration_single_pixel_versus_spread():
    peaked = np.zeros((1, 10, 10))
    peaked[0, 3, 4] = 5.0
    assert concentration(peaked, top=0.1) == pytest.approx([1.0])
    assert concentration(np.ones((1, 10, 10)), top=0.1) == pytest.approx([0.1])
    assert np.isnan(concentration(np.zeros((1, 10, 10)))[0])


def test_rank_correlation_known_answers_and_nan_for_constant_maps():
    rng = np.random.default_rng(0)
    a = rng.random((3, 12, 12))
    b = a.copy()
    b[1] = a[1].max() - a[1]  # reversed ranks
    b[2] = 0.0  # constant: no rank correlation
    r = rank_correlation(a, b)
    assert r[0] == pytest.approx(1.0) and r[1] == pytest.approx(-1.0) and np.isnan(r[2])


def test_edge_alignment_high_for_the_sobel_map_and_near_zero_for_noise():
    image, _ = white_plate_photo(64, 64)
    images = torch.from_numpy(np.stack([image, image[:, ::-1].copy()])).float()
    sobel = np.stack([filters.sobel(color.rgb2gray(im.numpy().transpose(1, 2, 0))) for im in images])
    assert np.allclose(edge_magnitude(images), sobel, atol=1e-6)
    assert edge_alignment(sobel, images) == pytest.approx([1.0, 1.0])
    noise = np.random.default_rng(0).normal(size=(2, 64, 64))
    assert np.all(np.abs(edge_alignment(noise, images)) < 0.1)
    # a blurred edge drawing is still mostly an edge drawing; its inverse is not
    blurred = np.stack([filters.gaussian(s, sigma=1) for s in sobel])
    assert np.all(edge_alignment(blurred, images) > 0.5)
    assert np.all(edge_alignment(sobel.max() - sobel, images) < -0.9)


def test_edge_alignment_nan_for_a_flat_image():
    flat = torch.full((1, 3, 16, 16), 0.5)
    assert np.isnan(edge_alignment(torch.rand(1, 16, 16), flat)[0])


def test_lime_positive_share_weighs_superpixels_by_their_region_fraction():
    segments = np.array([[0, 0, 1, 1],
                         [0, 0, 1, 1],
                         [2, 2, 3, 3],
                         [2, 2, 3, 3]])
    region = np.zeros((4, 4), dtype=bool)
    region[:, :2] = True  # superpixels 0 and 2 inside, 1 and 3 outside
    region[0, 2] = True  # a quarter of superpixel 1 inside
    assert lime_positive_share(np.array([1.0, 0.0, 0.0, 0.0]), segments, region) == pytest.approx(1.0)
    assert lime_positive_share(np.array([0.0, 0.0, 0.0, 2.0]), segments, region) == pytest.approx(0.0)
    # negative weights do not count; superpixel 1 contributes a quarter of its weight
    assert lime_positive_share(np.array([1.0, 2.0, -5.0, 1.0]), segments, region) == pytest.approx(1.5 / 4)
    assert np.isnan(lime_positive_share(np.array([-1.0, 0.0, 0.0, 0.0]), segments, region))
    with pytest.raises(ValueError, match="one class"):
        lime_positive_share(np.ones(3), segments, region)
