"""`.weights.h5` / `.keras` weights, and `keras-vit convert` from the official layout."""

import keras
import numpy as np
import reference

import keras_vit
from keras_vit.cli import main

TINY = dict(hidden_size=32, depth=2, num_heads=4, mlp_dim=64, patch_size=8)


def test_convert_then_load_weights_h5_and_keras(tmp_path):
    params = reference.random_checkpoint(representation_size=16)
    np.savez(tmp_path / "ckpt.npz", **params)
    x = np.random.default_rng(0).uniform(-1, 1, (2, 32, 32, 3)).astype("float32")
    want = reference.forward(params, x, heads=4)
    h5 = str(tmp_path / "out.weights.h5")
    assert main(["convert", str(tmp_path / "ckpt.npz"), h5]) == 0
    model = keras_vit.ViT(
        image_size=32, representation_size=16, classes=10, weights=h5, classifier_activation=None, **TINY
    )
    np.testing.assert_allclose(model.predict(x, verbose=0), want, atol=1e-4)
    whole = str(tmp_path / "out.keras")
    main(["convert", str(tmp_path / "ckpt.npz"), whole])
    restored = keras.saving.load_model(whole)
    probabilities = restored.predict(x, verbose=0)
    np.testing.assert_allclose(probabilities, keras.ops.convert_to_numpy(keras.ops.softmax(want)), atol=1e-5)
