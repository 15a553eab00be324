"""Pure functions on position-embedding grids: resampling and the fixed sine-cosine embedding.

Resampling is written as two interpolation matrices, `new = Wh @ grid @ Wwᵀ`, built with `keras.ops`
from the sizes alone, so that the same code serves checkpoint loading (static sizes) and
`dynamic_image_size` models (sizes known only at trace time), on every backend.
"""

from keras import ops

# "linear": the official code's; "bicubic": torch's `interpolate(bicubic)`; "bicubic_antialias": with
# `antialias=True`, what timm's `resample_abs_pos_embed` uses when it loads a checkpoint at another size.
INTERPOLATIONS = ("linear", "bicubic", "bicubic_antialias")


def _linear_matrix(new, old):
    """Corner-aligned linear interpolation, as `scipy.ndimage.zoom(order=1)` (grid_mode=False)."""
    if old == 1:
        return ops.ones((new, 1))
    # `new` may be a symbolic size (dynamic image size), so no Python branching on it.
    step = (old - 1) / ops.maximum(ops.cast(new, "float32") - 1.0, 1.0)
    src = ops.cast(ops.arange(new), "float32") * step
    taps = ops.cast(ops.arange(old), "float32")
    return ops.maximum(0.0, 1.0 - ops.abs(src[:, None] - taps[None, :]))


def _cubic(t, a=-0.75):
    t = ops.abs(t)
    near = ((a + 2) * t - (a + 3)) * t * t + 1
    far = ((a * t - 5 * a) * t + 8 * a) * t - 4 * a
    return ops.where(t <= 1, near, ops.where(t < 2, far, 0.0))


def _bicubic_matrix(new, old):
    """Half-pixel bicubic (a = -0.75, edges clamped): torch's `interpolate(bicubic, align_corners=False)`."""
    src = (ops.cast(ops.arange(new), "float32") + 0.5) * (old / ops.cast(new, "float32")) - 0.5
    base = ops.floor(src)
    matrix = 0.0
    for tap in (-1, 0, 1, 2):
        index = base + tap
        weight = _cubic(src - index)
        clamped = ops.cast(ops.clip(index, 0, old - 1), "int32")
        matrix = matrix + ops.one_hot(clamped, old) * weight[:, None]
    return matrix


def _antialiased_bicubic_matrix(new, old):
    """torch's `interpolate(bicubic, antialias=True)` (Pillow's filter): a = -0.5, the kernel widened by the
    downscale factor, taps outside the grid dropped and each row's weights renormalised; upsampling too."""
    scale = old / ops.cast(new, "float32")
    width = ops.maximum(scale, 1.0)
    centres = (ops.cast(ops.arange(new), "float32") + 0.5) * scale
    taps = ops.cast(ops.arange(old), "float32") + 0.5
    weights = _cubic((taps[None, :] - centres[:, None]) / width, a=-0.5)
    return weights / ops.sum(weights, axis=1, keepdims=True)


def interpolation_matrix(new, old, method="linear"):
    """`(new, old)` matrix that resamples a length-`old` axis to length `new`."""
    if method == "linear":
        return _linear_matrix(new, old)
    if method == "bicubic":
        return _bicubic_matrix(new, old)
    if method == "bicubic_antialias":
        return _antialiased_bicubic_matrix(new, old)
    raise ValueError(f"`method` must be one of {INTERPOLATIONS}. Received: method={method!r}")


def resample_grid(grid, new_size, method="linear"):
    """Resamples a `(gh, gw, dim)` grid to `(new_h, new_w, dim)`; computed in float32, dtype kept.

    Args:
        grid: `(gh, gw, dim)` array or tensor.
        new_size: `(new_h, new_w)`.
        method: "linear" (official, corner-aligned), "bicubic" (torch, half-pixel) or "bicubic_antialias" (timm's
            checkpoint resize).
    """
    dtype = grid.dtype
    gh, gw = grid.shape[0], grid.shape[1]
    wh = interpolation_matrix(new_size[0], gh, method)
    ww = interpolation_matrix(new_size[1], gw, method)
    out = ops.einsum("ih,hwd,jw->ijd", wh, ops.cast(grid, "float32"), ww)
    return ops.cast(out, dtype)


def sincos_2d(height, width, dim, temperature=10000.0):
    """Fixed 2-D sine-cosine embedding `(height, width, dim)` (big_vision `posemb_sincos_2d`)."""
    quarter = dim // 4
    omega = ops.cast(ops.arange(quarter), "float32") / max(quarter - 1, 1)
    omega = 1.0 / (temperature**omega)
    ys = ops.cast(ops.arange(height), "float32")[:, None, None] * omega
    xs = ops.cast(ops.arange(width), "float32")[None, :, None] * omega
    ys = ops.broadcast_to(ys, (height, width, quarter))
    xs = ops.broadcast_to(xs, (height, width, quarter))
    return ops.concatenate([ops.sin(xs), ops.cos(xs), ops.sin(ys), ops.cos(ys)], axis=-1)
