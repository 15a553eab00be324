"""Attention rollout against closed forms."""

import numpy as np
import pytest

from keras_vit.analysis import attention_rollout, rollout_matrix, upsample_map


def identity_layers(layers, batch, heads, tokens):
    return [np.broadcast_to(np.eye(tokens), (batch, heads, tokens, tokens)) for _ in range(layers)]


def test_identity_attention_rolls_out_to_identity():
    weights = identity_layers(3, 2, 4, 10)
    np.testing.assert_allclose(rollout_matrix(weights), np.broadcast_to(np.eye(10), (2, 10, 10)))
    # Class token: it only ever attended to itself, so nothing reaches it from the patches.
    np.testing.assert_allclose(attention_rollout(weights, (3, 3), num_prefix=1), np.zeros((2, 3, 3)))
    # "gap": the mean over query patches of identity rows is uniform.
    maps = attention_rollout(identity_layers(2, 1, 2, 9), (3, 3), num_prefix=0)
    np.testing.assert_allclose(maps, np.full((1, 3, 3), 1 / 9))


def test_uniform_attention_closed_form():
    # ((U + I) / 2)^L = I / 2^L + (1 - 2^-L) U for the idempotent U = 1/T: each patch gets (1 - 2^-L) / T.
    tokens, layers = 17, 3
    weights = [np.full((1, 2, tokens, tokens), 1 / tokens)] * layers
    maps = attention_rollout(weights, (4, 4), num_prefix=1)
    np.testing.assert_allclose(maps, np.full((1, 4, 4), (1 - 2.0**-layers) / tokens), rtol=1e-12)


def test_heads_are_averaged_and_layers_multiplied_last_on_the_left():
    t = 4
    shift = np.roll(np.eye(t), 1, axis=1)  # token i attends to token i + 1
    swap = np.eye(t)[[1, 0, 2, 3]]  # tokens 0 and 1 attend to each other
    # Layer 1: heads shift and identity, average (shift + I) / 2; layer 2: swap.
    weights = [np.stack([shift, np.eye(t)])[None], swap[None, None]]
    a1 = (0.5 * (shift + np.eye(t)) + np.eye(t)) / 2
    a2 = (swap + np.eye(t)) / 2
    np.testing.assert_allclose(rollout_matrix(weights)[0], a2 @ a1)
    assert not np.allclose(a2 @ a1, a1 @ a2)  # the order is really tested


def test_upsample_map():
    maps = np.full((2, 3, 4), 0.25)
    out = upsample_map(maps, (12, 16))
    assert out.shape == (2, 12, 16)
    np.testing.assert_allclose(out, 0.25, rtol=1e-6)


def test_errors():
    with pytest.raises(ValueError, match="Received: weights=\\[\\]"):
        rollout_matrix([])
    with pytest.raises(ValueError, match=r"num_prefix \+ gh \* gw = 17.*Received: grid_hw=\(4, 4\), num_prefix=1"):
        attention_rollout(identity_layers(1, 1, 1, 16), (4, 4), num_prefix=1)
