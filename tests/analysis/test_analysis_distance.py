"""Mean attention distance against closed forms and brute-force sums over positions."""

import math

import keras
import numpy as np
import pytest

import keras_vit
from keras_vit.analysis import (
    attention_distance,
    mean_attention_distance,
    read_distance_csv,
    write_distance_csv,
)
from keras_vit.models import build_vit


def brute_force_uniform(gh, gw, cell_h, cell_w):
    """Mean distance between two patch centres drawn uniformly, by an explicit double loop."""
    cells = [(r, c) for r in range(gh) for c in range(gw)]
    total = sum(math.hypot((r1 - r2) * cell_h, (c1 - c2) * cell_w) for r1, c1 in cells for r2, c2 in cells)
    return total / len(cells) ** 2


def uniform_attention(batch, heads, tokens):
    return np.full((batch, heads, tokens, tokens), 1.0 / tokens)


def test_one_hot_on_own_patch_is_zero():
    gh, gw, prefix = 3, 4, 1
    t = prefix + gh * gw
    weights = np.broadcast_to(np.eye(t), (2, 3, t, t))
    np.testing.assert_array_equal(attention_distance(weights, (gh, gw), (16, 16), prefix), np.zeros(3))


def test_uniform_attention_matches_brute_force():
    # 2×2 grid by hand: from any patch, distances 0, 1, 1, √2 cells.
    got = attention_distance(uniform_attention(1, 2, 4), (2, 2), (16, 16))
    np.testing.assert_allclose(got, [16 * (2 + math.sqrt(2)) / 4] * 2, rtol=1e-12)
    # A non-square grid with non-square cells.
    got = attention_distance(uniform_attention(2, 3, 15), (3, 5), (16, 8))
    np.testing.assert_allclose(got, [brute_force_uniform(3, 5, 16, 8)] * 3, rtol=1e-12)


def test_class_token_is_dropped_and_rows_renormalised():
    gh = gw = 4
    n = gh * gw
    # Each query: 70 % on the class token, the rest spread uniformly over the patches.
    weights = np.zeros((1, 2, 1 + n, 1 + n))
    weights[..., 0] = 0.7
    weights[..., 1:] = 0.3 / n
    np.testing.assert_allclose(
        attention_distance(weights, (gh, gw), (8, 8), num_prefix=1), [brute_force_uniform(4, 4, 8, 8)] * 2
    )


def test_one_hot_to_first_column_is_mean_column_offset():
    gh, gw = 3, 5
    weights = np.zeros((1, 1, gh * gw, gh * gw))
    for r in range(gh):
        for c in range(gw):
            weights[0, 0, r * gw + c, r * gw] = 1.0  # attend to the first patch of the same row
    np.testing.assert_allclose(attention_distance(weights, (gh, gw), (10, 7)), [7 * (gw - 1) / 2])


def test_list_of_layers_averages_over_batch():
    gh = gw = 3
    t = 1 + gh * gw
    eye = np.broadcast_to(np.eye(t), (1, 2, t, t))
    mixed = np.concatenate([eye, uniform_attention(1, 2, t)])  # image 1: distance 0; image 2: uniform
    got = attention_distance([eye, mixed], (gh, gw), (4, 4), num_prefix=1)
    assert got.shape == (2, 2)
    np.testing.assert_allclose(got[0], 0.0)
    np.testing.assert_allclose(got[1], brute_force_uniform(3, 3, 4, 4) / 2)


def test_model_with_constant_logits_gives_uniform_distance_on_hybrid_grid():
    """q = k = 0 makes every head uniform; on a 4× stem with patch 2 a grid cell is 8 pixels."""

    def stem(inputs):
        return keras.layers.AveragePooling2D(4, name="stem_pool")(inputs)

    model = build_vit(
        image_size=32, patch_size=2, hidden_size=32, depth=2, num_heads=4, mlp_dim=64, stem=stem, stem_stride=4
    )
    for i in range(2):
        att = model.get_layer(f"encoderblock_{i}").attention
        for w in (att.query_kernel, att.query_bias, att.key_kernel, att.key_bias):
            w.assign(np.zeros(w.shape, "float32"))
    images = np.random.default_rng(0).uniform(-1, 1, (5, 32, 32, 3)).astype("float32")
    got = mean_attention_distance(model, images, batch_size=2, num_images=3)
    np.testing.assert_allclose(got, np.full((2, 4), brute_force_uniform(4, 4, 8, 8)), rtol=1e-5)


def test_csv_round_trip(tmp_path):
    distances = np.arange(6, dtype="float64").reshape(2, 3) * 1.5
    path = tmp_path / "d.csv"
    write_distance_csv(distances, path)
    lines = path.read_text().splitlines()
    assert lines[0] == "layer,head,distance_px"
    assert lines[1] == "1,0,0.0000" and lines[-1] == "2,2,7.5000"
    np.testing.assert_allclose(read_distance_csv(path), distances)


def test_errors(tmp_path):
    with pytest.raises(ValueError, match=r"T = num_prefix \+ gh \* gw = 17.*Received: weights.shape=\(1, 1, 16, 16\)"):
        attention_distance(np.ones((1, 1, 16, 16)), (4, 4), num_prefix=1)
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="columns.*Received:"):
        read_distance_csv(bad)
    model = keras_vit.ViT(image_size=32, patch_size=8, hidden_size=32, depth=1, num_heads=4, mlp_dim=64)
    with pytest.raises(ValueError, match="No images.*Received: images.shape=\\(0, 32, 32, 3\\)"):
        mean_attention_distance(model, np.zeros((0, 32, 32, 3), "float32"))
