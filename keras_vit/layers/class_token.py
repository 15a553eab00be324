import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_vit")
class ClassToken(keras.layers.Layer):
    """Prepends a learned class token (official name `cls`, zeros-initialised).

    Call args:
        inputs: `(batch, tokens, hidden)`.

    Returns:
        `(batch, 1 + tokens, hidden)`.
    """

    def build(self, input_shape):
        self.cls = self.add_weight(name="cls", shape=(1, 1, input_shape[-1]), initializer="zeros")

    def call(self, inputs):
        batch = ops.shape(inputs)[0]
        cls = ops.broadcast_to(ops.cast(self.cls, inputs.dtype), (batch, 1, ops.shape(inputs)[-1]))
        return ops.concatenate([cls, inputs], axis=1)

    def compute_output_shape(self, input_shape):
        tokens = None if input_shape[1] is None else input_shape[1] + 1
        return (input_shape[0], tokens, input_shape[2])
