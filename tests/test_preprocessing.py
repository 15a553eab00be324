import keras
import numpy as np
import pytest

import keras_vit


def test_preprocess_input_matches_keras_applications_tf_mode():
    images = np.random.default_rng(0).integers(0, 256, (2, 8, 8, 3), dtype="uint8")
    want = keras.applications.imagenet_utils.preprocess_input(images.astype("float32"), mode="tf")
    np.testing.assert_allclose(keras_vit.preprocess_input(images), want, atol=1e-6)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(keras_vit.preprocess_input(keras.ops.convert_to_tensor(images))), want, atol=1e-6
    )
    assert keras_vit.preprocess_input(np.array([0, 255], "uint8")).tolist() == [-1.0, 1.0]


def test_preprocess_input_rejects_channels_first():
    with pytest.raises(ValueError, match="Received: data_format='channels_first'"):
        keras_vit.preprocess_input(np.zeros((1, 3, 8, 8)), data_format="channels_first")


def test_decode_predictions_with_class_names():
    preds = np.array([[0.1, 0.7, 0.2], [0.5, 0.2, 0.3]])
    decoded = keras_vit.decode_predictions(preds, top=2, class_names=["a", "b", "c"])
    assert decoded == [[(1, "b", 0.7), (2, "c", 0.2)], [(0, "a", 0.5), (2, "c", 0.3)]]


@pytest.mark.parametrize(
    "preds,names,match",
    [
        (np.zeros((1, 3)), None, "Without `class_names`"),
        (np.zeros((1, 3)), ["a"], "one name per class"),
        (np.zeros(3), ["a", "b", "c"], "must be \\(batch, classes\\)"),
    ],
)
def test_decode_predictions_errors(preds, names, match):
    with pytest.raises(ValueError, match=match):
        keras_vit.decode_predictions(preds, class_names=names)
