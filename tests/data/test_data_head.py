import numpy as np
import pytest

from keras_vit.data import Data


def _data(rng, val=True):
    split = lambda n: (rng.integers(0, 256, (n, 4, 4, 1), dtype=np.uint8), rng.integers(0, 3, n))  # noqa: E731
    return Data(
        train=split(10),
        val=split(6) if val else None,
        test=split(8),
        num_classes=3,
        image_shape=(4, 4, 1),
        class_names=("a", "b", "c"),
        description="toy: 10 train, 6 val, 8 test",
    )


def test_head_keeps_the_first_examples_of_the_named_splits_only(rng):
    data = _data(rng)
    cut = data.head(train=3, test=5)
    for kept, full, count in ((cut.train, data.train, 3), (cut.test, data.test, 5)):
        assert len(kept) == 2 and all(len(array) == count for array in kept)
        np.testing.assert_array_equal(kept[0], full[0][:count])
        np.testing.assert_array_equal(kept[1], full[1][:count])
    assert cut.val is data.val  # not named: untouched
    assert cut.description == "toy: 10 train, 6 val, 8 test; cut to the first 3 train, 5 test"
    assert (cut.num_classes, cut.class_names, cut.image_shape) == (3, ("a", "b", "c"), (4, 4, 1))
    assert len(data.train[0]) == 10  # the original is not changed
    assert data.head() is data


def test_head_takes_from_tf_data_splits(rng):
    tf = pytest.importorskip("tensorflow")
    data = _data(rng)
    images, labels = data.train
    data.train = tf.data.Dataset.from_tensor_slices((images, labels))
    taken = [label for _, label in data.head(train=4).train.as_numpy_iterator()]
    np.testing.assert_array_equal(taken, labels[:4])


@pytest.mark.parametrize("count", [0, -2, 2.5, True, "3"])
def test_head_rejects_counts_that_are_not_positive_whole_numbers(rng, count):
    with pytest.raises(ValueError, match=r"`train` must be a whole number of examples, 1 or more"):
        _data(rng).head(train=count)


def test_head_of_a_missing_split_says_how_to_get_one(rng):
    with pytest.raises(ValueError, match="no val split.*val_size > 0"):
        _data(rng, val=False).head(val=2)
