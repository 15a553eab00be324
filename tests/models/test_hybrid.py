"""Hybrid ResNet + ViT: official-layout checkpoints against the NumPy reference, resolution change,
`.keras` round trip, architecture checks and the real models' sizes."""

import keras
import numpy as np
import pytest
import reference
import resnet_reference
import scipy.ndimage

import keras_vit
from keras_vit.models import catalog
from keras_vit.models.from_checkpoint import model_from_checkpoint

# Tiny hybrid: root 32 channels, stages (2, 1) → 128 then 256 channels at 1/8 of the image; patch 1.
TINY = dict(hidden_size=32, depth=2, num_heads=4, mlp_dim=64, patch_size=1, resnet_blocks=(2, 1), resnet_width=0.5)


def checkpoint(legacy_gn=False, classifier="token", blocks=(2, 1)):
    params, channels = resnet_reference.random_resnet(blocks=blocks, width=32, legacy_gn=legacy_gn)
    params.update(
        reference.random_checkpoint(
            hidden=32, depth=2, heads=4, mlp=64, patch=1, grid=4, channels=channels, classifier=classifier
        )
    )
    return params


def save(tmp_path, params, name="hybrid.npz"):
    path = tmp_path / name
    np.savez(path, **params)
    return str(path)


def images(n=2, size=32, seed=1):
    return np.random.default_rng(seed).uniform(-1, 1, (n, size, size, 3)).astype("float32")


def forward(params, x, posemb=None):
    """Official hybrid logits: the ResNet feature map is the ViT's input image."""
    features = resnet_reference.resnet(
        x, {k: v for k, v in params.items() if k.startswith(("conv_root", "gn_", "block"))}
    )
    return reference.forward(params, features, heads=4, posemb=posemb)


def squeeze_gn(params):
    return {k: v.reshape(-1) if v.ndim == 4 and "/gn" in "/" + k else v for k, v in params.items()}


@pytest.mark.parametrize("legacy_gn", [False, True], ids=["gn_c", "gn_1x1x1xc"])
def test_logits_match_numpy_reference(tmp_path, legacy_gn):
    params = checkpoint(legacy_gn=legacy_gn)
    model = keras_vit.ViTHybrid(image_size=32, weights=save(tmp_path, params), classifier_activation=None, **TINY)
    x = images()
    got = model.predict(x, verbose=0)
    want = forward(squeeze_gn(params), x)
    assert got.shape == (2, 10)
    assert np.abs(want).max() > 1.0  # logits large enough for the comparison to mean something
    np.testing.assert_allclose(got, want, atol=1e-4, rtol=0)


def test_gap_classifier_matches_numpy_reference(tmp_path):
    params = checkpoint(classifier="gap")
    path = save(tmp_path, params)
    model = keras_vit.ViTHybrid(image_size=32, classifier="gap", weights=path, classifier_activation=None, **TINY)
    x = images()
    np.testing.assert_allclose(model.predict(x, verbose=0), forward(params, x), atol=1e-4, rtol=0)


@pytest.mark.parametrize("new_size", [48, 40])
def test_loading_at_another_resolution_matches_scipy_zoom(tmp_path, new_size):
    params = checkpoint()
    model = keras_vit.ViTHybrid(image_size=new_size, weights=save(tmp_path, params), classifier_activation=None, **TINY)
    side = new_size // 8
    posemb = params["Transformer/posembed_input/pos_embedding"]
    grid = posemb[0, 1:].reshape(4, 4, -1)
    zoomed = scipy.ndimage.zoom(grid, (side / 4, side / 4, 1), order=1).reshape(1, side * side, -1)
    x = images(size=new_size)
    want = forward(params, x, posemb=np.concatenate([posemb[:, :1], zoomed], axis=1))
    np.testing.assert_allclose(model.predict(x, verbose=0), want, atol=1e-4, rtol=0)


