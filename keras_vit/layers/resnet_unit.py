import keras
from keras import ops

from keras_vit.layers.std_conv import StdConv2D


def check_group_features(features, groups):
    """A clear error unless `features` channels split into `groups` GroupNorm groups (both positive ints)."""
    if not isinstance(groups, int) or groups < 1:
        raise ValueError(f"`groups` must be a positive int. Received: groups={groups!r}")
    if not isinstance(features, int) or features < 1 or features % groups:
        raise ValueError(
            f"`features` must be a positive multiple of `groups` ({groups}) for GroupNorm. Received: "
            f"features={features!r}"
        )


@keras.saving.register_keras_serializable(package="keras_vit")
class ResNetUnit(keras.layers.Layer):
    """Bottleneck residual unit of the hybrid's ResNet (official `models_resnet.ResidualUnit`).

    `conv1` 1×1 → `gn1` → ReLU → `conv2` 3×3 (stride here) → `gn2` → ReLU → `conv3` 1×1 (4 × features)
    → `gn3` (scale initialised to zeros, so a fresh unit starts as its shortcut), then
    `relu(shortcut + y)`. The shortcut is `conv_proj` 1×1 (with the stride) → `gn_proj` when the
    channels or the resolution change, else the input. Convolutions are `StdConv2D` (weight
    standardised, no bias, SAME padding); GroupNorm has 32 groups and epsilon 1e-6 (flax's defaults).
    Sub-layers carry the checkpoint's names: `block{s}/unit{u}/{conv1,gn1,...,conv_proj,gn_proj}`.

    Args:
        features: bottleneck width; the unit outputs `4 * features` channels.
        strides: stride of `conv2` and `conv_proj`.
        groups: GroupNorm groups (`features` must be divisible by it).
        epsilon: GroupNorm epsilon.

    Call args:
        inputs: `(batch, height, width, channels)`.

    Returns:
        `(batch, ceil(height / strides), ceil(width / strides), 4 * features)`.

    Reference:
        He et al. 2016, arXiv 1512.03385; Kolesnikov et al. 2020 (BiT), arXiv 1912.11370;
        Dosovitskiy et al. 2020, arXiv 2010.11929 (hybrid).
    """

    def __init__(self, features, strides=1, groups=32, epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        check_group_features(features, groups)
        self.features = features
        self.strides = strides
        self.groups = groups
        self.epsilon = epsilon

        def conv(filters, kernel_size, name, strides=1):
            return StdConv2D(filters, kernel_size, strides=strides, name=name, dtype=self.dtype_policy)

        def norm(name, gamma_initializer="ones"):
            return keras.layers.GroupNormalization(
                groups, epsilon=epsilon, gamma_initializer=gamma_initializer, name=name, dtype=self.dtype_policy
            )

        self.conv1 = conv(features, 1, "conv1")
        self.gn1 = norm("gn1")
        self.conv2 = conv(features, 3, "conv2", strides)
        self.gn2 = norm("gn2")
        self.conv3 = conv(4 * features, 1, "conv3")
        self.gn3 = norm("gn3", "zeros")
        self.conv_proj = self.gn_proj = None  # created in build when the shape changes

    def build(self, input_shape):
        if input_shape[-1] != 4 * self.features or self.strides != 1:
            self.conv_proj = StdConv2D(
                4 * self.features, 1, strides=self.strides, name="conv_proj", dtype=self.dtype_policy
            )
            self.gn_proj = keras.layers.GroupNormalization(
                self.groups, epsilon=self.epsilon, name="gn_proj", dtype=self.dtype_policy
            )
            self.conv_proj.build(input_shape)
            self.gn_proj.build(self.conv_proj.compute_output_shape(input_shape))
        self.conv1.build(input_shape)
        shape = self.conv1.compute_output_shape(input_shape)
        self.gn1.build(shape)
        self.conv2.build(shape)
        shape = self.conv2.compute_output_shape(shape)
        self.gn2.build(shape)
        self.conv3.build(shape)
        self.gn3.build(self.conv3.compute_output_shape(shape))

    def call(self, inputs):
        shortcut = inputs if self.conv_proj is None else self.gn_proj(self.conv_proj(inputs))
        y = ops.relu(self.gn1(self.conv1(inputs)))
        y = ops.relu(self.gn2(self.conv2(y)))
        y = self.gn3(self.conv3(y))
        return ops.relu(shortcut + y)

    def compute_output_shape(self, input_shape):
        return self.conv3.compute_output_shape(self.conv2.compute_output_shape(input_shape))

    def get_config(self):
        config = super().get_config()
        config.update(features=self.features, strides=self.strides, groups=self.groups, epsilon=self.epsilon)
        return config


def resnet_stride(resnet_blocks):
    """Downsampling of the hybrid's ResNet: 4 for the root (conv stride 2, max-pool stride 2), then 2 per
    stage after the first. `(3, 4, 9)` → 16; `(2, 2, 2, 2)` → 32; `()` (root only) → 4."""
    return 4 * 2 ** max(len(resnet_blocks) - 1, 0)
