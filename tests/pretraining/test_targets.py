"""Mean-colour targets against a loop over patches written from the paper's definition."""

import keras
import numpy as np
import pytest

from keras_vit.pretraining import MeanColourTargets, mean_colour_targets, num_target_classes


def reference_targets(images, patch, bits, low=-1.0, high=1.0):
    n, h, w, c = images.shape
    levels = 2**bits
    out = np.zeros((n, (h // patch) * (w // patch)), "int64")
    for i in range(n):
        for r in range(h // patch):
            for q in range(w // patch):
                colour = images[i, r * patch : (r + 1) * patch, q * patch : (q + 1) * patch].mean(axis=(0, 1))
                digits = [min(int(np.floor((m - low) / (high - low) * levels)), levels - 1) for m in colour]
                out[i, r * (w // patch) + q] = sum(d * levels ** (c - 1 - k) for k, d in enumerate(digits))
    return out


@pytest.mark.parametrize("bits,patch", [(3, 4), (2, 2), (1, 8)])
def test_targets_match_reference(rng, bits, patch):
    images = rng.uniform(-1, 1, (3, 16, 16, 3)).astype("float32")
    got = keras.ops.convert_to_numpy(mean_colour_targets(images, patch, bits))
    np.testing.assert_array_equal(got, reference_targets(images.astype("float64"), patch, bits))


def test_hand_computed_colours():
    # One image of four 2×2 patches: black, white, pure red, and a patch whose mean sits just above a bin edge.
    image = np.full((1, 4, 4, 3), -1.0, "float32")
    image[0, 0:2, 2:4] = 1.0
    image[0, 2:4, 0:2, 0] = 1.0
    image[0, 2:4, 2:4] = -0.74  # bin 1 of 8 starts at -0.75
    got = keras.ops.convert_to_numpy(mean_colour_targets(image, 2, bits=3))
    assert got.tolist() == [[0, 511, 7 * 64, 1 * 64 + 1 * 8 + 1]]
    assert num_target_classes(3, 3) == 512 and num_target_classes(3, 1) == 8


def test_grey_images_use_the_diagonal_classes(rng):
    grey = np.repeat(rng.uniform(-1, 1, (2, 8, 8, 1)), 3, axis=-1).astype("float32")
    got = keras.ops.convert_to_numpy(mean_colour_targets(grey, 4))
    assert set(np.unique(got % 73)) == {0} and got.max() <= 511


def test_layer_config_and_errors():
    layer = MeanColourTargets(4, bits=2, value_range=(0.0, 1.0), name="t")
    assert MeanColourTargets.from_config(layer.get_config()).get_config() == layer.get_config()
    with pytest.raises(ValueError, match="bits"):
        MeanColourTargets(4, bits=0)
    with pytest.raises(ValueError, match="value_range"):
        MeanColourTargets(4, value_range=(1.0, -1.0))
