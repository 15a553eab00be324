import keras
from keras import ops

from keras_vit.layers.layer_scale import LayerScale
from keras_vit.layers.multi_head_attention import MultiHeadSelfAttention

GELUS = ("tanh", "exact")


@keras.saving.register_keras_serializable(package="keras_vit")
class TransformerBlock(keras.layers.Layer):
    """Pre-LayerNorm Transformer encoder block (official `Encoder1DBlock`).

    `x + drop_path(dropout(MHSA(LN(x))))`, then `y + drop_path(dropout(MLP(LN(y))))`, with the MLP
    `Dense(mlp_dim) → GELU → dropout → Dense(hidden)`; with `layer_scale`, each branch is multiplied by a learned
    per-channel scale before the residual sum (`LayerScale_1` after the attention, `LayerScale_3` after the MLP;
    DeiT III, timm's `ls1`/`ls2`). The GELU form and the LayerNorm epsilon are the
    checkpoint's numerics: the official JAX models use the tanh form (JAX's default) and 1e-6; models trained
    in PyTorch use the exact (erf) form and other epsilons (Hugging Face ViT: 1e-12). Sub-layers carry the
    official checkpoint's names.

    Args:
        num_heads: attention heads.
        mlp_dim: hidden width of the MLP.
        dropout: dropout after the attention and after each MLP dense.
        attention_dropout: dropout on the attention weights.
        drop_path: stochastic depth rate (per-sample residual branch drop).
        attention_implementation: "auto", "einsum" or "fused".
        relative_positions: 0, or the token count for relative position attention (`MultiHeadSelfAttention`).
        gelu: "tanh" (the approximation, official) or "exact" (erf).
        layer_norm_epsilon: epsilon of both LayerNorms.
        layer_scale: None (the paper's block), or the initial value of the `LayerScale` of each branch.

    Call args:
        inputs: `(batch, tokens, hidden)`.
        return_attention_weights: also return `(batch, heads, tokens, tokens)`.

    Returns:
        `(batch, tokens, hidden)`.
    """

    def __init__(
        self,
        num_heads,
        mlp_dim,
        dropout=0.0,
        attention_dropout=0.0,
        drop_path=0.0,
        attention_implementation="auto",
        relative_positions=0,
        gelu="tanh",
        layer_norm_epsilon=1e-6,
        layer_scale=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if gelu not in GELUS:
            raise ValueError(
                f"`gelu` must be one of {GELUS}: 'tanh' for the official JAX checkpoints, 'exact' for PyTorch-trained "
                f"ones. Received: gelu={gelu!r}"
            )
        self.num_heads = num_heads
        self.mlp_dim = mlp_dim
        self.dropout = dropout
        self.attention_dropout = attention_dropout
        self.drop_path = drop_path
        self.attention_implementation = attention_implementation
        self.relative_positions = relative_positions
        self.gelu = gelu
        self.layer_norm_epsilon = layer_norm_epsilon
        self.layer_scale = layer_scale
        self.scales = (
            [LayerScale(layer_scale, name=name, dtype=self.dtype_policy) for name in ("LayerScale_1", "LayerScale_3")]
            if layer_scale is not None
            else []
        )
        self.norm1 = keras.layers.LayerNormalization(
            epsilon=layer_norm_epsilon, name="LayerNorm_0", dtype=self.dtype_policy
        )
        self.attention = MultiHeadSelfAttention(
            num_heads,
            attention_dropout=attention_dropout,
            implementation=attention_implementation,
            relative_positions=relative_positions,
            name="MultiHeadDotProductAttention_1",
            dtype=self.dtype_policy,
        )
        self.norm2 = keras.layers.LayerNormalization(
            epsilon=layer_norm_epsilon, name="LayerNorm_2", dtype=self.dtype_policy
        )
        self.mlp_dense_0 = keras.layers.Dense(
            mlp_dim,
            bias_initializer=keras.initializers.RandomNormal(stddev=1e-6),
            name="MlpBlock_3_Dense_0",
            dtype=self.dtype_policy,
        )
        self.mlp_dense_1 = None  # built once the width is known
        self.dropout_layer = keras.layers.Dropout(dropout)
        self.seed_generator = keras.random.SeedGenerator() if drop_path > 0 else None

    def build(self, input_shape):
        hidden = input_shape[-1]
        self.mlp_dense_1 = keras.layers.Dense(
            hidden,
            bias_initializer=keras.initializers.RandomNormal(stddev=1e-6),
            name="MlpBlock_3_Dense_1",
            dtype=self.dtype_policy,
        )
        self.norm1.build(input_shape)
        self.attention.build(input_shape)
        self.norm2.build(input_shape)
        self.mlp_dense_0.build(input_shape)
        self.mlp_dense_1.build(tuple(input_shape[:-1]) + (self.mlp_dim,))
        for scale in self.scales:
            scale.build(input_shape)

    def _scaled(self, y, branch):
        return self.scales[branch](y) if self.scales else y

    def _drop_path(self, x, training):
        if not training or self.drop_path == 0:
            return x
        keep = 1.0 - self.drop_path
        shape = (ops.shape(x)[0], 1, 1)
        mask = keras.random.uniform(shape, seed=self.seed_generator) < keep
        return ops.where(mask, x / keep, ops.zeros_like(x))

    def _mlp(self, x, training):
        # Dense layers on the 3-D tokens: folding the tokens into the batch (2-D products) measured no faster
        # (benchmarks/mlp_fold.py).
        y = ops.gelu(self.mlp_dense_0(x), approximate=self.gelu == "tanh")
        y = self.dropout_layer(y, training=training)
        return self.dropout_layer(self.mlp_dense_1(y), training=training)

    def call(self, inputs, training=False, return_attention_weights=False):
        y = self.norm1(inputs)
        y = self.attention(y, training=training, return_attention_weights=return_attention_weights)
        y, weights = y if return_attention_weights else (y, None)
        x = inputs + self._drop_path(self._scaled(self.dropout_layer(y, training=training), 0), training)
        y = self._mlp(self.norm2(x), training)
        out = x + self._drop_path(self._scaled(y, 1), training)
        return (out, weights) if return_attention_weights else out

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            num_heads=self.num_heads,
            mlp_dim=self.mlp_dim,
            dropout=self.dropout,
            attention_dropout=self.attention_dropout,
            drop_path=self.drop_path,
            attention_implementation=self.attention_implementation,
            relative_positions=self.relative_positions,
            gelu=self.gelu,
            layer_norm_epsilon=self.layer_norm_epsilon,
            layer_scale=self.layer_scale,
        )
        return config
