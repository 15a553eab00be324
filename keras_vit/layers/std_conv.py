import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_vit")
class StdConv2D(keras.layers.Layer):
    """2-D convolution with weight standardisation (official hybrid `StdConv`), no bias, SAME padding.

    Each output channel's kernel is standardised over (kh, kw, cin) at every call:
    `(w - mean) / (std + epsilon)` with the population std, exactly as the official
    `weight_standardize(w, axis=[0, 1, 2], eps=1e-5)`. The stored variable `kernel` is the raw
    `(kh, kw, cin, filters)` kernel, the checkpoint's `.../kernel`. SAME padding puts the extra row
    and column at the end (bottom/right) for even totals, like TF and flax.

    Args:
        filters: output channels.
        kernel_size: side of the square kernel.
        strides: stride in both directions.
        epsilon: added to the standard deviation.
        kernel_initializer: initializer of the raw kernel (flax's default, "lecun_normal").

    Call args:
        inputs: `(batch, height, width, channels)`.

    Returns:
        `(batch, ceil(height / strides), ceil(width / strides), filters)`.

    Reference:
        Qiao et al. 2019, "Weight Standardization", arXiv 1903.10520; Kolesnikov et al. 2020 (BiT),
        arXiv 1912.11370.
    """

    def __init__(self, filters, kernel_size, strides=1, epsilon=1e-5, kernel_initializer="lecun_normal", **kwargs):
        super().__init__(**kwargs)
        for arg, value in (("filters", filters), ("kernel_size", kernel_size), ("strides", strides)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"`{arg}` must be a positive int. Received: {arg}={value!r}")
        self.filters = filters
        self.kernel_size = kernel_size
        self.strides = strides
        self.epsilon = epsilon
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

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
        std = ops.sqrt(ops.mean(ops.square(w), axis=(0, 1, 2), keepdims=True))
        return w / (std + self.epsilon)

    def call(self, inputs):
        kernel = ops.cast(self.standardized_kernel(), inputs.dtype)
        return ops.conv(inputs, kernel, strides=self.strides, padding="same")

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
        )
        return config
