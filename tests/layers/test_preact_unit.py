"""PreActBottleneck (BiT's unit) and StdConv2D's BiT options against the NumPy reference written from big_transfer."""

import bit_reference as ref
import keras
import numpy as np
import pytest

from keras_vit.layers.preact_unit import PreActBottleneck
from keras_vit.layers.std_conv import StdConv2D

PREFIX = "resnet/block1/unit01/"


def random_unit(rng, cin, features, projection, kernel_scale=0.1):
    """One unit's parameters in BiT's `.npz` names."""
    p = {}
    shapes = dict(a=(1, 1, cin, features), b=(3, 3, features, features), c=(1, 1, features, 4 * features))
    norms = dict(a=cin, b=features, c=features)
    for group, shape in shapes.items():
        p[f"{PREFIX}{group}/standardized_conv2d/kernel"] = (
            rng.standard_normal(shape) * kernel_scale + 0.2 * kernel_scale
        )
        p[f"{PREFIX}{group}/group_norm/gamma"] = 1 + 0.3 * rng.standard_normal(norms[group])
        p[f"{PREFIX}{group}/group_norm/beta"] = 0.3 * rng.standard_normal(norms[group])
    if projection:
        p[f"{PREFIX}a/proj/standardized_conv2d/kernel"] = rng.standard_normal((1, 1, cin, 4 * features)) * 0.1
    return {k: v.astype("float32") for k, v in p.items()}


def assign(unit, p):
    for i, group in enumerate("abc", 1):
        getattr(unit, f"conv{i}").kernel.assign(p[f"{PREFIX}{group}/standardized_conv2d/kernel"])
        getattr(unit, f"gn{i}").gamma.assign(p[f"{PREFIX}{group}/group_norm/gamma"])
        getattr(unit, f"gn{i}").beta.assign(p[f"{PREFIX}{group}/group_norm/beta"])
    if unit.conv_proj is not None:
        unit.conv_proj.kernel.assign(p[f"{PREFIX}a/proj/standardized_conv2d/kernel"])


@pytest.mark.parametrize(
    "cin,size,strides,projection",
    [(128, 8, 1, False), (64, 8, 1, True), (128, 8, 2, True), (128, 7, 2, True)],
    ids=["identity", "channels", "stride2-even", "stride2-odd"],
)
def test_matches_numpy_reference(rng, cin, size, strides, projection):
    unit = PreActBottleneck(32, strides=strides)
    x = rng.standard_normal((2, size, size, cin)).astype("float32")
    unit.build(x.shape)
    assert (unit.conv_proj is not None) == projection
    p = random_unit(rng, cin, 32, projection)
    assign(unit, p)
    got = keras.ops.convert_to_numpy(unit(x))
    want = ref.unit(x.astype("float64"), {k: v.astype("float64") for k, v in p.items()}, PREFIX, strides)
    out = -(-size // strides)
    assert got.shape == want.shape == (2, out, out, 128)
    np.testing.assert_allclose(got, want, atol=1e-4, rtol=1e-5)


def test_epsilons_are_bits(rng):
    """Low-amplitude input and kernels: GroupNorm's 1e-5 and the standardisation's sqrt(var + 1e-10) both show."""
    x = (rng.standard_normal((1, 8, 8, 64)) * 1e-3).astype("float32")
    p = random_unit(rng, 64, 32, True, kernel_scale=1e-5)
    unit = PreActBottleneck(32)
    unit.build(x.shape)
    assign(unit, p)
    got = keras.ops.convert_to_numpy(unit(x))
    p64 = {k: v.astype("float64") for k, v in p.items()}
    want = ref.unit(x.astype("float64"), p64, PREFIX, 1)
    np.testing.assert_allclose(got, want, atol=1e-4, rtol=1e-4)
    other_gn = ref.unit(x.astype("float64"), p64, PREFIX, 1, dict(gn=dict(eps=1e-6)))
    other_ws = ref.unit(x.astype("float64"), p64, PREFIX, 1, dict(ws=dict(ws_eps=1e-8)))
    assert np.abs(other_gn - want).max() > 1e-2 and np.abs(other_ws - want).max() > 1e-2


def test_fixed_padding_is_not_same_padding(rng):
    """A 3×3/2 conv of an even input: BiT pads (1, 1), SAME would pad (0, 1)."""
    x = rng.standard_normal((1, 8, 8, 4)).astype("float32")
    kernel = rng.standard_normal((3, 3, 4, 5)).astype("float32")
    layer = StdConv2D(5, 3, strides=2, padding="fixed", epsilon=1e-10, epsilon_under_sqrt=True)
    layer.build(x.shape)
    layer.kernel.assign(kernel)
    want = ref.std_conv(x.astype("float64"), kernel.astype("float64"), 2)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer(x)), want, atol=1e-4)
    same = StdConv2D(5, 3, strides=2, epsilon=1e-10, epsilon_under_sqrt=True)
    same.build(x.shape)
    same.kernel.assign(kernel)
    assert np.abs(keras.ops.convert_to_numpy(same(x)) - want).max() > 0.1


def test_rejects_unknown_padding():
    with pytest.raises(ValueError, match=r"`padding` must be one of \('same', 'fixed'\)\. Received: padding='valid'"):
        StdConv2D(4, 3, padding="valid")


def test_sub_layers_carry_bit_jax_names():
    unit = PreActBottleneck(32, strides=2, name="block2_unit01")
    unit.build((None, 8, 8, 128))
    names = sorted(v.path for v in unit.weights)
    assert names == sorted(
        [f"block2_unit01/{conv}/kernel" for conv in ("conv1", "conv2", "conv3", "conv_proj")]
        + [f"block2_unit01/{gn}/{v}" for gn in ("gn1", "gn2", "gn3") for v in ("gamma", "beta")]
    )


def test_config_and_keras_round_trip(tmp_path, rng):
    unit = PreActBottleneck(32, strides=2, name="block2_unit01")
    config = unit.get_config()
    assert {k: config[k] for k in ("features", "strides", "groups", "epsilon", "std_epsilon")} == dict(
        features=32, strides=2, groups=32, epsilon=1e-5, std_epsilon=1e-10
    )
    assert PreActBottleneck.from_config(config).get_config() == config
    inputs = keras.Input((8, 8, 64))
    model = keras.Model(inputs, unit(inputs))
    assign(unit, random_unit(rng, 64, 32, True))
    x = rng.standard_normal((2, 8, 8, 64)).astype("float32")
    path = str(tmp_path / "unit.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded.get_layer("block2_unit01"), PreActBottleneck)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


def test_std_conv_config_round_trips_bit_options():
    layer = StdConv2D(8, 7, strides=2, epsilon=1e-10, padding="fixed", epsilon_under_sqrt=True)
    config = layer.get_config()
    assert config["padding"] == "fixed" and config["epsilon_under_sqrt"] is True
    assert StdConv2D.from_config(config).get_config() == config


def test_rejects_channels_not_divisible_by_groups():
    with pytest.raises(ValueError, match=r"positive multiple of `groups` \(32\).*Received: features=48"):
        PreActBottleneck(48)
    with pytest.raises(ValueError, match=r"multiple of `groups` \(32\)\. Received: input_shape"):
        PreActBottleneck(32).build((None, 8, 8, 48))
