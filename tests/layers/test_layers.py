"""Each layer: shapes, config round trip, `.keras` round trip, and numerics against NumPy."""

import keras
import numpy as np
import pytest
import reference

from keras_vit.layers import (
    AddPositionEmbs,
    ClassToken,
    MultiHeadSelfAttention,
    PatchEncoder,
    PrefixTokens,
    TokenPooling,
    TransformerBlock,
    dot_product_attention,
)

to_numpy = keras.ops.convert_to_numpy

# (layer, input shape without batch, expected output shape without batch)
CASES = [
    (lambda: PatchEncoder(8, 32), (32, 32, 3), (16, 32)),
    (lambda: PatchEncoder(8, 32, flatten=False), (32, 32, 3), (4, 4, 32)),
    (lambda: ClassToken(), (16, 32), (17, 32)),
    (lambda: PrefixTokens({"cls": 1, "dist": 1}), (16, 32), (18, 32)),
    (lambda: PrefixTokens({"reg": 3}, position=1), (17, 32), (20, 32)),
    (lambda: AddPositionEmbs((4, 4), 1), (17, 32), (17, 32)),
    (lambda: AddPositionEmbs((4, 4), 0, kind="learned_2d"), (16, 32), (16, 32)),
    (lambda: AddPositionEmbs((4, 4), 1, kind="sincos2d"), (17, 32), (17, 32)),
    (lambda: MultiHeadSelfAttention(4, attention_dropout=0.1), (17, 32), (17, 32)),
    (lambda: TransformerBlock(4, 64, dropout=0.1, drop_path=0.1), (17, 32), (17, 32)),
    (lambda: TokenPooling("avg", 1), (17, 32), (32,)),
    (lambda: TokenPooling("token", 2, index=1), (18, 32), (32,)),
]


@pytest.mark.parametrize("make,in_shape,out_shape", CASES)
def test_shapes_config_and_keras_round_trip(tmp_path, make, in_shape, out_shape):
    layer = make()
    inputs = keras.Input(in_shape)
    model = keras.Model(inputs, layer(inputs))
    assert model.output_shape == (None, *out_shape)
    config = layer.get_config()
    assert type(layer).from_config(config).get_config() == config
    x = np.random.default_rng(0).standard_normal((2, *in_shape)).astype("float32")
    path = tmp_path / "layer.keras"
    model.save(path)
    restored = keras.saving.load_model(path)
    np.testing.assert_allclose(to_numpy(restored(x)), to_numpy(model(x)), atol=1e-6)


def test_patch_encoder_is_a_linear_map_of_flattened_patches():
    layer = PatchEncoder(4, 8)
    x = np.random.default_rng(0).standard_normal((2, 8, 12, 3)).astype("float32")
    got = to_numpy(layer(x))
    kernel, bias = to_numpy(layer.kernel), to_numpy(layer.bias)
    want = reference.patchify(x, 4) @ kernel.reshape(-1, 8) + bias
    np.testing.assert_allclose(got, want, atol=1e-5)


def test_block_matches_numpy_reference_and_returns_attention_weights():
    block = TransformerBlock(4, 64)
    x = np.random.default_rng(0).standard_normal((2, 5, 32)).astype("float32")
    out, weights = block(x, return_attention_weights=True)
    p = {}
    b = "Transformer/encoderblock_0/"
    att = block.attention
    for name in ("query", "key", "value", "out"):
        p[f"{b}MultiHeadDotProductAttention_1/{name}/kernel"] = to_numpy(getattr(att, f"{name}_kernel"))
        p[f"{b}MultiHeadDotProductAttention_1/{name}/bias"] = to_numpy(getattr(att, f"{name}_bias"))
    for ln, layer in (("LayerNorm_0", block.norm1), ("LayerNorm_2", block.norm2)):
        p[f"{b}{ln}/scale"], p[f"{b}{ln}/bias"] = to_numpy(layer.gamma), to_numpy(layer.beta)
    for d, layer in (("Dense_0", block.mlp_dense_0), ("Dense_1", block.mlp_dense_1)):
        p[f"{b}MlpBlock_3/{d}/kernel"], p[f"{b}MlpBlock_3/{d}/bias"] = to_numpy(layer.kernel), to_numpy(layer.bias)
    p["Transformer/encoder_norm/scale"], p["Transformer/encoder_norm/bias"] = np.ones(32), np.zeros(32)
    want_pre_norm = reference.encoder(x.astype("float64"), p, heads=4)
    got = reference.layer_norm(to_numpy(out).astype("float64"), 1.0, 0.0)
    np.testing.assert_allclose(got, want_pre_norm, atol=1e-4)
    y = reference.layer_norm(x.astype("float64"), p[f"{b}LayerNorm_0/scale"], p[f"{b}LayerNorm_0/bias"])
    _, want_weights = reference.attention_block(y, p, b, heads=4)
    assert to_numpy(weights).shape == (2, 4, 5, 5)
    np.testing.assert_allclose(to_numpy(weights), want_weights, atol=1e-5)


