"""The experiment scripts of examples/: their pure parts against closed forms, and their `--quick` runs, so that
they cannot rot."""

import importlib.util
import os

import numpy as np
import pytest

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")


def _example(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(EXAMPLES, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_uniform_attention_distance_is_the_grids_mean_pairwise_distance():
    attention_distance = _example("attention_distance")
    # Two cells 4 px apart: the pairs (0, 0), (0, 4), (4, 0), (4, 4) average to 2 px.
    assert attention_distance.uniform_distance((1, 2), (4.0, 4.0)) == pytest.approx(2.0)
    # A 2×2 grid of 1-px cells: each point sees 0, 1, 1 and sqrt(2).
    assert attention_distance.uniform_distance((2, 2), (1.0, 1.0)) == pytest.approx((2 + np.sqrt(2)) / 4)


def test_local_fraction_counts_heads_below_the_threshold_per_layer():
    attention_distance = _example("attention_distance")
    distances = np.array([[1.0, 2.0, 9.0, 10.0], [8.0, 9.0, 10.0, 11.0]])
    assert attention_distance.local_fraction(distances, 5.0).tolist() == [0.5, 0.0]


@pytest.mark.tf_only
@pytest.mark.slow
def test_attention_distance_quick_run(tmp_path, capsys):
    from keras_vit.analysis.distance import read_distance_csv

    attention_distance = _example("attention_distance")
    assert attention_distance.main(["--quick", "--images", "8", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for name in attention_distance.MODELS.values():
        distances = read_distance_csv(tmp_path / f"attention_distance_{name}.csv")
        assert distances.shape == (4, 4) and np.isfinite(distances).all()
        # Every head's mean distance lies between attending to itself (0) and the farthest pair of cells.
        assert (distances >= 0).all() and (distances <= np.hypot(24, 24)).all()
    assert (tmp_path / "attention_distance.png").stat().st_size > 0
    assert "| layer | ViT: local heads | hybrid: local heads |" in out
