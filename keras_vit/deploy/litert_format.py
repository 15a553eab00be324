"""LiteRT (TensorFlow Lite, `model.tflite`), written by Keras's own `model.export(format="litert")`.

Precisions: float32, and int8 as dynamic-range quantisation (int8 weights; XNNPack quantises the
activations of each product on the fly, so no calibration data). Full-integer quantisation (activations
int8 throughout, softmax and LayerNorm included) lost the top-1 class on a tiny ViT in our checks, so it is
not offered. LiteRT's CPU kernels have no bf16 path here.
"""

import os

FILE = "model.tflite"
PRECISIONS = ("float32", "int8")


def write(model, directory, precision, calibration=None):
    path = os.path.join(directory, FILE)
    options = {}
    if precision == "int8":
        import tensorflow as tf

        options["optimizations"] = [tf.lite.Optimize.DEFAULT]
    model.export(path, format="litert", verbose=False, **options)
    return path


class Runtime:
    """LiteRT's interpreter through the model's `serving_default` signature; `__call__(x)` → {name: array}."""

    def __init__(self, directory, precision, threads=None):
        from ai_edge_litert.interpreter import Interpreter

        self.interpreter = Interpreter(os.path.join(directory, FILE), num_threads=int(threads) if threads else None)
        self.runner = self.interpreter.get_signature_runner("serving_default")
        (self.input_name,) = self.runner.get_input_details()

    def __call__(self, x):
        # The signature runner resizes its input tensor (and reallocates) when the batch size changes.
        return dict(self.runner(**{self.input_name: x}))
