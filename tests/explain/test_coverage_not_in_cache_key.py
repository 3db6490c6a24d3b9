"""What a call records on an explainer (``coverage``, ``passes_ran_on``) is a result, not a setting:
the result cache's key of an explainer must be the same before and after a call."""
from __future__ import annotations

import torch

from explain_testutils import make_tiny
from helpers.explain import GuidedBackprop, SmoothGrad
from helpers.report.cached import call_key


def test_an_explainer_has_the_same_cache_key_before_and_after_a_call():
    model, x = make_tiny(), torch.rand(1, 3, 16, 16)
    for explainer in (GuidedBackprop(model), SmoothGrad(GuidedBackprop(model), n_samples=2)):
        before = call_key(explainer.attribute, (x,), {"target": 0})
        explainer.attribute(x, 0)
        assert explainer.coverage is not None
        assert call_key(explainer.attribute, (x,), {"target": 0}) == before