def test_attention_paths_agree():
    rng = np.random.default_rng(0)
    q, k, v = (rng.standard_normal((2, 7, 4, 8)).astype("float32") for _ in range(3))
    bias = rng.standard_normal((1, 4, 7, 7)).astype("float32")
    einsum = dot_product_attention(q, k, v, bias=bias, implementation="einsum")
    fused = dot_product_attention(q, k, v, bias=bias, implementation="fused")
    np.testing.assert_allclose(to_numpy(einsum), to_numpy(fused), atol=1e-5)
    _, weights = dot_product_attention(q, k, v, return_weights=True)
    np.testing.assert_allclose(to_numpy(weights).sum(-1), 1.0, atol=1e-5)


def test_drop_path_is_identity_at_inference_and_drops_whole_samples_in_training():
    block = TransformerBlock(4, 64, drop_path=0.5)
    x = np.random.default_rng(0).standard_normal((64, 5, 32)).astype("float32")
    np.testing.assert_allclose(to_numpy(block(x)), to_numpy(block(x)), atol=0)
    trained = to_numpy(block(x, training=True))
    # A sample whose two branches were both dropped comes out unchanged.
    unchanged = np.all(np.isclose(trained, x, atol=1e-6), axis=(1, 2))
    assert 0 < unchanged.sum() < 64


@pytest.mark.parametrize(
    "make,match",
    [
        (lambda: AddPositionEmbs((4, 4), kind="rope"), "kind"),
        (lambda: AddPositionEmbs((4, 4), interpolation="nearest"), "interpolation"),
        (lambda: MultiHeadSelfAttention(4, implementation="flash"), "implementation"),
        (lambda: TokenPooling("max"), "mode"),
        (lambda: TokenPooling("token", 0), "index"),
        (lambda: PrefixTokens({"reg": 0}), "tokens"),
    ],
)
def test_bad_arguments_are_rejected(make, match):
    with pytest.raises(ValueError, match=f"Received: {match}="):
        make()


def test_prefix_tokens_are_inserted_at_their_position_in_order():
    layer = PrefixTokens({"cls": 1, "reg": 2}, position=1)
    x = np.random.default_rng(0).standard_normal((2, 4, 8)).astype("float32")
    layer.build(x.shape)
    cls, reg = np.full((1, 1, 8), 5.0, "float32"), np.arange(16, dtype="float32").reshape(1, 2, 8)
    layer.cls.assign(cls)
    layer.reg.assign(reg)
    learned = np.broadcast_to(np.concatenate([cls, reg], axis=1), (2, 3, 8))
    want = np.concatenate([x[:, :1], learned, x[:, 1:]], axis=1)
    np.testing.assert_array_equal(to_numpy(layer(x)), want)
    assert [v.name for v in layer.weights] == ["cls", "reg"]


def test_class_token_keeps_its_single_variable_and_config():
    layer = ClassToken(name="cls")
    layer.build((None, 4, 8))
    assert [v.name for v in layer.weights] == ["cls"] and layer.cls.shape == (1, 1, 8)
    assert "tokens" not in layer.get_config()


def test_token_pooling_takes_the_token_at_index_and_averages_past_all_prefix_tokens():
    x = np.random.default_rng(0).standard_normal((2, 7, 8)).astype("float32")
    np.testing.assert_array_equal(to_numpy(TokenPooling("token", 3, index=1)(x)), x[:, 1])
    np.testing.assert_allclose(to_numpy(TokenPooling("avg", 3)(x)), x[:, 3:].mean(1), atol=1e-6)


def test_heads_must_divide_the_width():
    with pytest.raises(ValueError, match="not divisible by `num_heads`"):
        MultiHeadSelfAttention(5).build((None, 3, 32))
