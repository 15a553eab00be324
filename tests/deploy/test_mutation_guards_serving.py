"""The serving wrapper (all formats but SavedModel) against NumPy: pixels / 127.5 - 1, the classifier, softmax
when the head gives logits, and the k best classes, best first; the tie rule of `decode_predictions` and the CPU flags that make int8
native."""

import keras
import numpy as np
import pytest

import keras_vit
from keras_vit.deploy.cpu import FLAGS, native_precisions
from keras_vit.deploy.serving_model import serving_model
from keras_vit.preprocessing import decode_predictions

TINY = dict(image_size=16, patch_size=8, hidden_size=16, depth=1, num_heads=2, mlp_dim=32, classes=7)


def softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


@pytest.mark.parametrize("activation", [None, "softmax"])
def test_serving_model_is_preprocessing_then_probabilities_then_top_k(activation):
    keras.utils.set_random_seed(0)
    model = keras_vit.ViT(classifier_activation=activation, **TINY)
    rng = np.random.default_rng(1)
    for variable in model.get_layer("head").weights:  # a zero head would score every image and class alike
        variable.assign(rng.standard_normal(variable.shape).astype("float32"))
    pixels = np.random.default_rng(0).uniform(0, 255, (3, 16, 16, 3)).astype("float32")
    scores = np.asarray(model.predict(pixels / 127.5 - 1.0, verbose=0), "float64")
    want = softmax(scores) if activation is None else scores
    best_four = -np.sort(-want, axis=-1)[:, :4]
    # No near-ties among the best three (and the fourth): the order the wrapper must give is unambiguous.
    assert np.diff(-best_four, axis=-1).min() > 1e-4
    wrapper = serving_model(model, (16, 16), top_k=3, apply_softmax=activation is None)
    got = {k: np.asarray(v) for k, v in wrapper.predict(pixels, verbose=0).items()}
    np.testing.assert_allclose(got["probabilities"], want, atol=1e-5)
    order = np.argsort(-want, axis=-1)[:, :3]
    np.testing.assert_array_equal(got["top_k_indices"], order)
    np.testing.assert_allclose(got["top_k_scores"], np.take_along_axis(want, order, -1), atol=1e-5)


def test_decode_predictions_breaks_ties_towards_the_lower_class_index():
    preds = np.array([[0.1, 0.3, 0.3, 0.2, 0.3]])
    names = ["a", "b", "c", "d", "e"]
    assert [i for i, _, _ in decode_predictions(preds, top=4, class_names=names)[0]] == [1, 2, 4, 3]


@pytest.mark.parametrize("flag", ["amx_int8", "avx512_vnni", "avx_vnni"])
def test_each_int8_dot_product_flag_makes_int8_native(flag):
    features = {"model_name": "test CPU", "flags": {name: name == flag for name in FLAGS}}
    assert native_precisions(features) == ("float32", "int8")
