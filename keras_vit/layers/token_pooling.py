import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_vit")
class TokenPooling(keras.layers.Layer):
    """Reduces `(batch, tokens, hidden)` to `(batch, hidden)`.

    Args:
        mode: "token" takes the prefix token at `index` (0: the class token); "avg" averages the patch tokens
            (official "gap").
        num_prefix_tokens: tokens before the patches (class, distillation, register tokens), left out of the
            average.
        index: the token "token" takes (1: DeiT's distillation token).
    """

    def __init__(self, mode="token", num_prefix_tokens=1, index=0, **kwargs):
        super().__init__(**kwargs)
        if mode not in ("token", "avg"):
            raise ValueError(f"`mode` must be 'token' or 'avg'. Received: mode={mode!r}")
        if mode == "token" and not 0 <= index < num_prefix_tokens:
            raise ValueError(
                "mode='token' pools a prefix token: `index` must be below `num_prefix_tokens` (a model without "
                f"prefix tokens pools with mode='avg'). Received: index={index}, num_prefix_tokens={num_prefix_tokens}"
            )
        self.mode = mode
        self.num_prefix_tokens = num_prefix_tokens
        self.index = index

    def call(self, inputs):
        if self.mode == "token":
            return inputs[:, self.index]
        return ops.mean(inputs[:, self.num_prefix_tokens :], axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1])

    def get_config(self):
        config = super().get_config()
        config.update(mode=self.mode, num_prefix_tokens=self.num_prefix_tokens, index=self.index)
        return config
