"""`PixelNormalization` against its closed form (pixels in [0, 255] → / 255 → (· - mean) / std, timm's and
transformers' transforms), its `.keras` round trip, bad statistics, and which models start with it."""

import keras
import numpy as np
import pytest

import keras_vit
from keras_vit.layers import PixelNormalization

IMAGENET_MEAN, IMAGENET_STD = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
TINY = dict(patch_size=8, hidden_size=16, depth=1, num_heads=2, mlp_dim=32, image_size=16, classes=3)


def test_preprocessed_pixels_become_the_checkpoints_statistics():
    pixels = np.random.default_rng(0).integers(0, 256, (2, 4, 4, 3)).astype("float32")
    want = (pixels / 255.0 - IMAGENET_MEAN) / IMAGENET_STD  # what timm's transforms give a DeiT
    layer = PixelNormalization(IMAGENET_MEAN.tolist(), IMAGENET_STD.tolist())
    got = keras.ops.convert_to_numpy(layer(keras_vit.preprocess_input(pixels)))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_keras_round_trip(tmp_path):
    inputs = keras.Input((4, 4, 3))
    model = keras.Model(inputs, PixelNormalization((0.1, 0.2, 0.3), (0.4, 0.5, 0.6))(inputs))
    model.save(tmp_path / "m.keras")
    restored = keras.saving.load_model(tmp_path / "m.keras")
    x = np.random.default_rng(1).uniform(-1, 1, (1, 4, 4, 3)).astype("float32")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(restored(x)), keras.ops.convert_to_numpy(model(x)))
    assert restored.layers[-1].get_config()["std"] == [0.4, 0.5, 0.6]


@pytest.mark.parametrize("pixels", ["imagenet21k", ((0.5, 0.5), (0.5, 0.5)), ((0.5,) * 3, (0.5, 0.0, 0.5)), 3])
def test_bad_statistics_are_named(pixels):
    with pytest.raises(ValueError, match="pixels"):
        keras_vit.ViT(pixels=pixels, **TINY)


def test_deit_models_start_with_imagenet_statistics_and_vits_with_none():
    deit = keras_vit.build_deit(**TINY)
    assert deit.layers[1].name == "pixels" and deit.get_layer("pixels").mean == tuple(IMAGENET_MEAN)
    assert "pixels" not in [layer.name for layer in keras_vit.ViT(**TINY).layers]  # official layer names kept
    assert "pixels" not in [layer.name for layer in keras_vit.build_deit(pixels="inception", **TINY).layers]
    custom = keras_vit.ViT(pixels=((0.4, 0.4, 0.4), (0.2, 0.2, 0.2)), **TINY)
    assert custom.get_layer("pixels").std == (0.2, 0.2, 0.2)
