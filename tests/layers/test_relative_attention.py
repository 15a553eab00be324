"""1-D relative position attention (paper Appendix D.4) against a NumPy loop over query-key pairs."""

import keras
import numpy as np
import pytest

import keras_vit
from keras_vit.layers.multi_head_attention import MultiHeadSelfAttention
from keras_vit.models.flops import count_macs


def reference_attention(x, w, heads):
    """Relative attention written pair by pair: logit(i, j) = (q_i · k_j + q_i · r[j − i]) / √d."""
    n, tokens, hidden = x.shape
    d = hidden // heads
    q = np.einsum("btc,chd->bthd", x, w["query_kernel"]) + w["query_bias"]
    k = np.einsum("btc,chd->bthd", x, w["key_kernel"]) + w["key_bias"]
    v = np.einsum("btc,chd->bthd", x, w["value_kernel"]) + w["value_bias"]
    r = w["relative_embedding"]  # index j − i + tokens − 1
    logits = np.zeros((n, heads, tokens, tokens))
    for i in range(tokens):
        for j in range(tokens):
            logits[:, :, i, j] = (np.sum(q[:, i] * k[:, j], -1) + q[:, i] @ r[j - i + tokens - 1]) / np.sqrt(d)
    weights = np.exp(logits - logits.max(-1, keepdims=True))
    weights /= weights.sum(-1, keepdims=True)
    out = np.einsum("bhqk,bkhd->bqhd", weights, v)
    return np.einsum("bqhd,hdc->bqc", out, w["out_kernel"]) + w["out_bias"]


@pytest.mark.parametrize("implementation", ["einsum", "fused"])
def test_matches_pairwise_reference(rng, implementation):
    layer = MultiHeadSelfAttention(2, implementation=implementation, relative_positions=5)
    x = rng.standard_normal((3, 5, 8)).astype("float32")
    layer.build(x.shape)
    weights = {}
    for variable in layer.weights:
        value = rng.standard_normal(variable.shape).astype("float32") * 0.5
        variable.assign(value)
        weights[variable.name] = value.astype("float64")
    assert weights["relative_embedding"].shape == (9, 4)
    got = keras.ops.convert_to_numpy(layer(x))
    np.testing.assert_allclose(got, reference_attention(x.astype("float64"), weights, 2), atol=2e-4)
    with pytest.raises(ValueError, match="relative positions for 5 tokens"):
        layer(x[:, :4])


def test_vit_with_relative_positions(tmp_path, rng):
    tiny = dict(image_size=16, patch_size=4, hidden_size=32, depth=2, num_heads=2, mlp_dim=64, classes=3)
    model = keras_vit.ViT(posemb="relative", **tiny)
    names = [layer.name for layer in model.layers]
    assert "posembed_input" not in names
    table = model.get_layer("encoderblock_1").attention.relative_embedding
    assert tuple(table.shape) == (2 * 17 - 1, 16)  # 16 patches + class token, head_dim 16
    # The FLOP counter adds each query against its offsets' embeddings: tokens² · hidden MACs per block.
    learned = keras_vit.ViT(posemb="learned", **tiny)
    assert count_macs(model) - count_macs(learned) == 2 * 17 * 17 * 32
    for variable in model.weights:
        variable.assign(rng.standard_normal(variable.shape).astype("float32") * 0.1)
    x = rng.uniform(-1, 1, (2, 16, 16, 3)).astype("float32")
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
    with pytest.raises(ValueError, match="dynamic_image_size=False"):
        keras_vit.ViT(posemb="relative", dynamic_image_size=True, **tiny)
