"""The serving wrapper for the runtimes that take a Keras model as it is (OpenVINO, ONNX, LiteRT).

The same contract as the SavedModel's `serving_default`, in Keras layers so that every format's converter
sees one graph: raw pixels in [0, 255] (float32 or uint8, `(batch, height, width, 3)` at the model's
resolution) → `preprocess_input` → the model → softmax (when the head gives logits) → top-k. Outputs
`probabilities`, `top_k_scores`, `top_k_indices` by name. Class names (strings) cannot be a tensor in
these formats: they travel in the export's `metadata.json`. Backend-neutral (`keras.ops`).
"""

import keras
from keras import ops

from keras_vit.preprocessing import preprocess_input

INPUT_DTYPES = {"float": "float32", "uint8": "uint8"}
OUTPUT_NAMES = ("probabilities", "top_k_scores", "top_k_indices")


@keras.saving.register_keras_serializable(package="keras_vit")
class ScalePixels(keras.layers.Layer):
    """Raw pixels in [0, 255] (any dtype) → float32 in [-1, 1], the official ViT normalisation."""

    def call(self, pixels):
        return preprocess_input(pixels)

    def compute_output_spec(self, pixels):
        return keras.KerasTensor(pixels.shape, dtype="float32")


@keras.saving.register_keras_serializable(package="keras_vit")
class TopK(keras.layers.Layer):
    """The `k` largest scores of each row and their class indices (int32), highest first."""

    def __init__(self, k, **kwargs):
        super().__init__(**kwargs)
        self.k = k

    def call(self, scores):
        values, indices = ops.top_k(scores, k=self.k)
        return values, ops.cast(indices, "int32")

    def compute_output_spec(self, scores):
        shape = (*scores.shape[:-1], self.k)
        return keras.KerasTensor(shape, dtype=scores.dtype), keras.KerasTensor(shape, dtype="int32")

    def get_config(self):
        return {**super().get_config(), "k": self.k}


def serving_model(model, size, input="float", top_k=5, apply_softmax=True):
    """`model` (a classifier, `(batch, *size, 3)` → scores) wrapped as the serving contract above.

    Args:
        model: the classifier; its own dtype policy is kept (the outputs are float32).
        size: (height, width) the clients send.
        input: "float" or "uint8" pixels in [0, 255].
        top_k: how many classes `top_k_*` return (at most the number of classes).
        apply_softmax: True when the head outputs logits.
    """
    if input not in INPUT_DTYPES:
        raise ValueError(
            f"`input` must be one of {tuple(INPUT_DTYPES)} for this format (encoded image bytes are a SavedModel "
            f"input: use format='saved_model'). Received: input={input!r}"
        )
    pixels = keras.Input((*size, 3), dtype=INPUT_DTYPES[input], name="images")
    scores = ops.cast(model(ScalePixels(name="scale_pixels")(pixels)), "float32")
    if apply_softmax:
        scores = keras.layers.Softmax(name="softmax", dtype="float32")(scores)
    top_scores, top_indices = TopK(top_k, name="top_k", dtype="float32")(scores)
    outputs = dict(zip(OUTPUT_NAMES, (scores, top_scores, top_indices), strict=True))
    return keras.Model(pixels, outputs, name=f"{model.name}_serving")
