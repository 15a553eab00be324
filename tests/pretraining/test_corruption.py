"""PatchCorruption: exact counts, what each mode does to a token, and its randomness."""

import keras
import numpy as np
import pytest

from keras_vit.pretraining import INTACT, KEPT, MASKED, REPLACED, PatchCorruption, corruption_counts


def test_counts_follow_the_paper_split():
    # 50 % of 16 = 8 corrupted: 80 % → 6.4 → 6 masked, 10 % → 0.8 → 1 replaced, the rest (1) kept.
    assert corruption_counts(16, 0.5, 0.8, 0.1) == (6, 1, 1)
    # ViT-B/16 at 224 px: 196 patches, 98 corrupted: 78 masked, 10 replaced, 10 kept.
    assert corruption_counts(196, 0.5, 0.8, 0.1) == (78, 10, 10)
    assert corruption_counts(10, 0.0, 0.8, 0.1) == (0, 0, 0)


def _run(layer, tokens):
    out, mode = layer(tokens)
    return keras.ops.convert_to_numpy(out), keras.ops.convert_to_numpy(mode)


def test_each_mode_does_what_it_says(rng):
    tokens = rng.standard_normal((8, 49, 6)).astype("float32")
    layer = PatchCorruption(seed=3)
    out, mode = _run(layer, tokens)
    mask = keras.ops.convert_to_numpy(layer.mask_embedding)
    masked, replaced, kept = corruption_counts(49, 0.5, 0.8, 0.1)
    for i in range(8):
        assert [(mode[i] == m).sum() for m in (MASKED, REPLACED, KEPT)] == [masked, replaced, kept]
        assert (mode[i] == INTACT).sum() == 49 - masked - replaced - kept
        for j in range(49):
            if mode[i, j] == MASKED:
                np.testing.assert_array_equal(out[i, j], mask)
            elif mode[i, j] == REPLACED:
                # Another patch of the same image (the random tokens are all distinct).
                sources = [k for k in range(49) if np.array_equal(out[i, j], tokens[i, k])]
                assert len(sources) == 1 and sources[0] != j
            else:
                np.testing.assert_array_equal(out[i, j], tokens[i, j])


def test_positions_are_uniform_and_seeded():
    tokens = np.zeros((4000, 16, 4), "float32")
    _, mode = _run(PatchCorruption(seed=0), tokens)
    # Each position is corrupted in half of the images (binomial std 0.008 for 4000 draws).
    np.testing.assert_allclose((mode != INTACT).mean(axis=0), 0.5, atol=0.04)
    np.testing.assert_allclose((mode == MASKED).mean(axis=0), 6 / 16, atol=0.04)
    _, again = _run(PatchCorruption(seed=0), tokens[:10])
    _, same_seed = _run(PatchCorruption(seed=0), tokens[:10])
    np.testing.assert_array_equal(again, same_seed)


def test_config_and_errors():
    layer = PatchCorruption(0.4, 0.7, 0.2, seed=5, name="c")
    assert PatchCorruption.from_config(layer.get_config()).get_config() == layer.get_config()
    with pytest.raises(ValueError, match="corrupt_rate"):
        PatchCorruption(corrupt_rate=1.5)
    with pytest.raises(ValueError, match="mask_rate \\+ random_rate"):
        PatchCorruption(mask_rate=0.8, random_rate=0.3)
