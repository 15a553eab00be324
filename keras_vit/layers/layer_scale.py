import keras


@keras.saving.register_keras_serializable(package="keras_vit")
class LayerScale(keras.layers.Layer):
    """Multiplies each channel by a learned scale: `x * scale` (CaiT, Touvron et al. 2021, arXiv 2103.17239).

    DeiT III (arXiv 2204.07118) scales each residual branch of its blocks so (timm's `ls1.gamma`, `ls2.gamma`).

    Args:
        init_value: the value every channel's scale starts at (DeiT III: 1e-6; timm's default 1e-5).

    Call args:
        inputs: `(..., channels)`.

    Returns:
        The same shape.
    """

    def __init__(self, init_value=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.init_value = init_value

    def build(self, input_shape):
        self.scale = self.add_weight(
            name="scale", shape=(input_shape[-1],), initializer=keras.initializers.Constant(self.init_value)
        )

    def call(self, inputs):
        return inputs * keras.ops.cast(self.scale, inputs.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(init_value=self.init_value)
        return config
