import os

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


def test_decode_predictions_imagenet_offline(monkeypatch):
    # No download: keras.applications' index is never fetched.
    monkeypatch.setattr(keras.utils, "get_file", lambda *a, **k: pytest.fail("decode_predictions downloaded a file"))
    preds = np.zeros((2, 1000))
    preds[0, [0, 1, 2]] = [0.2, 0.7, 0.1]
    preds[1, [999, 134, 517]] = [0.5, 0.3, 0.2]
    decoded = keras_vit.decode_predictions(preds, top=3)
    assert decoded[0] == [
        ("n01443537", "goldfish", 0.7),
        ("n01440764", "tench", 0.2),
        ("n01484850", "great_white_shark", 0.1),
    ]
    # The last class, and the two classes WordNet calls "crane" (the bird, the machine), told apart by their ids.
    assert decoded[1] == [("n15075141", "toilet_tissue", 0.5), ("n02012849", "crane", 0.3), ("n03126707", "crane", 0.2)]


def test_imagenet_class_names_are_the_1000_in_head_order():
    from keras_vit.preprocessing import imagenet_class_names, imagenet_synsets

    names, synsets = imagenet_class_names(), imagenet_synsets()
    assert len(names) == len(synsets) == len(set(synsets)) == 1000
    assert synsets == tuple(sorted(synsets))  # ILSVRC-2012 orders its classes by WordNet id
    assert (names[207], names[281], names[409]) == ("golden retriever", "tabby", "analog clock")


def _timm_info_file(name):
    """A class-list file of the installed timm (read as text: no torch is imported), or None."""
    import importlib.util

    spec = importlib.util.find_spec("timm")
    if spec is None or spec.origin is None:
        return None
    path = os.path.join(os.path.dirname(spec.origin), "data", "_info", name)
    return path if os.path.exists(path) else None


def test_imagenet21k_class_names_are_the_21843_in_head_order():
    from keras_vit.preprocessing import decode_predictions, imagenet_class_names, imagenet_synsets

    names, synsets = imagenet_class_names(21843), imagenet_synsets(21843)
    assert len(names) == len(synsets) == len(set(synsets)) == 21843
    assert synsets == tuple(sorted(synsets))  # the fall-2011 release orders its classes by WordNet id
    assert set(imagenet_synsets()) - set(synsets) == {"n04399382"}  # ILSVRC's "teddy bear" is not a 21k class
    reference = _timm_info_file("imagenet21k_goog_synsets.txt")
    if reference is not None:  # the order of the official heads, as timm labels them
        with open(reference, encoding="utf-8") as f:
            assert synsets == tuple(line.strip() for line in f if line.strip())
    preds = np.zeros((1, 21843), "float32")
    preds[0, synsets.index("n02084071")] = 1.0  # WordNet's "dog, domestic dog, Canis familiaris"
    assert decode_predictions(preds, top=1) == [[("n02084071", "dog", 1.0)]]


def test_decode_predictions_without_names_needs_an_imagenet_head():
    from keras_vit.preprocessing import decode_predictions

    with pytest.raises(ValueError, match="1000 or 21843"):
        decode_predictions(np.zeros((1, 10)))
