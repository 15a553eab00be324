import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _keras_home(tmp_path, monkeypatch):
    """Each test gets its own Keras cache, so downloads and caches never leak between tests."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
