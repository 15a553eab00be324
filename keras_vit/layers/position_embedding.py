import keras
from keras import ops

from keras_vit.layers.posemb_resample import INTERPOLATIONS, resample_grid, sincos_2d

KINDS = ("learned", "learned_2d", "sincos2d")


@keras.saving.register_keras_serializable(package="keras_vit")
class AddPositionEmbs(keras.layers.Layer):
    """Adds position embeddings to a token sequence `[prefix tokens, patch tokens]`.

    `kind="learned"` is the paper's learned 1-D embedding (official name
    `Transformer/posembed_input/pos_embedding`, shape `(1, prefix + gh * gw, hidden)`, normal(0.02));
    `"learned_2d"` learns a row and a column embedding that are summed; `"sincos2d"` is the fixed
    2-D sine-cosine embedding (no weights; the prefix tokens get none).

    When the incoming patch grid differs from `grid_size` (a model built with
    `dynamic_image_size=True`), the learned grid is resampled in the graph with `interpolation`
    ("linear": the official code's corner-aligned linear zoom; "bicubic": torch's half-pixel bicubic;
    "bicubic_antialias": timm's, torch's bicubic with `antialias=True`).

    Args:
        grid_size: `(gh, gw)` patch grid the embedding is learned for.
        num_prefix_tokens: tokens before the patches (1 with a class token, else 0).
        kind: "learned", "learned_2d" or "sincos2d".
        interpolation: "linear", "bicubic" or "bicubic_antialias".

    Call args:
        inputs: `(batch, prefix + gh' * gw', hidden)`.
        grid: optional tensor whose dims 1 and 2 are the incoming patch grid `(gh', gw')`;
            needed only when it differs from `grid_size`.

    Returns:
        Same shape as `inputs`.
    """

    def __init__(self, grid_size, num_prefix_tokens=1, kind="learned", interpolation="linear", **kwargs):
        super().__init__(**kwargs)
        if kind not in KINDS:
            raise ValueError(
                f"`kind` must be one of {KINDS} (or build the model with posemb='none'). Received: kind={kind!r}"
            )
        if interpolation not in INTERPOLATIONS:
            raise ValueError(
                f"`interpolation` must be one of {INTERPOLATIONS}. Received: interpolation={interpolation!r}"
            )
        self.grid_size = tuple(grid_size)
        self.num_prefix_tokens = num_prefix_tokens
        self.kind = kind
        self.interpolation = interpolation

    def build(self, inputs_shape, grid_shape=None):
        hidden = inputs_shape[-1]
        gh, gw = self.grid_size

        def init():  # a new initializer per weight: an unseeded one draws the same values at every call
            return keras.initializers.RandomNormal(stddev=0.02)

        if self.kind == "learned":
            self.pos_embedding = self.add_weight(
                name="pos_embedding", shape=(1, self.num_prefix_tokens + gh * gw, hidden), initializer=init()
            )
        elif self.kind == "learned_2d":
            self.row_embedding = self.add_weight(name="row_embedding", shape=(gh, 1, hidden), initializer=init())
            self.col_embedding = self.add_weight(name="col_embedding", shape=(1, gw, hidden), initializer=init())
            if self.num_prefix_tokens:
                self.prefix_embedding = self.add_weight(
                    name="prefix_embedding", shape=(1, self.num_prefix_tokens, hidden), initializer=init()
                )
        elif hidden % 4:
            raise ValueError(f"kind='sincos2d' needs a width divisible by 4. Received: hidden={hidden}")

    def _patch_grid(self, target, resample, hidden):
        """(gh', gw', hidden) patch embedding for the target grid, in float32."""
        if self.kind == "sincos2d":
            return sincos_2d(target[0], target[1], hidden)
        if self.kind == "learned":
            gh, gw = self.grid_size
            grid = ops.reshape(self.pos_embedding[0, self.num_prefix_tokens :], (gh, gw, hidden))
        else:
            grid = self.row_embedding + self.col_embedding
        if resample:
            grid = resample_grid(grid, target, self.interpolation)
        return ops.cast(grid, "float32")

    def call(self, inputs, grid=None):
        hidden = inputs.shape[-1]
        target = self.grid_size if grid is None else tuple(ops.shape(grid)[1:3])
        # Under TensorFlow graph tracing an unknown size is a tensor: then always resample.
        static = all(isinstance(d, int) for d in target)
        resample = not static or tuple(target) != self.grid_size
        if self.kind == "learned" and not resample:
            return inputs + ops.cast(self.pos_embedding, inputs.dtype)
        patches = ops.reshape(self._patch_grid(target, resample, hidden), (1, -1, hidden))
        if self.num_prefix_tokens:
            if self.kind == "learned":
                prefix = self.pos_embedding[:, : self.num_prefix_tokens]
            elif self.kind == "learned_2d":
                prefix = self.prefix_embedding
            else:
                prefix = ops.zeros((1, self.num_prefix_tokens, hidden))
            patches = ops.concatenate([ops.cast(prefix, "float32"), patches], axis=1)
        return inputs + ops.cast(patches, inputs.dtype)

    def compute_output_shape(self, inputs_shape, grid_shape=None):
        return inputs_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            grid_size=self.grid_size,
            num_prefix_tokens=self.num_prefix_tokens,
            kind=self.kind,
            interpolation=self.interpolation,
        )
        return config
