"""LayerScale and the TransformerBlock that scales its branches with it (DeiT III): config and `.keras` round
trips, numerics against NumPy, and the paper's block unchanged without it."""

import keras
import numpy as np
import pytest
import reference

from keras_vit.layers import LayerScale, TransformerBlock

to_numpy = keras.ops.convert_to_numpy


@pytest.mark.parametrize(
    "make", [lambda: LayerScale(0.5), lambda: TransformerBlock(4, 64, layer_scale=1e-6, gelu="exact")]
)
def test_config_and_keras_round_trip(tmp_path, make):
    layer = make()
    inputs = keras.Input((5, 32))
    model = keras.Model(inputs, layer(inputs))
    config = layer.get_config()
    assert type(layer).from_config(config).get_config() == config
    for variable in model.weights:  # away from the initial values, so that a lost one shows
        variable.assign(np.random.default_rng(0).standard_normal(variable.shape).astype("float32"))
    x = np.random.default_rng(1).standard_normal((2, 5, 32)).astype("float32")
    path = tmp_path / "layer.keras"
    model.save(path)
    np.testing.assert_allclose(to_numpy(keras.saving.load_model(path)(x)), to_numpy(model(x)), atol=1e-5)


def test_layer_scale_multiplies_each_channel():
    layer = LayerScale(1e-6)
    x = np.random.default_rng(0).standard_normal((2, 3, 4)).astype("float32")
    layer.build(x.shape)
    np.testing.assert_allclose(to_numpy(layer.scale), np.full(4, 1e-6, "float32"))
    scale = np.array([1.0, -2.0, 0.5, 3.0], "float32")
    layer.scale.assign(scale)
    np.testing.assert_allclose(to_numpy(layer(x)), x * scale, rtol=1e-6)


def _block_params(block):
    att = block.attention
    p = {
        f"MultiHeadDotProductAttention_1/{n}/{w}": to_numpy(getattr(att, f"{n}_{w}"))
        for n in ("query", "key", "value", "out")
        for w in ("kernel", "bias")
    }
    p.update(
        {f"norm{i}/{w}": to_numpy(getattr(getattr(block, f"norm{i}"), w)) for i in (1, 2) for w in ("gamma", "beta")}
    )
    for i, dense in enumerate((block.mlp_dense_0, block.mlp_dense_1)):
        p[f"dense{i}/kernel"], p[f"dense{i}/bias"] = to_numpy(dense.kernel), to_numpy(dense.bias)
    return {k: v.astype("float64") for k, v in p.items()}


def test_scaled_block_matches_numpy():
    block = TransformerBlock(4, 64, layer_scale=1e-5, gelu="exact", layer_norm_epsilon=1e-6)
    x = np.random.default_rng(0).standard_normal((2, 5, 32)).astype("float32")
    block(x)
    rng = np.random.default_rng(1)
    for variable in block.weights:
        variable.assign(rng.standard_normal(variable.shape).astype("float32") * 0.3)
    s1, s2 = (to_numpy(scale.scale).astype("float64") for scale in block.scales)
    p = _block_params(block)
    y = reference.layer_norm(x, p["norm1/gamma"], p["norm1/beta"])
    h = x + s1 * reference.attention_block(y, p, "", 4)[0]
    y = reference.layer_norm(h, p["norm2/gamma"], p["norm2/beta"])
    y = reference.gelu_exact(y @ p["dense0/kernel"] + p["dense0/bias"]) @ p["dense1/kernel"] + p["dense1/bias"]
    np.testing.assert_allclose(to_numpy(block(x)), h + s2 * y, rtol=1e-4, atol=1e-4)


def test_the_paper_block_has_no_scale():
    block = TransformerBlock(4, 64)
    block(np.zeros((1, 5, 32), "float32"))
    assert not block.scales
    assert not any("LayerScale" in v.path for v in block.weights)
