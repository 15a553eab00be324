"""ResNetUnit (and Keras GroupNormalization with the official settings) against the NumPy reference."""

import keras
import numpy as np
import pytest
import resnet_reference as ref

from keras_vit.layers.resnet_unit import ResNetUnit, resnet_stride


def random_unit_params(rng, cin, features, projection, prefix="block1/unit1"):
    p = {}
    shapes = dict(conv1=(1, 1, cin, features), conv2=(3, 3, features, features), conv3=(1, 1, features, 4 * features))
    if projection:
        shapes["conv_proj"] = (1, 1, cin, 4 * features)
    for conv, shape in shapes.items():
        p[f"{prefix}/{conv}/kernel"] = (rng.standard_normal(shape) * 0.1 + 0.02).astype("float32")
        gn = conv.replace("conv", "gn")
        p[f"{prefix}/{gn}/scale"] = (1 + 0.3 * rng.standard_normal(shape[-1])).astype("float32")
        p[f"{prefix}/{gn}/bias"] = (0.3 * rng.standard_normal(shape[-1])).astype("float32")
    return p


def assign(unit, p, prefix="block1/unit1"):
    for conv in ("conv1", "conv2", "conv3", "conv_proj"):
        if getattr(unit, conv) is None:
            continue
        getattr(unit, conv).kernel.assign(p[f"{prefix}/{conv}/kernel"])
        gn = getattr(unit, conv.replace("conv", "gn"))
        gn.gamma.assign(p[f"{prefix}/{gn.name}/scale"])
        gn.beta.assign(p[f"{prefix}/{gn.name}/bias"])


@pytest.mark.parametrize(
    "cin,size,strides,projection",
    [(128, 8, 1, False), (32, 8, 1, True), (128, 8, 2, True), (128, 7, 2, True)],
    ids=["identity", "channels", "stride2-even", "stride2-odd"],
)
def test_matches_numpy_reference(rng, cin, size, strides, projection):
    unit = ResNetUnit(32, strides=strides)
    x = rng.standard_normal((2, size, size, cin)).astype("float32")
    unit.build(x.shape)
    assert (unit.conv_proj is not None) == projection
    p = random_unit_params(rng, cin, 32, projection)
    assign(unit, p)
    got = keras.ops.convert_to_numpy(unit(x))
    want = ref.unit(x.astype("float64"), p, "block1/unit1", strides)
    out = -(-size // strides)
    assert got.shape == want.shape == (2, out, out, 128)
    np.testing.assert_allclose(got, want, atol=1e-4, rtol=1e-5)


def test_group_norm_matches_flax_definition(rng):
    """Keras GroupNormalization(32, epsilon=1e-6) = flax nn.GroupNorm(): stats per sample over (H, W, C/G)."""
    x = (rng.standard_normal((2, 5, 3, 64)) * 3 + 1).astype("float32")
    scale, bias = rng.standard_normal(64).astype("float32"), rng.standard_normal(64).astype("float32")
    gn = keras.layers.GroupNormalization(32, epsilon=1e-6)
    gn.build(x.shape)
    gn.gamma.assign(scale)
    gn.beta.assign(bias)
    want = ref.group_norm(x.astype("float64"), scale, bias)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(gn(x)), want, atol=1e-5)


def test_fresh_unit_is_its_shortcut(rng):
    """gn3's scale starts at zero, so without projection a new unit is relu(x)."""
    x = rng.standard_normal((1, 4, 4, 128)).astype("float32")
    unit = ResNetUnit(32)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(unit(x)), np.maximum(x, 0), atol=1e-6)
    assert unit.conv_proj is None


def test_sub_layers_carry_checkpoint_names():
    unit = ResNetUnit(32, strides=2, name="block2_unit1")
    unit.build((None, 8, 8, 128))
    names = sorted(v.path for v in unit.weights)
    assert names == sorted(
        [f"block2_unit1/{conv}/kernel" for conv in ("conv1", "conv2", "conv3", "conv_proj")]
        + [f"block2_unit1/{gn}/{v}" for gn in ("gn1", "gn2", "gn3", "gn_proj") for v in ("gamma", "beta")]
    )


def test_config_and_keras_round_trip(tmp_path, rng):
    unit = ResNetUnit(32, strides=2, name="block2_unit1")
    config = unit.get_config()
    assert {k: config[k] for k in ("features", "strides", "groups", "epsilon")} == dict(
        features=32, strides=2, groups=32, epsilon=1e-6
    )
    inputs = keras.Input((8, 8, 64))
    model = keras.Model(inputs, unit(inputs))
    assign(unit, random_unit_params(rng, 64, 32, True))
    x = rng.standard_normal((2, 8, 8, 64)).astype("float32")
    path = str(tmp_path / "unit.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


def test_rejects_features_not_divisible_by_groups():
    with pytest.raises(ValueError, match=r"positive multiple of `groups` \(32\).*Received: features=48"):
        ResNetUnit(48)


@pytest.mark.parametrize("blocks,stride", [((), 4), ((3,), 4), ((3, 4, 9), 16), ((2, 2, 2, 2), 32)])
def test_resnet_stride(blocks, stride):
    assert resnet_stride(blocks) == stride
