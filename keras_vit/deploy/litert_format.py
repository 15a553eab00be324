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
    """LiteRT's interpreter through the model's `serving_default` signature; `__call__(x)` → {name: array}.

    One interpreter per batch size: XNNPack's delegate cannot reshape a ViT-S/16's graph for a new batch size
    once prepared ("failed to reshape runtimeNode"), so each size gets its own, allocated once.
    """

    def __init__(self, directory, precision, threads=None):
        self.path = os.path.join(directory, FILE)
        self.threads = int(threads) if threads else None
        self.runners = {}

    def _runner(self, shape):
        from ai_edge_litert.interpreter import Interpreter

        if shape not in self.runners:
            interpreter = Interpreter(self.path, num_threads=self.threads)
            (name,) = interpreter.get_signature_list()["serving_default"]["inputs"]
            interpreter.resize_tensor_input(interpreter.get_input_details()[0]["index"], shape)
            interpreter.allocate_tensors()
            self.runners[shape] = (interpreter, interpreter.get_signature_runner("serving_default"), name)
        return self.runners[shape]

    def __call__(self, x):
        _, runner, name = self._runner(tuple(x.shape))
        return dict(runner(**{name: x}))
