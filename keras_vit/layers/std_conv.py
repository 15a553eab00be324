import keras
from keras import ops

PADDINGS = ("same", "fixed")


@keras.saving.register_keras_serializable(package="keras_vit")
class StdConv2D(keras.layers.Layer):
    """2-D convolution with weight standardisation (official hybrid `StdConv`), no bias.

    Each output channel's kernel is standardised over (kh, kw, cin) at every call:
    `(w - mean) / (std + epsilon)` with the population std, exactly as the official hybrid's
    `weight_standardize(w, axis=[0, 1, 2], eps=1e-5)`; with `epsilon_under_sqrt=True`,
    `(w - mean) / sqrt(var + epsilon)`, as BiT's `StdConv` (big_transfer, eps 1e-10). The stored variable
    `kernel` is the raw `(kh, kw, cin, filters)` kernel, the checkpoint's `.../kernel`.

    Padding "same" (the hybrid's) is TF/flax SAME: it depends on the input size and the stride and puts the
    extra row and column at the end (bottom/right). "fixed" is BiT's `fixed_padding`: `(k - 1) // 2` rows
    and columns before and the rest after, whatever the input size and stride, then VALID. The two differ
    for strided convolutions of even-sized inputs (SAME pads a 7×7/2 conv of 224 px by (2, 3), BiT by (3, 3)).

    Args:
        filters: output channels.
        kernel_size: side of the square kernel.
        strides: stride in both directions.
        epsilon: added to the standard deviation (or to the variance, see `epsilon_under_sqrt`).
        kernel_initializer: initializer of the raw kernel (flax's default, "lecun_normal").
        padding: "same" or "fixed" (see above).
        epsilon_under_sqrt: add `epsilon` to the variance under the square root instead of to the std.

    Call args:
        inputs: `(batch, height, width, channels)`.

    Returns:
        `(batch, ceil(height / strides), ceil(width / strides), filters)`.

    Reference:
        Qiao et al. 2019, "Weight Standardization", arXiv 1903.10520; Kolesnikov et al. 2020 (BiT),
        arXiv 1912.11370.
    """

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        epsilon=1e-5,
        kernel_initializer="lecun_normal",
        padding="same",
        epsilon_under_sqrt=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        for arg, value in (("filters", filters), ("kernel_size", kernel_size), ("strides", strides)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"`{arg}` must be a positive int. Received: {arg}={value!r}")
        if padding not in PADDINGS:
            raise ValueError(f"`padding` must be one of {PADDINGS}. Received: padding={padding!r}")
        self.filters = filters
        self.kernel_size = kernel_size
        self.strides = strides
        self.epsilon = epsilon
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.padding = padding
        self.epsilon_under_sqrt = epsilon_under_sqrt

    def build(self, input_shape):
        channels = input_shape[-1]
        if channels is None:
            raise ValueError(f"The channel dimension must be known. Received: input_shape={input_shape}")
        k = self.kernel_size
        self.kernel = self.add_weight(
            name="kernel", shape=(k, k, channels, self.filters), initializer=self.kernel_initializer
        )

    def standardized_kernel(self):
        """The kernel the convolution uses, in the variable's dtype (float32 under mixed precision)."""
        w = ops.convert_to_tensor(self.kernel)
        mean = ops.mean(w, axis=(0, 1, 2), keepdims=True)
        w = w - mean
        variance = ops.mean(ops.square(w), axis=(0, 1, 2), keepdims=True)
        if self.epsilon_under_sqrt:
            return w / ops.sqrt(variance + self.epsilon)
        return w / (ops.sqrt(variance) + self.epsilon)

    def call(self, inputs):
        kernel = ops.cast(self.standardized_kernel(), inputs.dtype)
        if self.padding == "same":
            return ops.conv(inputs, kernel, strides=self.strides, padding="same")
        before = (self.kernel_size - 1) // 2
        after = self.kernel_size - 1 - before
        padded = ops.pad(inputs, ((0, 0), (before, after), (before, after), (0, 0)))
        return ops.conv(padded, kernel, strides=self.strides, padding="valid")

    def compute_output_shape(self, input_shape):
        def out(size):
            return None if size is None else -(-size // self.strides)

        return (input_shape[0], out(input_shape[1]), out(input_shape[2]), self.filters)

    def get_config(self):
        config = super().get_config()
        config.update(
            filters=self.filters,
            kernel_size=self.kernel_size,
            strides=self.strides,
            epsilon=self.epsilon,
            kernel_initializer=keras.initializers.serialize(self.kernel_initializer),
            padding=self.padding,
            epsilon_under_sqrt=self.epsilon_under_sqrt,
        )
        return config
