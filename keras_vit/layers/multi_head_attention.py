import math

import keras
import numpy as np
from keras import ops

from keras_vit.layers.attention import IMPLEMENTATIONS, dot_product_attention


def projection_initializer(fan_in, fan_out):
    """Glorot-uniform over the 2-D (fan_in, fan_out) matrix a projection kernel is: the official code's
    `xavier_uniform` of Flax's `DenseGeneral`, which draws the flattened kernel (Keras's `GlorotUniform` would
    take the fans of the 3-D shape, 6-12 x too narrow). A new initializer per weight: an unseeded Keras
    initializer draws the same values at every call, so one shared by q, k and v would make them equal."""
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return keras.initializers.RandomUniform(-limit, limit)


@keras.saving.register_keras_serializable(package="keras_vit")
class MultiHeadSelfAttention(keras.layers.Layer):
    """Multi-head self-attention with the official checkpoint's parameter layout.

    Kernels are stored as the official `MultiHeadDotProductAttention` ones: `query/key/value`
    `(hidden, heads, head_dim)` with biases `(heads, head_dim)`, `out` `(heads, head_dim, hidden)`.

    Args:
        num_heads: number of heads; must divide the input width.
        attention_dropout: dropout rate on the attention weights.
        implementation: "auto", "einsum" or "fused" (see `dot_product_attention`).
        relative_positions: 0 (off), or the token count T for 1-D relative position attention (paper Appendix
            D.4): a learned embedding `r` `(2T − 1, head_dim)` per relative offset, shared by the heads; each
            query also attends to the embeddings of its offsets, and `q · r[j − i] / √head_dim` is added to the
            logit of query i and key j (tokens in sequence order, the class token first).

    Call args:
        inputs: `(batch, tokens, hidden)`.
        return_attention_weights: also return `(batch, heads, tokens, tokens)`.

    Returns:
        `(batch, tokens, hidden)`.
    """

    def __init__(self, num_heads, attention_dropout=0.0, implementation="auto", relative_positions=0, **kwargs):
        super().__init__(**kwargs)
        if implementation not in IMPLEMENTATIONS:
            raise ValueError(
                f"`implementation` must be one of {IMPLEMENTATIONS}. Received: implementation={implementation!r}"
            )
        self.num_heads = num_heads
        self.attention_dropout = attention_dropout
        self.implementation = implementation
        self.relative_positions = relative_positions
        self.seed_generator = keras.random.SeedGenerator() if attention_dropout > 0 else None

    def build(self, input_shape):
        hidden = input_shape[-1]
        if hidden % self.num_heads:
            raise ValueError(
                f"The width {hidden} is not divisible by `num_heads`; choose num_heads dividing it. "
                f"Received: num_heads={self.num_heads}"
            )
        head_dim = hidden // self.num_heads
        for name in ("query", "key", "value"):
            setattr(
                self,
                f"{name}_kernel",
                self.add_weight(
                    name=f"{name}_kernel",
                    shape=(hidden, self.num_heads, head_dim),
                    initializer=projection_initializer(hidden, hidden),
                ),
            )
            setattr(
                self,
                f"{name}_bias",
                self.add_weight(name=f"{name}_bias", shape=(self.num_heads, head_dim), initializer="zeros"),
            )
        self.out_kernel = self.add_weight(
            name="out_kernel",
            shape=(self.num_heads, head_dim, hidden),
            initializer=projection_initializer(hidden, hidden),
        )
        self.out_bias = self.add_weight(name="out_bias", shape=(hidden,), initializer="zeros")
        if self.relative_positions:
            self.relative_embedding = self.add_weight(
                name="relative_embedding",
                shape=(2 * self.relative_positions - 1, head_dim),
                initializer=keras.initializers.RandomNormal(stddev=0.02),
            )

    def _relative_bias(self, q):
        tokens = self.relative_positions
        if q.shape[1] != tokens:
            raise ValueError(
                f"This attention learned relative positions for {tokens} tokens; build the model for this image "
                f"size (relative position attention has no resampling). Received: {q.shape[1]} tokens"
            )
        offsets = np.arange(tokens)[None, :] - np.arange(tokens)[:, None] + tokens - 1
        table = ops.take(ops.cast(self.relative_embedding, q.dtype), offsets, axis=0)  # (T, T, head_dim)
        scale = 1.0 / np.sqrt(q.shape[-1])
        return ops.einsum("bqhd,qkd->bhqk", q * ops.cast(scale, q.dtype), table)

    def call(self, inputs, training=False, return_attention_weights=False):
        q = ops.einsum("btd,dhk->bthk", inputs, self.query_kernel) + self.query_bias
        k = ops.einsum("btd,dhk->bthk", inputs, self.key_kernel) + self.key_bias
        v = ops.einsum("btd,dhk->bthk", inputs, self.value_kernel) + self.value_bias
        result = dot_product_attention(
            q,
            k,
            v,
            bias=self._relative_bias(q) if self.relative_positions else None,
            dropout_rate=self.attention_dropout,
            training=training,
            return_weights=return_attention_weights,
            seed_generator=self.seed_generator,
            implementation=self.implementation,
        )
        out, weights = result if return_attention_weights else (result, None)
        out = ops.einsum("bthk,hkd->btd", out, self.out_kernel) + self.out_bias
        return (out, weights) if return_attention_weights else out

    def get_config(self):
        config = super().get_config()
        config.update(
            num_heads=self.num_heads,
            attention_dropout=self.attention_dropout,
            implementation=self.implementation,
            relative_positions=self.relative_positions,
        )
        return config
