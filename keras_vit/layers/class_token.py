import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_vit")
class PrefixTokens(keras.layers.Layer):
    """Inserts learned tokens (zeros-initialised) into a token sequence, before the patch tokens.

    One variable per name, `(1, count, hidden)`, in the order given: `{"cls": 1}` is the paper's class token,
    `{"cls": 1, "dist": 1}` DeiT's class and distillation tokens, `{"reg": 4}` (at `position=1`, after the class
    token) timm's register tokens.

    Args:
        tokens: `{variable name: number of tokens}`.
        position: index of the sequence at which they are inserted (0: in front).

    Call args:
        inputs: `(batch, tokens, hidden)`.

    Returns:
        `(batch, sum(counts) + tokens, hidden)`.
    """

    def __init__(self, tokens, position=0, **kwargs):
        super().__init__(**kwargs)
        if not tokens or not all(isinstance(n, int) and n > 0 for n in dict(tokens).values()):
            raise ValueError(
                "`tokens` must map each variable name to a positive token count, e.g. {'cls': 1}. "
                f"Received: tokens={tokens!r}"
            )
        self.tokens = dict(tokens)
        self.position = position

    @property
    def num_tokens(self):
        return sum(self.tokens.values())

    def build(self, input_shape):
        for name, count in self.tokens.items():
            setattr(self, name, self.add_weight(name=name, shape=(1, count, input_shape[-1]), initializer="zeros"))

    def call(self, inputs):
        batch, hidden = ops.shape(inputs)[0], ops.shape(inputs)[-1]
        learned = [ops.cast(getattr(self, name), inputs.dtype) for name in self.tokens]
        learned = ops.broadcast_to(ops.concatenate(learned, axis=1), (batch, self.num_tokens, hidden))
        if self.position == 0:  # no empty slice in the graph: LiteRT's XNNPack cannot reshape one for a new batch
            return ops.concatenate([learned, inputs], axis=1)
        before, after = inputs[:, : self.position], inputs[:, self.position :]
        return ops.concatenate([before, learned, after], axis=1)

    def compute_output_shape(self, input_shape):
        tokens = None if input_shape[1] is None else input_shape[1] + self.num_tokens
        return (input_shape[0], tokens, input_shape[2])

    def get_config(self):
        config = super().get_config()
        config.update(tokens=self.tokens, position=self.position)
        return config


@keras.saving.register_keras_serializable(package="keras_vit")
class ClassToken(PrefixTokens):
    """Prepends the paper's learned class token (official name `cls`, zeros-initialised): `PrefixTokens({"cls": 1})`.

    A class of its own because Keras stores a layer's weights under its class name: `.keras` and `.weights.h5`
    files of the paper's models keep `class_token/vars/0`.
    """

    def __init__(self, **kwargs):
        super().__init__({"cls": 1}, **kwargs)

    def get_config(self):
        config = super().get_config()
        del config["tokens"], config["position"]
        return config


def prefix_token_layer(tokens, position=0, name="cls"):
    """The layer that inserts `tokens` (`{name: count}`): `ClassToken` for the paper's single class token."""
    if dict(tokens) == {"cls": 1} and position == 0:
        return ClassToken(name=name)
    return PrefixTokens(tokens, position, name=name)