def test_image_size_defaults_to_the_checkpoint_grid_times_the_resnet_stride(tmp_path):
    model = keras_vit.ViTHybrid(image_size=None, weights=save(tmp_path, checkpoint()), **TINY)
    assert model.input_shape == (None, 32, 32, 3)  # 4×4 grid × patch 1 × stride 8


def test_dynamic_image_size_equals_a_model_built_at_that_size(tmp_path):
    path = save(tmp_path, checkpoint())
    dynamic = keras_vit.ViTHybrid(
        image_size=32, weights=path, dynamic_image_size=True, classifier_activation=None, **TINY
    )
    static = keras_vit.ViTHybrid(image_size=48, weights=path, classifier_activation=None, **TINY)
    x = images(size=48)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(dynamic(x)), static.predict(x, verbose=0), atol=1e-5)


def test_convert_builds_the_hybrid_the_checkpoint_describes(tmp_path):
    params = checkpoint()
    model = model_from_checkpoint(save(tmp_path, params), classifier_activation=None)
    assert model.get_layer("block1_unit2") is not None and model.get_layer("conv_root").filters == 32
    x = images()
    np.testing.assert_allclose(model.predict(x, verbose=0), forward(params, x), atol=1e-4, rtol=0)


def test_keras_round_trip(tmp_path):
    model = keras_vit.ViTHybrid(image_size=32, weights=save(tmp_path, checkpoint()), **TINY)
    path = str(tmp_path / "hybrid.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    x = images()
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


def test_weights_table_uses_official_names():
    from keras_vit.weights import npz

    model = keras_vit.ViTHybrid(image_size=32, classes=10, **TINY)
    table = npz.variable_table(model)
    params = checkpoint()
    assert sorted(table) == sorted(params)
    assert all(tuple(table[k].shape) == params[k].shape for k in params)


def test_rejects_a_checkpoint_of_another_resnet(tmp_path):
    path = save(tmp_path, checkpoint())
    with pytest.raises(ValueError, match=r"resnet_blocks: checkpoint \(2, 1\), model \(1, 1\)"):
        keras_vit.ViTHybrid(image_size=32, weights=path, **dict(TINY, resnet_blocks=(1, 1)))
    with pytest.raises(ValueError, match=r"resnet_width: checkpoint 0\.5, model 1"):
        keras_vit.ViTHybrid(image_size=32, weights=path, **dict(TINY, resnet_width=1))


def test_rejects_a_plain_vit_checkpoint(tmp_path):
    path = save(tmp_path, reference.random_checkpoint(patch=1, channels=256))
    with pytest.raises(ValueError, match=r"plain ViT.*load it with `keras_vit.ViT`.*Received: weights="):
        keras_vit.ViTHybrid(image_size=32, weights=path, **TINY)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (
            dict(resnet_blocks=(2, 0)),
            r"`resnet_blocks` must be a tuple of positive ints.*Received: resnet_blocks=\(2, 0\)",
        ),
        (dict(resnet_width=0.25), r"`resnet_width` × 64 must be a multiple of 32.*Received: resnet_width=0.25"),
        (dict(image_size=36), r"divisible by the patch size × the stem stride \(8\).*Received: image_size=36"),
    ],
)
def test_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        keras_vit.ViTHybrid(**{**TINY, "image_size": 32, **kwargs})


def test_custom_hybrid_with_a_registered_name_says_to_pass_a_path():
    with pytest.raises(ValueError, match=r"custom model a file path\. Received: weights='imagenet'"):
        keras_vit.ViTHybrid(image_size=32, weights="imagenet", **TINY)


def resnet_params(blocks, width=64):
    """Closed-form count: StdConv kernels (no bias) + GroupNorm scale and bias; returns (params, channels)."""
    count = 7 * 7 * 3 * width + 2 * width
    cin = width
    for s, units in enumerate(blocks):
        f = width * 2**s
        for u in range(units):
            count += cin * f + 9 * f * f + f * 4 * f + 2 * (f + f + 4 * f)
            if u == 0:
                count += cin * 4 * f + 2 * 4 * f
            cin = 4 * f
    return count, cin


