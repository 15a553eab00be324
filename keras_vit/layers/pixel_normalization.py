"""`PixelNormalization`: keras_vit's one input convention, adapted to the pixel statistics a checkpoint was trained
with.

Every keras_vit model takes images as `preprocess_input` gives them, pixels / 127.5 - 1 (in [-1, 1]; the official
ViT and BiT normalisation, timm's "inception" mean and std of 0.5). Checkpoints trained with ImageNet's channel
mean and std (DeiT, DeiT III; timm's `IMAGENET_DEFAULT_MEAN`/`_STD`, transformers' `image_mean`/`image_std`) start
with this layer, which maps the one convention to theirs, so the same pixels give the source's logits.
"""

import keras

# name → (mean, std) of pixels scaled to [0, 1], as timm's constants.
PIXEL_STATISTICS = {
    "inception": ((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),
    "imagenet": ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
}


def pixel_statistics(pixels):
    """`(mean, std)`, three floats each, for a name of `PIXEL_STATISTICS` or a `(mean, std)` pair."""
    if isinstance(pixels, str):
        if pixels not in PIXEL_STATISTICS:
            raise ValueError(
                f"Unknown pixel statistics; use one of {sorted(PIXEL_STATISTICS)} or a (mean, std) pair of three "
                f"floats each. Received: pixels={pixels!r}"
            )
        return PIXEL_STATISTICS[pixels]
    try:
        mean, std = (tuple(float(v) for v in part) for part in pixels)
    except (TypeError, ValueError):
        mean = std = ()
    if len(mean) != 3 or len(std) != 3 or min(std) <= 0:
        raise ValueError(
            "pixels must be a name of "
            f"{sorted(PIXEL_STATISTICS)} or a (mean, std) pair of three floats each, std > 0. Received: "
            f"pixels={pixels!r}"
        )
    return mean, std


def is_identity(pixels):
    """Whether images in keras_vit's convention already have these statistics (no layer needed)."""
    return pixel_statistics(pixels) == PIXEL_STATISTICS["inception"]


@keras.saving.register_keras_serializable(package="keras_vit")
class PixelNormalization(keras.layers.Layer):
    """`((x + 1) / 2 - mean) / std` per channel: images in [-1, 1] to the statistics a checkpoint expects.

    Args:
        mean: three floats, the channel means of pixels in [0, 1] the weights were trained with.
        std: three floats, their standard deviations.

    Call args:
        inputs: `(batch, height, width, 3)` images in [-1, 1] (`keras_vit.preprocess_input`).

    Returns:
        The same shape, normalised as the checkpoint's training data.
    """

    def __init__(self, mean, std, **kwargs):
        super().__init__(**kwargs)
        self.mean, self.std = pixel_statistics((mean, std))

    def call(self, inputs):
        dtype = inputs.dtype
        scale = keras.ops.convert_to_tensor([0.5 / s for s in self.std], dtype)
        shift = keras.ops.convert_to_tensor([(0.5 - m) / s for m, s in zip(self.mean, self.std)], dtype)
        return inputs * scale + shift

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(mean=list(self.mean), std=list(self.std))
        return config
