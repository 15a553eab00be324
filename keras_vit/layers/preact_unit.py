import keras
from keras import ops

from keras_vit.layers.resnet_unit import check_group_features
from keras_vit.layers.std_conv import StdConv2D

# BiT's numerics (google-research/big_transfer, all three frameworks): weight standardisation
# `(w - mean) / sqrt(var + 1e-10)`, GroupNorm with 32 groups and epsilon 1e-5.
BIT_STD_EPSILON = 1e-10
BIT_GROUPS = 32
BIT_EPSILON = 1e-5


@keras.saving.register_keras_serializable(package="keras_vit")
class PreActBottleneck(keras.layers.Layer):
    """Pre-activation (ResNet v2) bottleneck unit of BiT (big_transfer `ResidualUnit` / `PreActBottleneck`).

    `gn1` → ReLU gives the pre-activation `a`; then `conv1` 1×1 → `gn2` → ReLU → `conv2` 3×3 (the stride is
    here, not on `conv1`) → `gn3` → ReLU → `conv3` 1×1 (4 × features), plus the shortcut, with no activation
    after the sum. The shortcut is the raw input when the shape is kept, else `conv_proj` 1×1 (with the stride)
    applied to the pre-activation `a` (not to the input; no GroupNorm of its own). Convolutions are
    `StdConv2D` with BiT's `fixed_padding` (1 row/column each side of the 3×3, independent of the stride) and
    standardisation `(w - mean) / sqrt(var + std_epsilon)`. Sub-layers carry BiT-JAX's names
    (`gn1`, `conv1`, ..., `conv_proj`; the `.npz` groups `a`, `b`, `c` and `a/proj`).

    Args:
        features: bottleneck width; the unit outputs `4 * features` channels.
        strides: stride of `conv2` and `conv_proj`.
        groups: GroupNorm groups (the input channels and `features` must be divisible by it).
        epsilon: GroupNorm epsilon.
        std_epsilon: weight-standardisation epsilon, added to the variance.

    Call args:
        inputs: `(batch, height, width, channels)`.

    Returns:
        `(batch, ceil(height / strides), ceil(width / strides), 4 * features)`.

    Reference:
        He et al. 2016, "Identity Mappings in Deep Residual Networks", arXiv 1603.05027; Kolesnikov et al. 2020,
        "Big Transfer (BiT)", arXiv 1912.11370.
    """

    def __init__(
        self, features, strides=1, groups=BIT_GROUPS, epsilon=BIT_EPSILON, std_epsilon=BIT_STD_EPSILON, **kwargs
    ):
        super().__init__(**kwargs)
        check_group_features(features, groups)
        self.features = features
        self.strides = strides
        self.groups = groups
        self.epsilon = epsilon
        self.std_epsilon = std_epsilon
        self.gn1 = self._norm("gn1")
        self.conv1 = self._conv(features, 1, "conv1")
        self.gn2 = self._norm("gn2")
        self.conv2 = self._conv(features, 3, "conv2", strides)
        self.gn3 = self._norm("gn3")
        self.conv3 = self._conv(4 * features, 1, "conv3")
        self.conv_proj = None  # created in build when the shape changes

    def _conv(self, filters, kernel_size, name, strides=1):
        return StdConv2D(
            filters,
            kernel_size,
            strides=strides,
            epsilon=self.std_epsilon,
            epsilon_under_sqrt=True,
            padding="fixed",
            name=name,
            dtype=self.dtype_policy,
        )

    def _norm(self, name):
        return keras.layers.GroupNormalization(self.groups, epsilon=self.epsilon, name=name, dtype=self.dtype_policy)

    def needs_projection(self, channels):
        return channels != 4 * self.features or self.strides != 1

    def build(self, input_shape):
        channels = input_shape[-1]
        if channels is None or channels % self.groups:
            raise ValueError(
                f"The input channels must be known and a multiple of `groups` ({self.groups}). Received: "
                f"input_shape={input_shape}"
            )
        if self.needs_projection(channels):
            self.conv_proj = self._conv(4 * self.features, 1, "conv_proj", self.strides)
            self.conv_proj.build(input_shape)
        self.gn1.build(input_shape)
        self.conv1.build(input_shape)
        shape = self.conv1.compute_output_shape(input_shape)
        self.gn2.build(shape)
        self.conv2.build(shape)
        shape = self.conv2.compute_output_shape(shape)
        self.gn3.build(shape)
        self.conv3.build(shape)

    def call(self, inputs):
        preactivated = ops.relu(self.gn1(inputs))
        shortcut = inputs if self.conv_proj is None else self.conv_proj(preactivated)
        y = self.conv1(preactivated)
        y = self.conv2(ops.relu(self.gn2(y)))
        y = self.conv3(ops.relu(self.gn3(y)))
        return y + shortcut

    def compute_output_shape(self, input_shape):
        return self.conv3.compute_output_shape(self.conv2.compute_output_shape(input_shape))

    def get_config(self):
        config = super().get_config()
        config.update(
            features=self.features,
            strides=self.strides,
            groups=self.groups,
            epsilon=self.epsilon,
            std_epsilon=self.std_epsilon,
        )
        return config
