"""The one attention function of the package.

Used by `MultiHeadSelfAttention` (and so by every block), by the analysis tools (which ask for the
weights) and by any future relative-position bias (the `bias` argument is that seam).
"""

import keras
from keras import ops

# "auto": per backend, the path measured fastest; "einsum": explicit softmax(q kᵀ) v;
# "fused": keras.ops.dot_product_attention; on JAX + GPU in bf16/fp16, cuDNN flash attention with the tokens
# padded to a multiple of 64 (cudnn_attention.py), which cuDNN needs.
IMPLEMENTATIONS = ("auto", "einsum", "fused")


def _resolve(implementation):
    if implementation not in IMPLEMENTATIONS:
        raise ValueError(
            f"`implementation` must be one of {IMPLEMENTATIONS}. Received: implementation={implementation!r}"
        )
    if implementation != "auto":
        return implementation
    # TensorFlow: the fused op lowers to the same einsums plus extra transposes (slower on CPU);
    # JAX: jax.nn.dot_product_attention, which reaches cuDNN flash attention on GPUs.
    return "fused" if keras.backend.backend() == "jax" else "einsum"


def dot_product_attention(
    query,
    key,
    value,
    bias=None,
    dropout_rate=0.0,
    training=False,
    return_weights=False,
    seed_generator=None,
    implementation="auto",
):
    """Scaled dot-product attention over heads.

    Args:
        query, key, value: `(batch, tokens, heads, head_dim)`.
        bias: optional additive logits bias broadcastable to `(batch, heads, tokens_q, tokens_k)`.
        dropout_rate: dropout on the attention weights (training only).
        return_weights: also return the softmax weights `(batch, heads, tokens_q, tokens_k)`.
        seed_generator: a `keras.random.SeedGenerator` for the dropout.
        implementation: "auto", "einsum" or "fused".

    Returns:
        `(batch, tokens, heads, head_dim)`, and the weights when `return_weights`.
    """
    use_dropout = training and dropout_rate > 0.0
    path = _resolve(implementation)
    query, key, value = (ops.convert_to_tensor(t) for t in (query, key, value))
    if path == "fused" and not return_weights and not use_dropout:
        if bias is None and keras.backend.backend() == "jax":
            from keras_vit.layers.cudnn_attention import try_cudnn_attention

            out = try_cudnn_attention(query, key, value)
            if out is not None:
                return out
        return ops.dot_product_attention(query, key, value, bias=bias)

    head_dim = ops.shape(query)[-1]
    scale = 1.0 / ops.sqrt(ops.cast(head_dim, query.dtype))
    logits = ops.einsum("bqhd,bkhd->bhqk", query * scale, key)
    if bias is not None:
        logits = logits + ops.cast(bias, logits.dtype)
    # Softmax in float32 keeps bf16 training stable.
    weights = ops.cast(ops.softmax(ops.cast(logits, "float32"), axis=-1), value.dtype)
    dropped = weights
    if use_dropout:
        dropped = keras.random.dropout(weights, dropout_rate, seed=seed_generator)
    out = ops.einsum("bhqk,bkhd->bqhd", dropped, value)
    if return_weights:
        return out, weights
    return out
