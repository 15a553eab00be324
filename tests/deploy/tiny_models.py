"""The tiny classifier the export tests serve, and the references they compare with."""

import keras
import numpy as np
import pytest

import keras_vit

BACKEND = keras.backend.backend()
NAMES = ["cat", "dog", "café", "ship", "truck"]
TINY = dict(patch_size=8, hidden_size=32, depth=2, num_heads=4, mlp_dim=64, classes=5)


def tf_only(fn):
    skip = pytest.mark.skipif(BACKEND != "tensorflow", reason="SavedModel export needs the TensorFlow backend")
    return pytest.mark.tf_only(skip(fn))


def tiny_vit(seed, image_size=32, **kwargs):
    """A tiny ViT with a random head (the real head is zero-initialised: all classes would tie)."""
    keras.utils.set_random_seed(seed)
    model = keras_vit.ViT(image_size=image_size, **{**TINY, **kwargs})
    head = model.get_layer("head")
    rng = np.random.default_rng(seed)
    head.kernel.assign(rng.normal(0, 0.5, head.kernel.shape).astype("float32"))
    head.bias.assign(rng.normal(0, 0.5, head.bias.shape).astype("float32"))
    return model


def keras_outputs(model, pixels):
    """The Keras model's outputs for raw [0, 255] pixels, called eagerly (no XLA)."""
    return keras.ops.convert_to_numpy(model(keras_vit.preprocess_input(pixels.astype("float32")), training=False))


def softmax(z):
    z = z - z.max(-1, keepdims=True)
    return np.exp(z) / np.exp(z).sum(-1, keepdims=True)
