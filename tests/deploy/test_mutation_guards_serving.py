"""The serving wrapper (all formats but SavedModel) against NumPy: pixels / 127.5 - 1, the classifier, softmax
when the head gives logits, and the k best classes, best first."""

import numpy as np
import pytest

import keras_vit
from keras_vit.deploy.serving_model import serving_model

TINY = dict(image_size=16, patch_size=8, hidden_size=16, depth=1, num_heads=2, mlp_dim=32, classes=7)


def softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


@pytest.mark.parametrize("activation", [None, "softmax"])
def test_serving_model_is_preprocessing_then_probabilities_then_top_k(activation):
    model = keras_vit.ViT(classifier_activation=activation, **TINY)
    pixels = np.random.default_rng(0).uniform(0, 255, (3, 16, 16, 3)).astype("float32")
    scores = np.asarray(model.predict(pixels / 127.5 - 1.0, verbose=0), "float64")
    want = softmax(scores) if activation is None else scores
    wrapper = serving_model(model, (16, 16), top_k=3, apply_softmax=activation is None)
    got = {k: np.asarray(v) for k, v in wrapper.predict(pixels, verbose=0).items()}
    np.testing.assert_allclose(got["probabilities"], want, atol=1e-5)
    order = np.argsort(-want, axis=-1)[:, :3]
    np.testing.assert_array_equal(got["top_k_indices"], order)
    np.testing.assert_allclose(got["top_k_scores"], np.take_along_axis(want, order, -1), atol=1e-5)
