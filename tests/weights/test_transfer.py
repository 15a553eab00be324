"""transfer_weights: an encoder's layers into a classifier, strictly, with the posemb resampled."""

import keras
import numpy as np
import pytest

import keras_vit
from keras_vit.weights.posemb import resample_posemb
from keras_vit.weights.transfer import transfer_weights

TINY = dict(patch_size=4, hidden_size=32, depth=2, num_heads=2, mlp_dim=64)


def _randomise(model, rng):
    for variable in model.weights:
        variable.assign(rng.standard_normal(variable.shape).astype("float32") * 0.2)


def test_classifier_starts_from_the_encoder(rng):
    source = keras_vit.ViT(image_size=16, include_top=False, **TINY)
    _randomise(source, rng)
    target = keras_vit.ViT(image_size=16, classes=5, classifier_activation=None, **TINY)
    head_before = [w.copy() for w in target.get_layer("head").get_weights()]
    copied = transfer_weights(source, target)
    assert set(copied) == {"embedding", "cls", "posembed_input", "encoderblock_0", "encoderblock_1", "encoder_norm"}
    images = rng.uniform(-1, 1, (2, 16, 16, 3)).astype("float32")
    tokens = keras.Model(target.input, target.get_layer("encoder_norm").output)(images)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(tokens), keras.ops.convert_to_numpy(source(images)), atol=1e-5
    )
    for before, after in zip(head_before, target.get_layer("head").get_weights(), strict=True):
        np.testing.assert_array_equal(before, after)


def test_posemb_is_resampled_to_the_target_grid(rng):
    source = keras_vit.ViT(image_size=16, include_top=False, **TINY)
    _randomise(source, rng)
    target = keras_vit.ViT(image_size=32, include_top=False, **TINY)
    transfer_weights(source, target)
    expected = resample_posemb(source.get_layer("posembed_input").get_weights()[0], 1, (8, 8))
    np.testing.assert_allclose(target.get_layer("posembed_input").get_weights()[0], expected, atol=1e-6)


def test_every_mismatch_is_reported_at_once():
    source = keras_vit.ViT(image_size=16, include_top=False, **TINY)
    deeper_wider = keras_vit.ViT(image_size=16, **dict(TINY, depth=3, hidden_size=48))
    with pytest.raises(ValueError) as error:
        transfer_weights(source, deeper_wider)
    message = str(error.value)
    assert "missing in the source: ['encoderblock_2']" in message
    assert "mis-shaped" in message and "embedding" in message and "encoder_norm" in message
    shallower = keras_vit.ViT(image_size=16, **dict(TINY, depth=1))
    with pytest.raises(ValueError, match=r"unexpected in the source: \['encoderblock_1'\]"):
        transfer_weights(source, shallower)
