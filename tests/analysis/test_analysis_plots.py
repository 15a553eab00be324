"""Each plot writes a PNG of exactly figsize × dpi pixels with something drawn on it."""

import matplotlib.image
import numpy as np
import pytest

from keras_vit.analysis import (
    plot_attention_distance,
    plot_distance_comparison,
    plot_embedding_filters,
    plot_posemb_similarity,
    plot_rollout,
)


def read_png(path, height, width):
    pixels = matplotlib.image.imread(path)
    assert pixels.shape[:2] == (height, width)
    assert pixels[..., :3].std() > 0.01  # not a blank canvas
    return pixels


def test_attention_distance_plots(tmp_path, rng):
    distances = rng.uniform(5, 100, (4, 3))
    read_png(plot_attention_distance(distances, tmp_path / "d.png", figsize=(4, 3), dpi=50), 150, 200)
    path = plot_distance_comparison(distances, distances[:3] * 0.5, tmp_path / "c.png", labels=("ViT", "R+ViT"))
    read_png(path, 400, 600)


def test_rollout_plot(tmp_path, rng):
    image = rng.uniform(0, 255, (32, 24, 3))
    read_png(plot_rollout(image, rng.uniform(size=(32, 24)), tmp_path / "r.png", dpi=60), 240, 480)
    grey = rng.uniform(0, 1, (32, 24, 1))
    read_png(plot_rollout(grey, rng.uniform(size=(32, 24)), tmp_path / "g.png"), 400, 800)


def test_posemb_similarity_plot(tmp_path, rng):
    similarity = rng.uniform(-1, 1, (3, 4, 3, 4))
    read_png(plot_posemb_similarity(similarity, tmp_path / "s.png"), 500, 600)


def test_embedding_filters_plot(tmp_path, rng):
    read_png(plot_embedding_filters(rng.uniform(size=(28, 8, 8, 3)), tmp_path / "f.png"), 410, 630)
    read_png(plot_embedding_filters(rng.uniform(size=(5, 4, 4, 1)), tmp_path / "f1.png", figsize=(5, 2)), 200, 500)


def test_errors(tmp_path, rng):
    with pytest.raises(ValueError, match=r"\(layers, heads\).*Received: distances.shape=\(4,\)"):
        plot_attention_distance(np.ones(4), tmp_path / "x.png")
    with pytest.raises(ValueError, match=r"upsample_map.*Received: heatmap.shape=\(4, 4\)"):
        plot_rollout(np.zeros((32, 32, 3)), np.zeros((4, 4)), tmp_path / "x.png")
    with pytest.raises(ValueError, match=r"Received: similarity.shape=\(4, 4\)"):
        plot_posemb_similarity(np.zeros((4, 4)), tmp_path / "x.png")
    with pytest.raises(ValueError, match=r"not RGB.*Received: components.shape=\(2, 1, 1, 64\)"):
        plot_embedding_filters(np.zeros((2, 1, 1, 64)), tmp_path / "x.png")
