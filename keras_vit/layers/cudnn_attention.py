"""JAX on NVIDIA GPUs: cuDNN flash attention for token counts it refuses, by padding.

cuDNN's flash attention (through `jax.nn.dot_product_attention`) takes sequence lengths in multiples of 64
only; a ViT's 197 tokens are refused, and `keras.ops.dot_product_attention` then runs XLA's attention, which
materialises every block's (tokens × tokens) matrices. Here the tokens are padded to the next multiple of 64
and the padding is masked by sequence lengths, so cuDNN's kernel runs and the result is sliced back. JAX-only
(it calls `jax.nn` directly): `dot_product_attention` uses it on the JAX backend on GPUs and falls back to
`keras.ops.dot_product_attention` wherever it does not apply.
"""

MULTIPLE = 64


def padded_attention(query, key, value, implementation="cudnn"):
    """Attention of `(batch, tokens, heads, head_dim)` inputs with the tokens padded to a multiple of 64.

    `implementation="xla"` computes the same padded, length-masked attention with XLA (what the tests check
    on the CPU).
    """
    import jax
    import jax.numpy as jnp

    batch, tokens = query.shape[0], query.shape[1]
    padded = -(-tokens // MULTIPLE) * MULTIPLE
    pad = [(0, 0), (0, padded - tokens), (0, 0), (0, 0)]
    query, key, value = (jnp.pad(t, pad) for t in (query, key, value))
    lengths = jnp.full((batch,), tokens, dtype=jnp.int32)
    out = jax.nn.dot_product_attention(
        query, key, value, query_seq_lengths=lengths, key_value_seq_lengths=lengths, implementation=implementation
    )
    return out[:, :tokens]


def try_cudnn_attention(query, key, value):
    """`padded_attention` on cuDNN, or None where it is not needed (a multiple of 64 tokens: cuDNN takes them as
    they are) or does not apply (no GPU, float32, a shape cuDNN refuses)."""
    import jax

    if query.shape[1] % MULTIPLE == 0:
        return None
    if jax.devices()[0].platform != "gpu" or str(query.dtype) not in ("bfloat16", "float16"):
        return None
    try:
        return padded_attention(query, key, value, implementation="cudnn")
    except (NotImplementedError, ValueError, RuntimeError):
        return None
