"""vit-keras (faustomorales/vit-keras 0.2.0, Keras 3 port): `build_model` + its own `.npz` loader.

Its MLP uses exact GELU inside a `Lambda` layer; `set_tanh_gelu` swaps the Lambda's function for the
parity check. Its `utils` module imports OpenCV (`cv2`) at import time.
"""

import keras

from keras_vit.bench.runners.keras_common import KerasRunner


def _exact(x):
    return keras.activations.gelu(x, approximate=False)


def _tanh(x):
    return keras.activations.gelu(x, approximate=True)


class Runner(KerasRunner):
    """Options: `xla` (TensorFlow only)."""

    def build(self, item):
        from vit_keras import utils, vit

        model = item["model"]
        size, patch = model["image_size"], model["patch_size"]
        net = vit.build_model(
            image_size=size,
            patch_size=patch,
            num_layers=model["depth"],
            hidden_size=model["hidden_size"],
            num_heads=model["num_heads"],
            name="vit_keras",
            mlp_dim=model["mlp_dim"],
            classes=model["classes"],
            dropout=0.0,
            activation="linear",
        )
        utils.load_weights_numpy(
            net, item["weights"], pretrained_top=True, num_x_patches=size // patch, num_y_patches=size // patch
        )
        return net

    def set_tanh_gelu(self, model, enabled):
        for layer in model.layers:
            if layer.name.startswith("Transformer_encoderblock_"):
                for sub in layer.mlpblock.layers:
                    if isinstance(sub, keras.layers.Lambda):
                        sub.function = _tanh if enabled else _exact
