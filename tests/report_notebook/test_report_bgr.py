"""The report path with ``channel_order="bgr"`` (a classic model trained on OpenCV images): the
pictures stay RGB and upright, the model sees BGR as it was trained, and the maps belong to the RGB
picture's channels and pixels (not swapped, not flipped)."""
from __future__ import annotations

import copy

import torch

from helpers.data.images import load_image
from helpers.evaluation.predictions import predict_split
from helpers.explain import Saliency
from helpers.models.classic import Food11CNN
from helpers.report.setup import open_report


def test_bgr_run_maps_line_up_with_the_rgb_picture(tiny_kit, tmp_path):
    run = open_report(tiny_kit.params(tmp_path, channel_order="bgr", image_ids=["1_3", "2_6"]))
    predictions = run.cached(predict_split, run.model, run.split, batch_size=8)
    ex = run.explained_images(predictions)
    assert ex.ids == ["1_3", "2_6"]
    for k, image_id in enumerate(ex.ids):  # the picture is the file, in RGB, the right way round
        path = run.split.records[run.split.index_of(image_id)].path
        assert torch.equal(ex.images[k], load_image(path, run.loaded.input_size, run.loaded.resize_mode))
    # The same weights as an RGB model fed the channel-swapped picture: what the BGR model must see.
    twin = Food11CNN(3, input_size=run.loaded.input_size, channel_order="rgb").eval()
    twin.load_state_dict(run.model.state_dict())
    swapped = ex.images[:, [2, 1, 0]]
    assert torch.allclose(run.model(ex.images), twin(swapped), atol=1e-5)
    maps = run.cached(Saliency(run.model, reduction="none"), ex.images, target=ex.predicted)
    reference = Saliency(twin, reduction="none").attribute(swapped, target=ex.predicted)[:, [2, 1, 0]]
    assert torch.allclose(maps, reference, atol=1e-6 * float(reference.abs().max()))
    # The red channel of the map is the red channel's gradient: nudging red at its strongest pixel
    # moves the score by about map * step (a swapped map would point at the blue channel).
    y, x = divmod(int(maps[0, 0].abs().argmax()), maps.shape[-1])
    exact = copy.deepcopy(run.model).double()  # float64: the score change of a tiny step is not rounding noise
    bumped = ex.images.double().clone()
    bumped[0, 0, y, x] += 1e-4
    target = int(ex.predicted[0])
    with torch.no_grad():
        change = float(exact(bumped)[0, target] - exact(ex.images.double())[0, target]) / 1e-4
    assert abs(change - float(maps[0, 0, y, x])) < 0.05 * abs(float(maps[0, 0, y, x]))
