"""The food/backdrop split and its per-image validity, on constructed photos with a known food
mask and on real busy photos from scikit-image."""
import numpy as np
import pytest
import torch
from skimage import data, transform

from helpers.measures.regions import background_split
from measures_testutils import checkered_cloth, paste, plate_on_table, synthetic_food, white_plate_photo, wooden_table

SIZE = 96


def busy_photo(name: str) -> np.ndarray:
    return transform.resize(getattr(data, name)(), (SIZE, SIZE), anti_aliasing=True).transpose(2, 0, 1)


def test_white_plate_photo_is_valid_and_recovers_the_food_mask():
    image, food = white_plate_photo(SIZE, SIZE)
    split = background_split(torch.from_numpy(image)[None].float())
    assert split.valid.tolist() == [True] and split.reason == [None] and split.reason_code == [None]
    assert split.food_area[0] == pytest.approx(food.mean(), abs=0.02)
    assert (split.food[0] == food).mean() > 0.98


def test_dark_studio_backdrop_is_valid_too():
    food, mask = synthetic_food(SIZE, SIZE)
    black = np.full((3, SIZE, SIZE), 0.03) + np.random.default_rng(1).normal(0, 0.01, (3, SIZE, SIZE))
    split = background_split(paste(food, mask, np.clip(black, 0, 1))[None])
    assert split.valid[0]
    assert split.food_area[0] == pytest.approx(mask.mean(), abs=0.02)


def test_pale_food_inside_the_outline_stays_food():
    # a white patch inside the food matches the backdrop's colour but is not connected to the border
    image, food = white_plate_photo(SIZE, SIZE)
    image[:, 44:52, 40:56] = 0.97
    split = background_split(image[None])
    assert split.valid[0] and split.food[0, 44:52, 40:56].all()


@pytest.mark.parametrize("backdrop", ["checkered cloth", "wooden table", "plate on table"])
def test_food_on_busy_backdrops_is_invalid_with_a_reason(backdrop):
    food, mask = synthetic_food(SIZE, SIZE)
    under = {"checkered cloth": lambda: checkered_cloth(SIZE, SIZE, 12),
             "wooden table": lambda: wooden_table(SIZE, SIZE),
             "plate on table": lambda: plate_on_table(SIZE, SIZE)[0]}[backdrop]()
    split = background_split(paste(food, mask, under)[None])
    assert not split.valid[0]
    assert "border is not one uniform backdrop" in split.reason[0] and split.reason_code[0] == "border"


def test_cloth_along_one_edge_is_caught_by_the_side_check():
    image, _ = white_plate_photo(SIZE, SIZE)
    strip = int(0.06 * SIZE)
    image[:, :, -strip:] = checkered_cloth(SIZE, SIZE, 8)[:, :, -strip:]
    split = background_split(image[None])
    assert split.border_uniformity[0] >= 0.8  # the whole frame alone would pass
    assert not split.valid[0] and "one side" in split.reason[0] and split.reason_code[0] == "side"


@pytest.mark.parametrize("name", ["coffee", "chelsea", "astronaut"])
def test_real_busy_photos_are_invalid(name):
    split = background_split(busy_photo(name)[None])
    assert not split.valid[0]
    assert split.reason[0] is not None


def test_tiny_food_is_invalid():
    image = np.full((3, SIZE, SIZE), 0.96)
    image[:, 46:50, 46:50] = np.array([0.8, 0.3, 0.1])[:, None, None]
    split = background_split(image[None])
    assert not split.valid[0] and "food covers only" in split.reason[0] and split.reason_code[0] == "food"


def test_food_filling_the_image_is_invalid():
    # a one-pixel uniform frame around food: the border is one colour, but food is > 95 %
    food, _ = synthetic_food(SIZE, SIZE)
    food[:, 2:-2, 2:-2] = np.array([0.8, 0.3, 0.1])[:, None, None]
    framed = np.full((3, SIZE, SIZE), 0.96)
    framed[:, 1:-1, 1:-1] = food[:, 1:-1, 1:-1]
    split = background_split(framed[None], border_width=0.01)
    assert not split.valid[0] and "backdrop covers only" in split.reason[0] and split.reason_code[0] == "background"


def test_batch_verdicts_are_per_image_and_where_valid_masks_invalid_ones():
    good, _ = white_plate_photo(SIZE, SIZE)
    food, mask = synthetic_food(SIZE, SIZE)
    bad = paste(food, mask, checkered_cloth(SIZE, SIZE, 12))
    split = background_split(np.stack([good, bad, good]))
    assert split.valid.tolist() == [True, False, True] and split.n_valid == 2 and len(split) == 3
    assert split.reason[0] is None and split.reason[2] is None
    masked = split.where_valid(np.array([0.5, 0.7, 0.9]))
    assert masked[0] == 0.5 and np.isnan(masked[1]) and masked[2] == 0.9
    with pytest.raises(ValueError, match="2 values for a split of 3"):
        split.where_valid([1.0, 2.0])


def test_wrong_shapes_say_what_was_expected():
    with pytest.raises(ValueError, match=r"\(N, 3, H, W\)"):
        background_split(torch.rand(3, 16, 16))
    with pytest.raises(ValueError, match="border_width"):
        background_split(torch.rand(1, 3, 16, 16), border_width=0.6)
