"""The FLOP counter against hand-computed values and the published ViT-B/16 figure."""

import pytest

import keras_vit
from keras_vit.models.flops import count_flops, count_macs


def test_tiny_vit_by_hand():
    model = keras_vit.ViT(image_size=32, patch_size=8, hidden_size=32, depth=2, num_heads=4, mlp_dim=64, classes=10)
    tokens, hidden = 17, 32
    embedding = 16 * (8 * 8 * 3) * hidden
    block = 4 * tokens * hidden**2 + 2 * tokens**2 * hidden + 2 * tokens * hidden * 64
    head = hidden * 10
    total, per_layer = count_macs(model, by_layer=True)
    assert per_layer["embedding"] == embedding
    assert per_layer["encoderblock_0"] == block
    assert total == embedding + 2 * block + head
    assert count_flops(model) == 2 * total


def test_vit_b16_matches_the_published_17_6_gmacs():
    assert count_macs(keras_vit.ViTB16()) / 1e9 == pytest.approx(17.6, abs=0.05)


def test_dynamic_models_are_refused():
    model = keras_vit.ViT(
        image_size=32, patch_size=8, hidden_size=32, depth=1, num_heads=4, mlp_dim=64, dynamic_image_size=True
    )
    with pytest.raises(ValueError, match="fixed image size"):
        count_macs(model)
