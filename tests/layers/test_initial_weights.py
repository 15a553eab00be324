"""Initial weights: each weight its own draw, projection kernels at the official code's scale."""

import keras
import numpy as np

from keras_vit.layers.multi_head_attention import MultiHeadSelfAttention
from keras_vit.layers.position_embedding import AddPositionEmbs


def test_attention_projections_are_independent_glorot_draws():
    keras.utils.set_random_seed(0)
    hidden, heads = 96, 4
    layer = MultiHeadSelfAttention(num_heads=heads)
    layer.build((None, 50, hidden))
    kernels = {
        name: keras.ops.convert_to_numpy(getattr(layer, f"{name}_kernel")).reshape(-1)
        for name in ("query", "key", "value", "out")
    }
    # Flax's DenseGeneral draws xavier_uniform over the flattened (hidden, hidden) kernel: U(-L, L), L = sqrt(6 / 2h).
    limit = np.sqrt(6.0 / (2 * hidden))
    for name, kernel in kernels.items():
        assert np.abs(kernel).max() <= limit, name
        np.testing.assert_allclose(kernel.std(), limit / np.sqrt(3), rtol=0.05, err_msg=name)
    names = sorted(kernels)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert abs(np.corrcoef(kernels[a], kernels[b])[0, 1]) < 0.05, (a, b)


def test_learned_2d_rows_and_columns_start_different():
    keras.utils.set_random_seed(0)
    layer = AddPositionEmbs(grid_size=(4, 4), num_prefix_tokens=1, kind="learned_2d")
    layer.build((None, 17, 32))
    rows = keras.ops.convert_to_numpy(layer.row_embedding).reshape(4, 32)
    cols = keras.ops.convert_to_numpy(layer.col_embedding).reshape(4, 32)
    prefix = keras.ops.convert_to_numpy(layer.prefix_embedding).reshape(32)
    assert abs(np.corrcoef(rows.ravel(), cols.ravel())[0, 1]) < 0.2
    assert abs(np.corrcoef(rows[0], prefix)[0, 1]) < 0.5
    np.testing.assert_allclose(np.concatenate([rows.ravel(), cols.ravel()]).std(), 0.02, rtol=0.2)
