import numpy as np
import pytest

pytestmark = pytest.mark.tf_only

tf = pytest.importorskip("tensorflow")
import keras  # noqa: E402

from keras_vit import preprocess_input  # noqa: E402
from keras_vit.data.pipeline import make_dataset  # noqa: E402


def _grey(rng, n=8, size=12):
    return rng.integers(0, 256, (n, size, size), dtype=np.uint8), np.arange(n) % 3


def _first(ds):
    return next(iter(ds.as_numpy_iterator()))


def test_eval_pipeline_equals_preprocess_input(rng):
    images, labels = _grey(rng)
    x, y = _first(make_dataset((images, labels), image_size=12, num_classes=3, batch_size=8))
    expected = preprocess_input(np.repeat(images[..., None], 3, axis=-1))
    np.testing.assert_allclose(x, expected, atol=1e-6)
    np.testing.assert_array_equal(y, np.eye(3)[labels])


def test_resize_to_model_resolution(rng):
    images, labels = _grey(rng)
    x, _ = _first(make_dataset((images, labels), image_size=(20, 24), num_classes=3, batch_size=8))
    assert x.shape == (8, 20, 24, 3)
    # Resizing is linear with weights summing to 1, so it commutes with x / 127.5 - 1.
    rgb = np.repeat(images[..., None], 3, axis=-1).astype("float32")
    expected = preprocess_input(keras.ops.convert_to_numpy(keras.ops.image.resize(rgb, (20, 24))))
    np.testing.assert_allclose(x, expected, atol=1e-4)


def test_rgb_images_keep_their_channels(rng):
    images = rng.integers(0, 256, (4, 8, 8, 3), dtype=np.uint8)
    x, _ = _first(make_dataset((images, np.zeros(4)), image_size=8, num_classes=2, batch_size=4))
    np.testing.assert_allclose(x, preprocess_input(images), atol=1e-6)


def test_training_shuffle_is_seeded_and_reshuffles(rng):
    images = np.arange(16, dtype=np.uint8)[:, None, None].repeat(4, 1).repeat(4, 2)
    labels = np.zeros(16, int)

    def order(seed):
        ds = make_dataset((images, labels), image_size=4, num_classes=1, batch_size=16, training=True, seed=seed)
        it = iter(ds.as_numpy_iterator())
        return [tuple(np.round((next(it)[0][:, 0, 0, 0] + 1) * 127.5).astype(int)) for _ in range(2)]

    first, again, other = order(0), order(0), order(1)
    assert first == again  # seeded
    assert first[0] != first[1]  # reshuffled each epoch
    assert first != other
    assert sorted(first[0]) == list(range(16))  # a permutation: nothing lost, nothing repeated


def test_crop_and_flip_are_shifts_and_mirrors(rng):
    images = rng.integers(1, 256, (16, 16, 16), dtype=np.uint8)
    ds = make_dataset(
        (images, np.arange(16)), image_size=16, num_classes=16, batch_size=16, training=True, augment=("crop", "flip")
    )
    x, y = _first(ds)
    out = np.round((x[..., 0] + 1) * 127.5).astype(int)
    pad = 16 // 8
    shifted = 0
    for image, label in zip(out, y.argmax(1)):
        source = np.pad(images[label].astype(int), pad)
        found = False
        for candidate in (image, image[:, ::-1]):
            for dy in range(2 * pad + 1):
                for dx in range(2 * pad + 1):
                    if np.array_equal(candidate, source[dy : dy + 16, dx : dx + 16]):
                        found = True
                        shifted += (dy, dx) != (pad, pad)
        assert found, "each augmented image is a padded crop of its source, maybe mirrored"
    assert shifted > 0


def test_mixup_labels_are_convex_combinations(rng):
    images, labels = _grey(rng, n=16)
    ds = make_dataset(
        (images, labels), image_size=12, num_classes=3, batch_size=16, training=True, mixup_alpha=0.4, seed=1
    )
    x, y = _first(ds)
    np.testing.assert_allclose(y.sum(1), 1.0, atol=1e-5)
    assert (y >= -1e-6).all() and (y.max(1) < 1 - 1e-4).any()
    assert x.min() >= -1 - 1e-5 and x.max() <= 1 + 1e-5


@pytest.mark.parametrize("augment", [("randaugment",), ("inception_crop", "flip")])
def test_other_augmentations_keep_shape_and_range(rng, augment):
    images = rng.integers(0, 256, (8, 16, 16, 3), dtype=np.uint8)
    ds = make_dataset((images, np.zeros(8)), image_size=24, num_classes=2, batch_size=8, training=True, augment=augment)
    x, _ = _first(ds)
    assert x.shape == (8, 24, 24, 3)
    assert x.min() >= -1 - 1e-4 and x.max() <= 1 + 1e-4


def test_bad_arguments(rng):
    images, labels = _grey(rng)
    with pytest.raises(ValueError, match="Unknown augmentation.*Received: augment=\\('rotate',\\)"):
        make_dataset((images, labels), image_size=12, num_classes=3, batch_size=4, augment=("rotate",))
    with pytest.raises(ValueError, match="equally many.*Received: 8 images and 3 labels"):
        make_dataset((images, labels[:3]), image_size=12, num_classes=3, batch_size=4)
