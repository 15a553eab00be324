"""Position-embedding resampling against scipy (official) and a direct bicubic formula (timm/torch)."""

import keras
import numpy as np
import pytest
import scipy.ndimage

from keras_vit.layers.posemb_resample import resample_grid, sincos_2d
from keras_vit.weights.posemb import resample_posemb


@pytest.mark.parametrize("old,new", [(4, 6), (7, 12), (6, 3), (2, 5), (5, 5)])
def test_linear_matches_scipy_zoom_order_1(old, new):
    grid = np.random.default_rng(0).standard_normal((old, old, 3)).astype("float32")
    want = scipy.ndimage.zoom(grid, (new / old, new / old, 1), order=1)
    got = keras.ops.convert_to_numpy(resample_grid(grid, (new, new), "linear"))
    np.testing.assert_allclose(got, want, atol=1e-5)


def torch_bicubic_1d(values, new, a=-0.75):
    """Direct per-output-pixel bicubic, half-pixel centres, edge indices clamped (torch align_corners=False)."""
    old = len(values)
    out = np.zeros(new)
    for i in range(new):
        src = (i + 0.5) * old / new - 0.5
        base = int(np.floor(src))
        for tap in range(-1, 3):
            t = abs(src - (base + tap))
            if t <= 1:
                w = (a + 2) * t**3 - (a + 3) * t**2 + 1
            elif t < 2:
                w = a * t**3 - 5 * a * t**2 + 8 * a * t - 4 * a
            else:
                w = 0.0
            out[i] += w * values[min(max(base + tap, 0), old - 1)]
    return out


@pytest.mark.parametrize("old,new", [(4, 7), (6, 3)])
def test_bicubic_matches_the_direct_formula(old, new):
    grid = np.random.default_rng(1).standard_normal((old, old, 1))
    rows = np.stack([torch_bicubic_1d(grid[:, j, 0], new) for j in range(old)], axis=1)
    want = np.stack([torch_bicubic_1d(rows[i], new) for i in range(new)], axis=0)
    got = keras.ops.convert_to_numpy(resample_grid(grid.astype("float32"), (new, new), "bicubic"))[..., 0]
    np.testing.assert_allclose(got, want, atol=1e-5)


def test_resample_posemb_keeps_the_class_row_and_dtype():
    posemb = np.random.default_rng(2).standard_normal((1, 1 + 16, 8)).astype("float16")
    out = resample_posemb(posemb, 1, (6, 6))
    assert out.shape == (1, 37, 8) and out.dtype == np.float16
    np.testing.assert_array_equal(out[:, 0], posemb[:, 0])


def test_resample_posemb_rejects_a_non_square_grid():
    with pytest.raises(ValueError, match="not a square grid"):
        resample_posemb(np.zeros((1, 1 + 12, 4)), 1, (4, 4))


def test_sincos_2d_matches_the_formula():
    h, w, dim = 3, 4, 8
    got = keras.ops.convert_to_numpy(sincos_2d(h, w, dim))
    omega = 1.0 / 10000 ** (np.arange(2) / 1)
    y, x = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    for i in range(h):
        for j in range(w):
            xo, yo = x[i, j] * omega, y[i, j] * omega
            want = np.concatenate([np.sin(xo), np.cos(xo), np.sin(yo), np.cos(yo)])
            np.testing.assert_allclose(got[i, j], want, atol=1e-6)


def pillow_bicubic_1d(values, new, a=-0.5):
    """Direct antialiased bicubic (Pillow's filter, torch `antialias=True`): support widened by the downscale
    factor, taps outside the grid dropped, weights renormalised."""
    old = len(values)
    scale = old / new
    width = max(scale, 1.0)
    out = []
    for i in range(new):
        centre = (i + 0.5) * scale
        taps = [j for j in range(old) if abs((j + 0.5 - centre) / width) < 2]
        ts = [abs((j + 0.5 - centre) / width) for j in taps]
        weights = np.array(
            [(a + 2) * t**3 - (a + 3) * t**2 + 1 if t <= 1 else a * t**3 - 5 * a * t**2 + 8 * a * t - 4 * a for t in ts]
        )
        out.append(np.dot(weights / weights.sum(), values[taps]))
    return np.array(out)


@pytest.mark.parametrize("old, new", [(4, 6), (7, 12), (14, 24), (12, 7), (5, 5)])
def test_antialiased_bicubic_matches_the_direct_formula(old, new):
    grid = np.random.default_rng(1).standard_normal((old, old, 1))
    rows = np.stack([pillow_bicubic_1d(grid[:, j, 0], new) for j in range(old)], axis=1)
    want = np.stack([pillow_bicubic_1d(rows[i], new) for i in range(new)], axis=0)
    got = keras.ops.convert_to_numpy(resample_grid(grid.astype("float32"), (new, new), "bicubic_antialias"))[..., 0]
    np.testing.assert_allclose(got, want, atol=1e-5)
