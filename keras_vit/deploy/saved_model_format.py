"""TensorFlow SavedModel of a bare Keras model (`model.export(format="tf_saved_model")`), for `convert`.

The TF Serving export with preprocessing and top-k in the graph is `saved_model.export_saved_model`.
Precisions: float32, and bfloat16 as a copy under Keras's `bfloat16` policy (bf16 variables, products in bf16:
oneDNN's AVX-512 BF16 / AMX kernels; the head and LayerNorm's statistics in float32; `dtype_policy.EXPORT_BFLOAT16`).
"""

import os

import keras

from keras_vit.deploy.dtype_policy import EXPORT_BFLOAT16, with_dtype_policy

FILE = "saved_model.pb"
PRECISIONS = ("float32", "bfloat16")


def write(model, directory, precision, calibration=None):
    if precision == "bfloat16":
        model = with_dtype_policy(model, EXPORT_BFLOAT16)
    model.export(directory, format="tf_saved_model", verbose=False)
    return os.path.join(directory, FILE)


class Runtime:
    """The `serving_default` signature of `tf.saved_model.load`; `__call__(x)` → {output name: array}."""

    def __init__(self, directory, precision, threads=None):
        import tensorflow as tf

        self.function = tf.saved_model.load(directory).signatures["serving_default"]
        (self.input_name,) = self.function.structured_input_signature[1]

    def __call__(self, x):
        outputs = self.function(**{self.input_name: keras.ops.convert_to_tensor(x)})
        return {name: value.numpy() for name, value in outputs.items()}
