"""`ClassifierHead`: a Dense that carries its classes' names through get_config and `.keras`."""

import keras
import numpy as np
import pytest

from keras_vit.layers import ClassifierHead


def test_it_computes_what_dense_computes(rng):
    x = rng.standard_normal((2, 4)).astype("float32")
    head = ClassifierHead(3, class_names=["a", "b", "c"], activation="softmax")
    dense = keras.layers.Dense(3, activation="softmax")
    head.build((None, 4))
    dense.build((None, 4))
    dense.set_weights(head.get_weights())
    np.testing.assert_allclose(keras.ops.convert_to_numpy(head(x)), keras.ops.convert_to_numpy(dense(x)), atol=1e-7)
    assert isinstance(head, keras.layers.Dense)


def test_config_round_trip_keeps_the_names():
    head = ClassifierHead(2, class_names=("cat", "dog"), name="head")
    config = head.get_config()
    assert config["class_names"] == ["cat", "dog"]
    again = ClassifierHead.from_config(config)
    assert again.class_names == ("cat", "dog") and again.get_config() == config
    assert ClassifierHead(2).get_config()["class_names"] is None


def test_keras_round_trip_keeps_the_names(tmp_path, rng):
    inputs = keras.Input((4,))
    model = keras.Model(inputs, ClassifierHead(2, class_names=["cat", "dog"], name="head")(inputs))
    model.save(tmp_path / "m.keras")
    restored = keras.saving.load_model(tmp_path / "m.keras")
    assert restored.get_layer("head").class_names == ("cat", "dog")
    x = rng.standard_normal((2, 4)).astype("float32")
    np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-7)


def test_names_must_match_the_classes():
    with pytest.raises(ValueError, match=r"one name per class \(3\). Received: 2 names"):
        ClassifierHead(3, class_names=["a", "b"])
    head = ClassifierHead(3)
    with pytest.raises(ValueError, match=r"one name per class"):
        head.class_names = ["a"]
