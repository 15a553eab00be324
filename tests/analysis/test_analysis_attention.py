"""`attention_weights` replays the model's own graph: shapes, and values against NumPy recomputations."""

import keras
import numpy as np
import pytest
import reference

import keras_vit
from keras_vit.analysis import attention_weights, num_prefix_tokens, token_layout
from keras_vit.models import build_vit

TINY = dict(hidden_size=32, depth=2, num_heads=4, mlp_dim=64, patch_size=8)
to_numpy = keras.ops.convert_to_numpy


def images(n=3, height=32, width=32, seed=1):
    return np.random.default_rng(seed).uniform(-1, 1, (n, height, width, 3)).astype("float32")


def randomise(model, seed=0, scale=0.3):
    """Large random weights, so that attention is far from uniform and errors show."""
    rng = np.random.default_rng(seed)
    for v in model.weights:
        v.assign(rng.normal(0.0, scale, v.shape).astype("float32"))
    return model


def numpy_first_block_attention(model, x):
    """softmax(q kᵀ / √d) of encoderblock_0, recomputed in NumPy from the layers' variables."""
    var = lambda w: to_numpy(w).astype("float64")  # noqa: E731
    emb = model.get_layer("embedding")
    p, hidden = emb.patch_size, emb.hidden_size
    n, h, w, c = x.shape
    patches = x.reshape(n, h // p, p, w // p, p, c).transpose(0, 1, 3, 2, 4, 5).reshape(n, -1, p * p * c)
    tokens = patches @ var(emb.kernel).reshape(-1, hidden) + var(emb.bias)
    tokens = np.concatenate([np.broadcast_to(var(model.get_layer("cls").cls), (n, 1, hidden)), tokens], axis=1)
    tokens = tokens + var(model.get_layer("posembed_input").pos_embedding)
    block = model.get_layer("encoderblock_0")
    mean = tokens.mean(-1, keepdims=True)
    y = (tokens - mean) / np.sqrt(tokens.var(-1, keepdims=True) + 1e-6) * var(block.norm1.gamma) + var(block.norm1.beta)
    att = block.attention
    q = np.einsum("ntd,dhk->nhtk", y, var(att.query_kernel)) + var(att.query_bias)[None, :, None]
    k = np.einsum("ntd,dhk->nhtk", y, var(att.key_kernel)) + var(att.key_bias)[None, :, None]
    logits = np.einsum("nhqd,nhkd->nhqk", q, k) / np.sqrt(q.shape[-1])
    e = np.exp(logits - logits.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


@pytest.fixture(scope="module")
def tiny_vit():
    return randomise(keras_vit.ViT(image_size=32, classes=10, **TINY))


def test_shapes_and_first_block_matches_numpy(tiny_vit):
    model = tiny_vit
    x = images(n=5)
    weights = attention_weights(model, x, batch_size=2)  # 3 batches, the last one short
    assert len(weights) == 2
    assert all(w.shape == (5, 4, 17, 17) for w in weights)
    np.testing.assert_allclose(weights[0].sum(-1), 1.0, atol=1e-5)
    want = numpy_first_block_attention(model, x)
    assert want.std() > 0.01  # far from uniform (std 0, mean 1/17): the comparison means something
    np.testing.assert_allclose(weights[0], want, atol=2e-5, rtol=0)


def test_every_block_matches_independent_reference(tmp_path):
    params = reference.random_checkpoint(depth=3)
    path = tmp_path / "ckpt.npz"
    np.savez(path, **params)
    model = keras_vit.ViT(image_size=32, weights=str(path), **{**TINY, "depth": 3})
    x = images(n=2)
    got = attention_weights(model, x)
    # The reference's own forward pass, keeping each block's weights.
    p = {k: v.astype("float64") for k, v in params.items()}
    tokens = reference.patchify(x.astype("float64"), 8) @ p["embedding/kernel"].reshape(-1, 32) + p["embedding/bias"]
    tokens = np.concatenate([np.broadcast_to(p["cls"], (2, 1, 32)), tokens], axis=1)
    t = tokens + p["Transformer/posembed_input/pos_embedding"]
    for i in range(3):
        b = reference.BLOCK.format(i=i)
        y = reference.layer_norm(t, p[b + "LayerNorm_0/scale"], p[b + "LayerNorm_0/bias"])
        out, want = reference.attention_block(y, p, b, heads=4)
        np.testing.assert_allclose(got[i], want, atol=5e-5, rtol=0, err_msg=f"block {i}")
        t = t + out
        y = reference.layer_norm(t, p[b + "LayerNorm_2/scale"], p[b + "LayerNorm_2/bias"])
        y = reference.gelu_tanh(y @ p[b + "MlpBlock_3/Dense_0/kernel"] + p[b + "MlpBlock_3/Dense_0/bias"])
        t = t + y @ p[b + "MlpBlock_3/Dense_1/kernel"] + p[b + "MlpBlock_3/Dense_1/bias"]


def test_gap_dynamic_size_without_top_at_another_resolution():
    model = randomise(
        keras_vit.ViT(
            image_size=32, classifier="gap", dynamic_image_size=True, include_top=False, pooling="avg", **TINY
        )
    )
    x = images(n=2, height=48, width=24)
    weights = attention_weights(model, x)
    assert [w.shape for w in weights] == [(2, 4, 18, 18)] * 2  # 6 × 3 patches, no class token
    layout = token_layout(model, x)
    assert (layout.num_prefix, layout.grid_hw, layout.cell_px) == (0, (6, 3), (8.0, 8.0))
    assert num_prefix_tokens(model) == 0


def test_hybrid_stem_and_nested_model():
    def stem(inputs):  # a stand-in for the ResNet: more layers before "embedding", 4× downsampling
        x = keras.layers.Conv2D(8, 3, strides=2, padding="same", name="stem_conv")(inputs)
        return keras.layers.MaxPooling2D(3, strides=2, padding="same", name="stem_pool")(x)

    model = randomise(build_vit(image_size=32, classes=10, stem=stem, stem_stride=4, **{**TINY, "patch_size": 2}))
    x = images(n=2)
    weights = attention_weights(model, x)
    assert [w.shape for w in weights] == [(2, 4, 17, 17)] * 2
    layout = token_layout(model, x)
    assert layout.cell_px == (8.0, 8.0)  # patch 2 on a 1/4 feature map: 8 pixels
    # The same model nested inside another one gives the same weights.
    inputs = keras.Input((32, 32, 3))
    wrapper = keras.Model(inputs, model(inputs))
    assert num_prefix_tokens(wrapper) == 1
    for a, b in zip(attention_weights(wrapper, x), weights):
        np.testing.assert_allclose(a, b, atol=1e-6)
    # The replay gives the model's own outputs: compare with a sub-model cut at the last block.
    cut = keras.Model(model.input, model.get_layer("encoderblock_0").output)
    h = cut.predict(x, verbose=0)
    last = model.get_layer("encoderblock_1")
    _, want = last(h, return_attention_weights=True)
    np.testing.assert_allclose(weights[1], to_numpy(want), atol=1e-5)


def test_errors(tiny_vit):
    inputs = keras.Input((8, 8, 3))
    plain = keras.Model(inputs, keras.layers.Conv2D(4, 2, name="embedding")(inputs))
    with pytest.raises(ValueError, match="no TransformerBlock.*Received: model="):
        attention_weights(plain, images(n=1, height=8, width=8))
    model = tiny_vit
    with pytest.raises(ValueError, match=r"\(n, height, width, channels\).*Received: images.shape=\(32, 32, 3\)"):
        attention_weights(model, images(n=1)[0])
    with pytest.raises(ValueError, match="positive integer.*Received: batch_size=0"):
        attention_weights(model, images(n=1), batch_size=0)