def vit_params(channels, patch, hidden, depth, mlp, tokens, classes=1000):
    block = 4 * hidden * hidden + 4 * hidden + 2 * hidden * mlp + mlp + hidden + 4 * hidden
    return (
        patch * patch * channels * hidden
        + hidden
        + hidden
        + tokens * hidden
        + depth * block
        + 2 * hidden
        + hidden * classes
        + classes
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    "fn,blocks,patch,hidden,depth,mlp,grid",
    [(keras_vit.ViTR50B16, (3, 4, 9), 1, 768, 12, 3072, 14), (keras_vit.ViTR26S32, (2, 2, 2, 2), 1, 384, 12, 1536, 7)],
    ids=["R50+B/16", "R26+S/32"],
)
def test_parameter_counts_of_the_real_models(fn, blocks, patch, hidden, depth, mlp, grid):
    model = fn()
    resnet, channels = resnet_params(blocks)
    assert model.get_layer("embedding").kernel.shape == (patch, patch, channels, hidden)
    assert model.get_layer("posembed_input").pos_embedding.shape == (1, 1 + grid * grid, hidden)
    assert model.count_params() == resnet + vit_params(channels, patch, hidden, depth, mlp, 1 + grid * grid)
    if fn is keras_vit.ViTR50B16:
        assert round(model.count_params() / 1e6) in (98, 99)  # paper: 98M


def test_named_constructors_follow_the_official_configs():
    model = keras_vit.ViTRTi16(image_size=64, classes=10)
    # Root only (stride 4) and 8×8 patches: 32-px effective patches, a 2×2 grid at 64 px.
    assert model.get_layer("embedding").kernel.shape == (8, 8, 64, 192)
    assert model.get_layer("posembed_input").pos_embedding.shape == (1, 5, 192)
    assert not any(layer.name.startswith("block") for layer in model.layers)
    assert model.name == "vit_rti16"
    for name, fn in [
        ("vit_r50_b16", keras_vit.ViTR50B16),
        ("vit_r50_l32", keras_vit.ViTR50L32),
        ("vit_r26_s32", keras_vit.ViTR26S32),
        ("vit_r26_b32", keras_vit.ViTR26B32),
        ("vit_rti16", keras_vit.ViTRTi16),
    ]:
        assert catalog.get_constructor(name) is fn
    assert "'imagenet21k'" in keras_vit.ViTR50B16.__doc__


def test_flop_counter_counts_every_convolution():
    from keras_vit.models.flops import count_macs

    model = keras_vit.ViTHybrid(image_size=32, classes=10, **TINY)
    root = 16 * 16 * 7 * 7 * 3 * 32  # 7×7/2 on 32 px
    # At 8×8: block1/unit1 (32 → 128, projection), block1/unit2 (128 → 128); block2/unit1 at 4×4 (stride 2).
    unit1 = 64 * (32 * 32 + 9 * 32 * 32 + 32 * 128 + 32 * 128)
    unit2 = 64 * (128 * 32 + 9 * 32 * 32 + 32 * 128)
    unit3 = 64 * 128 * 64 + 16 * (9 * 64 * 64 + 64 * 256 + 128 * 256)
    tokens, hidden = 17, 32
    vit = (
        16 * 256 * hidden
        + 2 * (4 * tokens * hidden**2 + 2 * tokens**2 * hidden + 2 * tokens * hidden * 64)
        + hidden * 10
    )
    total, per_layer = count_macs(model, by_layer=True)
    assert (per_layer["conv_root"], per_layer["block1_unit1"], per_layer["block1_unit2"]) == (root, unit1, unit2)
    assert per_layer["block2_unit1"] == unit3
    assert total == root + unit1 + unit2 + unit3 + vit
