"""The small models of `recipes.MODELS` (the `--model` names for 28-px images) and the convolutional stem."""

import math

import keras
import numpy as np
import pytest

from keras_vit.models.conv_stem import conv_stem_vit
from keras_vit.models.hybrid import ViTHybrid
from keras_vit.training.model_source import build_model
from keras_vit.training.recipes import MODELS, TrainConfig

# A tiny Transformer under the stems of the conv-stem tests.
TINY = dict(hidden_size=8, depth=1, num_heads=2, mlp_dim=16, classes=3)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_small_model_builds_for_28px_grey_as_rgb(name):
    model = build_model(TrainConfig(model=name), num_classes=10)
    assert model.input_shape == (None, 28, 28, 3) and model.output_shape == (None, 10)
    build, kwargs = MODELS[name]
    if "patch_size" not in kwargs:  # a CNN (the BiT baseline): no tokens, no position embedding
        assert not any(layer.name == "posembed_input" for layer in model.layers)
        return
    posemb = model.get_layer("posembed_input").pos_embedding
    # Tokens: the 28-px image over (stem stride × patch size); the ResNet root is conv /2 and max-pool /2.
    stride = 4 if build is ViTHybrid else math.prod(s for _, s in kwargs.get("stem_convs", ()))
    assert posemb.shape == (1, (28 // (stride * kwargs["patch_size"])) ** 2, kwargs["hidden_size"])


def test_conv_stem_computes_convolutions_then_patches():
    model = conv_stem_vit(stem_convs=((4, 2), (6, 1)), image_size=8, patch_size=2, classifier="gap", **TINY)
    assert model.get_layer("stem_conv0").strides == (2, 2) and model.get_layer("stem_conv1").strides == (1, 1)
    assert model.get_layer("posembed_input").pos_embedding.shape == (1, 4, 8)  # 8 px / 2 / 2 → 2×2 tokens
    # The patch embedding reads the stem's ReLU map: check it against NumPy convolutions.
    x = np.random.default_rng(0).normal(size=(2, 8, 8, 3)).astype("float32")
    tokens = keras.Model(model.inputs[0], model.get_layer("embedding").output)(x)

    def conv_same(x, kernel, bias, stride):
        kh = kernel.shape[0]
        pad_total = max(kh - stride, 0) if x.shape[1] % stride == 0 else max(kh - x.shape[1] % stride, 0)
        lo = pad_total // 2
        xp = np.pad(x, ((0, 0), (lo, pad_total - lo), (lo, pad_total - lo), (0, 0)))
        out_hw = -(-x.shape[1] // stride)
        out = np.zeros((x.shape[0], out_hw, out_hw, kernel.shape[-1]))
        for i in range(out_hw):
            for j in range(out_hw):
                window = xp[:, i * stride : i * stride + kh, j * stride : j * stride + kh, :]
                out[:, i, j] = np.einsum("bhwc,hwcd->bd", window, kernel) + bias
        return out

    y = x
    for i, stride in enumerate((2, 1)):
        conv = model.get_layer(f"stem_conv{i}")
        y = np.maximum(conv_same(y, *[np.asarray(w) for w in conv.get_weights()], stride), 0.0)
    # The patch embedding: a (patch, patch, C, D) kernel with stride = patch (no padding at 4 px / 2).
    kernel, bias = [np.asarray(w) for w in model.get_layer("embedding").get_weights()]
    expected = conv_same(y, kernel, bias, 2)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(tokens), expected, atol=1e-4)


def test_conv_stem_rejects_sizes_it_cannot_tile():
    with pytest.raises(ValueError, match="divisible by the patch size × the stem stride"):
        conv_stem_vit(stem_convs=((4, 2), (4, 2)), image_size=28, patch_size=2, **TINY)
