"""Fixtures for the pure-geometry tests; nothing here touches a database or the app."""

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    """A fixed-seed generator, so non-hypothesis sampling is reproducible."""
    return np.random.default_rng(20240611)
