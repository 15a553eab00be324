"""The JAX-GPU attention path: tokens padded to a multiple of 64, padding masked by sequence lengths.

cuDNN is not on this machine; the same padded, length-masked computation runs on XLA here and must equal
plain softmax attention (NumPy) on the unpadded tokens.
"""

import keras
import numpy as np
import pytest

pytestmark = pytest.mark.skipif(keras.backend.backend() != "jax", reason="calls jax.nn directly: the JAX pass")


def numpy_attention(q, k, v):
    logits = np.einsum("bqhd,bkhd->bhqk", q, k) / np.sqrt(q.shape[-1])
    weights = np.exp(logits - logits.max(-1, keepdims=True))
    weights /= weights.sum(-1, keepdims=True)
    return np.einsum("bhqk,bkhd->bqhd", weights, v)


@pytest.mark.parametrize("tokens", [5, 64, 197])
def test_padded_attention_equals_attention_on_the_real_tokens(tokens):
    from keras_vit.layers.cudnn_attention import padded_attention

    rng = np.random.default_rng(tokens)
    q, k, v = (rng.standard_normal((2, tokens, 3, 16)).astype("float32") for _ in range(3))
    got = np.asarray(padded_attention(q, k, v, implementation="xla"))
    assert got.shape == (2, tokens, 3, 16)
    np.testing.assert_allclose(got, numpy_attention(q, k, v), atol=2e-5)


def test_cudnn_path_steps_aside_off_gpu():
    from keras_vit.layers.cudnn_attention import try_cudnn_attention

    q = np.zeros((1, 197, 2, 8), "float32")
    assert try_cudnn_attention(q, q, q) is None  # a CPU here: keras.ops.dot_product_attention takes over


def test_gradients_through_the_padding_equal_the_plain_ones():
    import jax
    import jax.numpy as jnp

    from keras_vit.layers.cudnn_attention import padded_attention

    rng = np.random.default_rng(1)
    q, k, v = (jnp.asarray(rng.standard_normal((2, 197, 3, 16)).astype("float32")) for _ in range(3))
    w = jnp.asarray(rng.standard_normal((2, 197, 3, 16)).astype("float32"))

    def plain(q, k, v):
        return jnp.sum(jax.nn.dot_product_attention(q, k, v, implementation="xla") * w)

    def padded(q, k, v):
        return jnp.sum(padded_attention(q, k, v, implementation="xla") * w)

    want = jax.grad(plain, argnums=(0, 1, 2))(q, k, v)
    got = jax.grad(padded, argnums=(0, 1, 2))(q, k, v)
    for g, e in zip(got, want, strict=True):
        assert np.isfinite(np.asarray(g)).all()
        np.testing.assert_allclose(np.asarray(g), np.asarray(e), atol=1e-4)
