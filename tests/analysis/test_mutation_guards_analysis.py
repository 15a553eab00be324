"""Analysis tools on inputs whose answer is worked out by hand: asymmetric attention (rollout), non-square
grid cells (distance), and the plots checked for what they show (their data equal the library's result)."""

import numpy as np
import pytest

from keras_vit.analysis import plots
from keras_vit.analysis.distance import attention_distance
from keras_vit.analysis.rollout import attention_rollout, rollout_matrix

# Two layers of one head over two tokens; rows sum to one and neither matrix is symmetric.
A1 = [[0.2, 0.8], [0.6, 0.4]]
A2 = [[0.9, 0.1], [0.5, 0.5]]


def test_rollout_of_asymmetric_attention_is_the_hand_computed_product():
    # (A + I) / 2 per layer: R1 = [[0.6, 0.4], [0.3, 0.7]], R2 = [[0.95, 0.05], [0.25, 0.75]]; rollout R2 @ R1.
    want = np.array(
        [[0.95 * 0.6 + 0.05 * 0.3, 0.95 * 0.4 + 0.05 * 0.7], [0.25 * 0.6 + 0.75 * 0.3, 0.25 * 0.4 + 0.75 * 0.7]]
    )
    np.testing.assert_allclose(want, [[0.585, 0.415], [0.375, 0.625]])
    got = rollout_matrix([np.array(A1)[None, None], np.array(A2)[None, None]])
    np.testing.assert_allclose(got[0], want, atol=1e-12)


def test_rollout_map_is_the_class_token_row_over_the_patches():
    # Class token + a 1x2 grid, one layer: (A + I) / 2. Row 0 over the patches is [0.25, 0.05]; column 0 would be
    # [0.05, 0.3].
    a = np.array([[0.4, 0.5, 0.1], [0.1, 0.3, 0.6], [0.6, 0.2, 0.2]])
    maps = attention_rollout([a[None, None]], (1, 2), num_prefix=1)
    np.testing.assert_allclose(maps, [[[0.25, 0.05]]], atol=1e-12)


def test_attention_distance_on_non_square_cells():
    # A 1x2 grid of cells 3 px high and 5 px wide: the two patches are 5 px apart; in a 2x1 grid, 3 px.
    w = np.array([[0.25, 0.75], [0.5, 0.5]])[None, None]
    np.testing.assert_allclose(attention_distance(w, (1, 2), cell_px=(3.0, 5.0)), [(0.75 * 5 + 0.5 * 5) / 2])
    np.testing.assert_allclose(attention_distance(w, (2, 1), cell_px=(3.0, 5.0)), [(0.75 * 3 + 0.5 * 3) / 2])


@pytest.fixture
def figures(monkeypatch):
    """The figures the plot functions draw, captured instead of only written."""
    drawn = []

    def save(fig, path, dpi):
        drawn.append(fig)
        return path

    monkeypatch.setattr(plots, "_save", save)
    return drawn


def points(collection):
    return np.asarray(collection.get_offsets(), dtype="float64")


def inside(ax, xy):
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    return bool(np.all((xy[:, 0] > x0) & (xy[:, 0] < x1) & (xy[:, 1] >= y0) & (xy[:, 1] < y1)))


def test_attention_distance_plot_shows_one_dot_per_head_at_its_layer(figures, tmp_path):
    distances = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.5], [2.5, 0.5, 1.5]])
    plots.plot_attention_distance(distances, tmp_path / "d.png")
    (ax,) = figures[0].axes
    (dots,) = ax.collections
    xy = points(dots)
    want = {(layer + 1, distances[layer, head]) for layer in range(4) for head in range(3)}
    assert {tuple(p) for p in xy.tolist()} == want
    assert inside(ax, xy)


def test_distance_comparison_shows_both_models_inside_its_axes(figures, tmp_path):
    a = np.array([[1.0, 2.0], [3.0, 20.0], [5.0, 6.0]])
    b = np.array([[2.0, 1.0], [4.0, 3.0]])
    plots.plot_distance_comparison(a, b, tmp_path / "c.png", labels=("ViT", "Hybrid"))
    (ax,) = figures[0].axes
    first, second = ax.collections
    assert (first.get_label(), second.get_label()) == ("ViT", "Hybrid")
    for collection, table in ((first, a), (second, b)):
        xy = points(collection)
        assert sorted(np.round(xy[:, 0]).astype(int).tolist()) == sorted(np.repeat(np.arange(1, len(table) + 1), 2))
        np.testing.assert_allclose(np.sort(xy[:, 1]), np.sort(table.ravel()))
        assert inside(ax, xy)


def test_posemb_similarity_plot_tiles_each_patch_map_at_its_place(figures, tmp_path):
    similarity = np.random.default_rng(0).uniform(-1, 1, (2, 3, 2, 3)).astype("float32")
    plots.plot_posemb_similarity(similarity, tmp_path / "s.png")
    image = figures[0].axes[0].images[0]
    mosaic = np.ma.filled(image.get_array(), np.nan)
    for i in range(2):
        for j in range(3):
            np.testing.assert_array_equal(mosaic[i * 3 : i * 3 + 2, j * 4 : j * 4 + 3], similarity[i, j])
    assert image.get_clim() == (-1, 1)
