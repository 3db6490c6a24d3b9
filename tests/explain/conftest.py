"""Fixtures for the explanation-method tests: tiny models that run in milliseconds."""
from __future__ import annotations

import pytest
import torch

from explain_testutils import TinyNet, make_tiny


@pytest.fixture
def tiny() -> TinyNet:
    return make_tiny()


@pytest.fixture
def tiny_inputs() -> torch.Tensor:
    return torch.rand(3, 3, 16, 16, generator=torch.Generator().manual_seed(1))


@pytest.fixture(scope="session")
def classic():
    from helpers.models.classic import Food11CNN

    torch.manual_seed(0)
    return Food11CNN().eval()


@pytest.fixture(scope="session")
def classic_inputs() -> torch.Tensor:
    return torch.rand(2, 3, 128, 128, generator=torch.Generator().manual_seed(2))


@pytest.fixture(scope="session")
def coffee_128() -> torch.Tensor:
    """A real photo (scikit-image's CC0 espresso), (1, 3, 128, 128) in [0, 1]."""
    from skimage import data, transform

    img = transform.resize(data.coffee(), (128, 128), anti_aliasing=True)
    return torch.from_numpy(img).permute(2, 0, 1).unsqueeze(0).float()
