"""A checkpoint's position embedding → a model's: the one place that knows its prefix rows and its grid.

`grid_side` is the one test of "square grid, or square grid after its prefix rows" (none; the class token; DeiT's
class and distillation tokens); `fit_posemb` adds or drops those rows and resamples the grid (`resample_posemb`, over the pure `layers/posemb_resample.py`). Used by
checkpoint loading, `transfer_weights` and the formats' `describe`. NumPy in and out.
"""

import numpy as np
from keras import ops

from keras_vit.layers.posemb_resample import resample_grid

# The prefix rows a released posemb may have: none (big_vision, DeiT III, timm's `no_embed_class`), the class
# token's, or DeiT's class and distillation tokens'. Squares differ by at least 3 past 1, so 0-2 is unambiguous.
MAX_PREFIX_ROWS = 2


def grid_side(rows):
    """`(side, prefix_rows)` of a posemb with `rows` rows: a square grid after 0, 1 or 2 prefix rows."""
    for prefix in range(MAX_PREFIX_ROWS + 1):
        side = int(round(np.sqrt(max(rows - prefix, 0))))
        if side and side * side == rows - prefix:
            return side, prefix
    raise ValueError(
        "A checkpoint's position embedding must hold a square patch grid, optionally after one or two prefix rows "
        f"(class token, distillation token); check that the file is a ViT checkpoint. Received: rows={rows}"
    )


def resample_posemb(posemb, num_prefix_tokens, new_grid, method="linear"):
    """Resamples `(1, prefix + gh * gw, dim)` to `(1, prefix + new_h * new_w, dim)`.

    The prefix (class token) rows are kept as they are; the grid is resized in float32 and the
    result cast back to the input dtype. `method="linear"` is the official code's
    `scipy.ndimage.zoom(order=1)`; "bicubic" is torch's, "bicubic_antialias" timm's. The old grid must be square (as in every
    released checkpoint).
    """
    posemb = np.asarray(posemb)
    prefix, patches = posemb[:, :num_prefix_tokens], posemb[0, num_prefix_tokens:]
    side = int(round(np.sqrt(patches.shape[0])))
    if side * side != patches.shape[0]:
        raise ValueError(
            f"The checkpoint's position embedding has {patches.shape[0]} patch rows, not a square grid. "
            f"Received: posemb shape={posemb.shape}, num_prefix_tokens={num_prefix_tokens}"
        )
    grid = patches.reshape(side, side, -1).astype("float32")
    resized = ops.convert_to_numpy(resample_grid(ops.convert_to_tensor(grid), tuple(new_grid), method))
    resized = resized.reshape(1, -1, grid.shape[-1]).astype(posemb.dtype)
    return np.concatenate([prefix, resized], axis=1)


def fit_posemb(value, num_prefix_tokens, grid_size, interpolation="linear"):
    """A checkpoint's `(1, rows, dim)` posemb → `(1, num_prefix_tokens + gh * gw, dim)` for a model.

    Prefix rows the model has no use for are dropped; those it needs and the file lacks (big_vision, DeiT III: the
    prefix tokens got no posemb) are zero rows, which adds nothing, as there; the grid is resampled when its size
    differs.
    """
    value = np.asarray(value)
    _, rows = grid_side(value.shape[1])
    if num_prefix_tokens and not rows:
        value = np.concatenate([np.zeros_like(value[:, :num_prefix_tokens]), value], axis=1)
    elif rows and not num_prefix_tokens:
        value = value[:, rows:]
    elif rows != num_prefix_tokens:
        raise ValueError(
            f"The checkpoint's position embedding has {rows} prefix rows (class, distillation tokens) and the model "
            f"{num_prefix_tokens} prefix tokens; build the model with the checkpoint's tokens (a distilled DeiT has "
            f"two). Received: posemb rows={value.shape[1]}, num_prefix_tokens={num_prefix_tokens}"
        )
    if value.shape[1] - num_prefix_tokens != grid_size[0] * grid_size[1]:
        value = resample_posemb(value, num_prefix_tokens, grid_size, interpolation)
    return value
