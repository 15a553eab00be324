"""The masked-patch-prediction target: each patch's mean colour, quantised (paper §4.6, Appendix B.1.2)."""

import keras
from keras import ops


def mean_colour_targets(images, patch_size, bits=3, value_range=(-1.0, 1.0)):
    """The class of each patch's mean colour: `bits` bits per channel, so `2 ** (bits * channels)` classes.

    The mean of every channel over the patch is cut into `2 ** bits` equal bins of `value_range` (the top
    edge belongs to the last bin); the class is the channels' bin numbers read as digits, first channel
    most significant. The paper's target is 3 bits of RGB: 512 classes.

    Args:
        images: `(batch, height, width, channels)`, height and width multiples of `patch_size`.
        patch_size: side of a patch in pixels.
        bits: bits per channel.
        value_range: `(low, high)` of the pixel values (keras_vit's preprocessing: (-1, 1)).

    Returns:
        int32 `(batch, patches)`, patches in row-major order (the ViT's token order).
    """
    shape = ops.shape(images)
    p = patch_size
    gh, gw, channels = shape[1] // p, shape[2] // p, images.shape[-1]
    patches = ops.reshape(ops.cast(images, "float32"), (shape[0], gh, p, gw, p, channels))
    means = ops.mean(patches, axis=(2, 4))
    low, high = value_range
    levels = 2**bits
    bins = ops.clip(ops.floor((means - low) / (high - low) * levels), 0, levels - 1)
    place = ops.convert_to_tensor([float(levels ** (channels - 1 - c)) for c in range(channels)])
    classes = ops.sum(bins * place, axis=-1)
    return ops.cast(ops.reshape(classes, (shape[0], gh * gw)), "int32")


def num_target_classes(bits, channels):
    return 2 ** (bits * channels)


@keras.saving.register_keras_serializable(package="keras_vit")
class MeanColourTargets(keras.layers.Layer):
    """`mean_colour_targets` as a layer (no weights), so that a model computes its own targets.

    Args:
        patch_size: side of a patch in pixels.
        bits: bits per channel.
        value_range: `(low, high)` of the pixel values.
    """

    def __init__(self, patch_size, bits=3, value_range=(-1.0, 1.0), **kwargs):
        super().__init__(**kwargs)
        if bits < 1:
            raise ValueError(f"`bits` must be at least 1. Received: bits={bits}")
        if not value_range[0] < value_range[1]:
            raise ValueError(f"`value_range` must be (low, high) with low < high. Received: value_range={value_range}")
        self.patch_size = patch_size
        self.bits = bits
        self.value_range = tuple(value_range)

    def call(self, images):
        return mean_colour_targets(images, self.patch_size, self.bits, self.value_range)

    def compute_output_shape(self, input_shape):
        batch, height, width = input_shape[:3]
        p = self.patch_size
        patches = None if height is None or width is None else (height // p) * (width // p)
        return (batch, patches)

    def compute_output_spec(self, images):
        return keras.KerasTensor(self.compute_output_shape(images.shape), dtype="int32")

    def get_config(self):
        config = super().get_config()
        config.update(patch_size=self.patch_size, bits=self.bits, value_range=self.value_range)
        return config
