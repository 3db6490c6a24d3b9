"""The report's choice of images: the few its figures show (stratified, seeded, every class, right
and wrong) and the larger sample its numbers are measured on (:func:`measured_sample`).

Given the split's labels and the model's predictions, :func:`select_images` picks ``n`` images:
the first round takes one image per class (classes drawn by the seed when ``n`` is smaller than
the number of classes), further rounds go round the classes again. About 40 % of the picks (at
least one) are wrongly classified images, taken from classes that have errors, and at least one
is correct, whenever the split has both; the rest are correct predictions. The same inputs and
seed always give the same images.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

WRONG_SHARE = 0.4


def select_images(labels: Sequence[int], predicted: Sequence[int], n: int | None, seed: int = 0,
                  num_classes: int | None = None) -> list[int]:
    """Positions (into ``labels``) of the chosen images, sorted by class then position.

    ``n=None`` means one image per class present in ``labels``.
    """
    labels, predicted = np.asarray(labels), np.asarray(predicted)
    if labels.shape != predicted.shape or labels.ndim != 1 or labels.size == 0:
        raise ValueError("labels and predicted must be equal-length, non-empty 1-D sequences")
    rng = np.random.default_rng(seed)
    present = sorted(int(c) for c in np.unique(labels))
    n = len(present) if n is None else int(n)
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    n = min(n, labels.size)
    pools: dict[int, dict[bool, list[int]]] = {}
    for c in present:
        members = np.flatnonzero(labels == c)
        members = members[rng.permutation(members.size)]
        pools[c] = {True: [int(i) for i in members if predicted[i] == c],
                    False: [int(i) for i in members if predicted[i] != c]}
    if n < len(present):
        classes = sorted(int(c) for c in rng.choice(present, size=n, replace=False))
    else:
        classes = present
    # Slots: the class of each pick, round after round over the classes with images left.
    slots: list[int] = []
    left = {c: len(pools[c][True]) + len(pools[c][False]) for c in classes}
    while len(slots) < n:
        for c in classes:
            if left[c] > 0 and len(slots) < n:
                slots.append(c)
                left[c] -= 1
    # Which slots take a wrong prediction: classes with errors, in a seeded order.
    total_wrong = sum(len(pools[c][False]) for c in classes)
    total_right = sum(len(pools[c][True]) for c in classes)
    want_wrong = 0
    if total_wrong:
        want_wrong = min(total_wrong, max(1, round(n * WRONG_SHARE)))
        if total_right and n >= 2:
            want_wrong = min(want_wrong, n - 1)
    wrong_budget = {c: len(pools[c][False]) for c in classes}
    wrong_slots: set[int] = set()
    for position in rng.permutation(len(slots)):
        if len(wrong_slots) >= want_wrong:
            break
        c = slots[int(position)]
        if wrong_budget[c] > 0:
            wrong_budget[c] -= 1
            wrong_slots.add(int(position))
    chosen = []
    for position, c in enumerate(slots):
        first = position not in wrong_slots  # True = take a correct one
        pool = pools[c][first] or pools[c][not first]
        chosen.append(pool.pop(0))
    return sorted(chosen, key=lambda i: (int(labels[i]), i))


def measured_sample(labels: Sequence[int], n: int, seed: int = 0, include: Sequence[int] = ()) -> list[int]:
    """Positions (into ``labels``) of the images the report's numbers are measured on, sorted.

    Stratified by class and fixed before any map is computed: the number per class follows the
    class's share of the split (the class furthest below its share gets the next image), the
    images within a class are a seeded random draw. ``include`` (the images the figures show) is
    always part of the sample and counts towards its class's share; ``n`` at or above the split's
    size gives every image. Only the labels are read, never a prediction or a map.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.size == 0:
        raise ValueError("labels must be a non-empty 1-D sequence")
    if int(n) < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    include = sorted({int(i) for i in include})
    if include and (include[0] < 0 or include[-1] >= labels.size):
        raise ValueError(f"include holds positions outside 0..{labels.size - 1}: {include}")
    n = min(max(int(n), len(include)), labels.size)
    classes = sorted(int(c) for c in np.unique(labels))
    share = {c: n * float(np.mean(labels == c)) for c in classes}
    rng = np.random.default_rng(seed)
    taken = set(include)
    # Seeded order of the images not yet taken, per class: the class's next image is the next one.
    queue = {c: [int(i) for i in rng.permutation(np.flatnonzero(labels == c)) if int(i) not in taken]
             for c in classes}
    count = {c: int(np.sum(labels[include] == c)) if include else 0 for c in classes}
    chosen = list(include)
    while len(chosen) < n:
        open_classes = [c for c in classes if queue[c]]
        c = max(open_classes, key=lambda k: (share[k] - count[k], -k))
        chosen.append(queue[c].pop(0))
        count[c] += 1
    return sorted(chosen)
