"""BERT-style corruption of patch embeddings for masked patch prediction (paper §4.6, Appendix B.1.2)."""

import keras
from keras import ops

# The mode of each patch after `PatchCorruption`: untouched (not predicted), or one of the three corruptions.
INTACT, MASKED, REPLACED, KEPT = 0, 1, 2, 3


def corruption_counts(num_patches, corrupt_rate, mask_rate, random_rate):
    """How many patches of an image are masked, replaced and kept-but-predicted: `(masked, replaced, kept)`."""
    corrupted = round(corrupt_rate * num_patches)
    masked = round(mask_rate * corrupted)
    replaced = min(round(random_rate * corrupted), corrupted - masked)
    return masked, replaced, corrupted - masked - replaced


@keras.saving.register_keras_serializable(package="keras_vit")
class PatchCorruption(keras.layers.Layer):
    """Corrupts `corrupt_rate` of each image's patch embeddings, as the paper's masked patch prediction.

    Of the corrupted patches, `mask_rate` are replaced by a learned [mask] embedding, `random_rate` by the
    embedding of another patch of the same image (chosen uniformly among the others), and the rest are kept
    as they are (but still predicted). The counts are exact per image (`corruption_counts`), the positions
    uniformly random. The layer corrupts whenever it is called, training or not: it belongs to the
    pre-training model only, and validating the pre-training loss needs the same corruption.

    Args:
        corrupt_rate: fraction of the patches to corrupt (paper: 0.5).
        mask_rate: fraction of the corrupted patches given the [mask] embedding (paper: 0.8).
        random_rate: fraction of the corrupted patches given another patch's embedding (paper: 0.1).
        seed: seed of the random choices.

    Call args:
        tokens: patch embeddings `(batch, patches, hidden)`, before any class token or position embedding.

    Returns:
        `(corrupted tokens, mode)`: the tokens with the corruptions applied, and int32 `(batch, patches)`
        holding `INTACT`, `MASKED`, `REPLACED` or `KEPT` per patch.
    """

    def __init__(self, corrupt_rate=0.5, mask_rate=0.8, random_rate=0.1, seed=None, **kwargs):
        super().__init__(**kwargs)
        for name, value in (("corrupt_rate", corrupt_rate), ("mask_rate", mask_rate), ("random_rate", random_rate)):
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"`{name}` must be in [0, 1]. Received: {name}={value}")
        if mask_rate + random_rate > 1.0:
            raise ValueError(
                "`mask_rate + random_rate` must be at most 1 (the rest of the corrupted patches are kept). "
                f"Received: mask_rate={mask_rate}, random_rate={random_rate}"
            )
        self.corrupt_rate = corrupt_rate
        self.mask_rate = mask_rate
        self.random_rate = random_rate
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, tokens_shape):
        self.mask_embedding = self.add_weight(
            name="mask_embedding",
            shape=(tokens_shape[-1],),
            initializer=keras.initializers.RandomNormal(stddev=0.02),
        )

    def call(self, tokens):
        shape = ops.shape(tokens)
        batch, num_patches = shape[0], tokens.shape[1]
        if num_patches is None:
            raise ValueError(
                "PatchCorruption needs a known number of patches; build the model with a fixed image size. "
                f"Received: tokens shape={tokens.shape}"
            )
        masked, replaced, kept = corruption_counts(num_patches, self.corrupt_rate, self.mask_rate, self.random_rate)
        # A uniformly random rank per patch (the argsort of an argsort of noise is a random permutation).
        noise = keras.random.uniform((batch, num_patches), seed=self.seed_generator)
        rank = ops.argsort(ops.argsort(noise, axis=-1), axis=-1)
        mode = ops.where(
            rank < masked,
            MASKED,
            ops.where(rank < masked + replaced, REPLACED, ops.where(rank < masked + replaced + kept, KEPT, INTACT)),
        )
        mode = ops.cast(mode, "int32")

        # Another patch of the same image: an offset in [1, patches) from this one, wrapped around.
        offset = keras.random.randint((batch, num_patches), 1, max(num_patches, 2), seed=self.seed_generator)
        source = (ops.arange(num_patches)[None, :] + offset) % num_patches
        index = ops.broadcast_to(ops.expand_dims(source, -1), shape)
        others = ops.take_along_axis(tokens, index, axis=1)

        mask_embedding = ops.cast(self.mask_embedding, tokens.dtype)
        mode3 = ops.expand_dims(mode, -1)
        out = ops.where(mode3 == MASKED, mask_embedding, tokens)
        out = ops.where(mode3 == REPLACED, others, out)
        return out, mode

    def compute_output_shape(self, tokens_shape):
        return tokens_shape, tuple(tokens_shape[:2])

    def compute_output_spec(self, tokens):
        tokens_shape, mode_shape = self.compute_output_shape(tokens.shape)
        return keras.KerasTensor(tokens_shape, dtype=tokens.dtype), keras.KerasTensor(mode_shape, dtype="int32")

    def get_config(self):
        config = super().get_config()
        config.update(
            corrupt_rate=self.corrupt_rate, mask_rate=self.mask_rate, random_rate=self.random_rate, seed=self.seed
        )
        return config
