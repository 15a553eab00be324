import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_vit")
class PatchEncoder(keras.layers.Layer):
    """Cuts an image into non-overlapping patches and projects each linearly.

    A convolution with kernel = stride = `patch_size` and VALID padding, exactly the official
    `embedding` layer; its kernel `(patch, patch, channels, hidden)` is the checkpoint's.

    Args:
        patch_size: side of a square patch in pixels (or feature-map cells, for hybrids).
        hidden_size: width of each patch embedding.
        flatten: return tokens `(batch, gh * gw, hidden)`; otherwise the grid `(batch, gh, gw, hidden)`.

    Call args:
        inputs: `(batch, height, width, channels)`; height and width divisible by `patch_size`.

    Returns:
        `(batch, gh * gw, hidden)`, or `(batch, gh, gw, hidden)` when `flatten=False`.
    """

    def __init__(self, patch_size, hidden_size, flatten=True, **kwargs):
        super().__init__(**kwargs)
        self.patch_size = patch_size
        self.hidden_size = hidden_size
        self.flatten = flatten

    def build(self, input_shape):
        channels = input_shape[-1]
        if channels is None:
            raise ValueError(f"The channel dimension must be known. Received: input_shape={input_shape}")
        p = self.patch_size
        self.kernel = self.add_weight(
            name="kernel", shape=(p, p, channels, self.hidden_size), initializer="lecun_normal"
        )
        self.bias = self.add_weight(name="bias", shape=(self.hidden_size,), initializer="zeros")

    def call(self, inputs):
        p = self.patch_size
        height, width = inputs.shape[1], inputs.shape[2]
        # Known sizes are checked (always under JAX and XLA); a VALID conv would silently drop the border.
        if any(isinstance(s, int) and s % p for s in (height, width)):
            raise ValueError(
                f"Image height and width must be multiples of the patch size {p}; resize or crop the images. "
                f"Received: image shape={tuple(inputs.shape[1:])}"
            )
        grid = ops.conv(inputs, self.kernel, strides=p, padding="valid") + self.bias
        if not self.flatten:
            return grid
        shape = ops.shape(grid)
        return ops.reshape(grid, (shape[0], -1, self.hidden_size))

    def compute_output_shape(self, input_shape):
        batch, height, width = input_shape[0], input_shape[1], input_shape[2]
        gh = None if height is None else height // self.patch_size
        gw = None if width is None else width // self.patch_size
        if not self.flatten:
            return (batch, gh, gw, self.hidden_size)
        tokens = None if gh is None or gw is None else gh * gw
        return (batch, tokens, self.hidden_size)

    def get_config(self):
        config = super().get_config()
        config.update(patch_size=self.patch_size, hidden_size=self.hidden_size, flatten=self.flatten)
        return config
