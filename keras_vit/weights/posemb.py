"""Resampling a checkpoint's position embedding to another patch grid (pure, NumPy in and out)."""

import numpy as np
from keras import ops

from keras_vit.layers.posemb_resample import resample_grid


def resample_posemb(posemb, num_prefix_tokens, new_grid, method="linear"):
    """Resamples `(1, prefix + gh * gw, dim)` to `(1, prefix + new_h * new_w, dim)`.

    The prefix (class token) rows are kept as they are; the grid is resized in float32 and the
    result cast back to the input dtype. `method="linear"` is the official code's
    `scipy.ndimage.zoom(order=1)`; "bicubic" is timm's. The old grid must be square (as in every
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
