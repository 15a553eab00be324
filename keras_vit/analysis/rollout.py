"""Attention rollout (Abnar & Zuidema 2020, arXiv 2005.00928), the maps of paper Fig. 6 and 14.

Each layer's attention is averaged over heads, the identity is added for the residual connection,
rows are renormalised, and the matrices are multiplied through the layers (last layer on the left),
giving how much each output token draws on each input token.
"""

import numpy as np
from keras import ops


def rollout_matrix(weights):
    """`(batch, T, T)` rolled-out attention from a list (one per layer) of `(batch, heads, T, T)`."""
    if not weights:
        raise ValueError("`weights` must hold one (batch, heads, T, T) array per layer. Received: weights=[]")
    result = None
    for layer in weights:
        a = np.asarray(layer, dtype="float64").mean(axis=1)
        a = a + np.eye(a.shape[-1])
        a = a / a.sum(-1, keepdims=True)
        result = a if result is None else a @ result
    return result


def attention_rollout(weights, grid_hw, num_prefix=1):
    """Rollout maps over the patch grid, one per image.

    With a class token (`num_prefix=1`) the map is the class token's row over the patches. A "gap"
    model has no class token and its output is the mean of the patch tokens, so its map is the
    mean over query patches of their rows: what the averaged representation draws on.

    Args:
        weights: list (one per layer) of `(batch, heads, T, T)` attention weights.
        grid_hw: `(gh, gw)` with `gh * gw = T - num_prefix`.
        num_prefix: tokens before the patches.

    Returns:
        `(batch, gh, gw)` maps (not normalised: with a class token they sum to less than one, the
        rest stays on the prefix token).
    """
    r = rollout_matrix(weights)
    if r.shape[-1] != num_prefix + grid_hw[0] * grid_hw[1]:
        raise ValueError(
            f"The token count {r.shape[-1]} is not num_prefix + gh * gw = {num_prefix + grid_hw[0] * grid_hw[1]}. "
            f"Received: grid_hw={tuple(grid_hw)}, num_prefix={num_prefix}"
        )
    maps = r[:, 0, num_prefix:] if num_prefix else r[:, num_prefix:, num_prefix:].mean(axis=1)
    return maps.reshape(-1, *grid_hw)


def upsample_map(maps, image_hw):
    """Bilinear upsampling of `(batch, gh, gw)` maps onto `(batch, height, width)` images."""
    maps = np.asarray(maps, dtype="float32")
    resized = ops.image.resize(maps[..., None], tuple(image_hw), interpolation="bilinear")
    return ops.convert_to_numpy(resized)[..., 0]
