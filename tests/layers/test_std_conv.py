"""StdConv2D against the NumPy reference of the official `StdConv` (weight standardisation, SAME padding)."""

import keras
import numpy as np
import pytest
import resnet_reference as ref

from keras_vit.layers.std_conv import StdConv2D


def build(layer, x, kernel):
    layer.build(x.shape)
    layer.kernel.assign(kernel)
    return keras.ops.convert_to_numpy(layer(x))


@pytest.mark.parametrize(
    "size,kernel_size,strides",
    [(8, 3, 1), (8, 3, 2), (9, 3, 2), (16, 7, 2), (15, 7, 2), (6, 1, 2)],
    ids=["3x3s1", "3x3s2-even", "3x3s2-odd", "7x7s2-even", "7x7s2-odd", "1x1s2"],
)
def test_matches_numpy_reference(rng, size, kernel_size, strides):
    x = rng.standard_normal((2, size, size + 1, 5)).astype("float32")
    kernel = (rng.standard_normal((kernel_size, kernel_size, 5, 6)) + 0.5).astype("float32")
    got = build(StdConv2D(6, kernel_size, strides=strides), x, kernel)
    want = ref.std_conv(x.astype("float64"), kernel.astype("float64"), strides)
    assert got.shape == want.shape == (2, -(-size // strides), -(-(size + 1) // strides), 6)
    np.testing.assert_allclose(got, want, atol=1e-4, rtol=1e-5)


def test_epsilon_is_added_to_the_std_not_the_variance(rng):
    """With a kernel std of 1e-3, (w - m) / (std + 1e-5) and (w - m) / sqrt(var + 1e-5) differ ~300×."""
    x = rng.standard_normal((1, 4, 4, 3)).astype("float32")
    kernel = (rng.standard_normal((3, 3, 3, 2)) * 1e-3).astype("float32")
    got = build(StdConv2D(2, 3), x, kernel)
    w = kernel.astype("float64")
    centred = w - w.mean(axis=(0, 1, 2))
    by_std = ref.conv2d_same(x.astype("float64"), centred / (centred.std(axis=(0, 1, 2)) + 1e-5))
    by_var = ref.conv2d_same(x.astype("float64"), centred / np.sqrt(centred.var(axis=(0, 1, 2)) + 1e-5))
    np.testing.assert_allclose(got, by_std, atol=1e-4, rtol=1e-4)
    assert np.abs(got - by_var).max() > 1.0


def test_output_is_invariant_to_kernel_scale_and_shift(rng):
    x = rng.standard_normal((1, 6, 6, 4)).astype("float32")
    kernel = rng.standard_normal((3, 3, 4, 8)).astype("float32")
    layer = StdConv2D(8, 3)
    a = build(layer, x, kernel)
    layer.kernel.assign(kernel * 3.0 + 0.7)
    # Only epsilon (1e-5 next to a std of 1 or 3) breaks the invariance.
    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer(x)), a, rtol=1e-4, atol=1e-5)


def test_config_and_keras_round_trip(tmp_path, rng):
    layer = StdConv2D(4, 3, strides=2, epsilon=1e-4, name="conv_root")
    config = layer.get_config()
    assert {k: config[k] for k in ("filters", "kernel_size", "strides", "epsilon")} == dict(
        filters=4, kernel_size=3, strides=2, epsilon=1e-4
    )
    assert StdConv2D.from_config(config).get_config() == config
    inputs = keras.Input((8, 8, 3))
    model = keras.Model(inputs, layer(inputs))
    x = rng.standard_normal((2, 8, 8, 3)).astype("float32")
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded.get_layer("conv_root"), StdConv2D)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


@pytest.mark.parametrize("arg,value", [("filters", 0), ("kernel_size", 2.0), ("strides", None)])
def test_rejects_bad_sizes(arg, value):
    kwargs = dict(filters=4, kernel_size=3, strides=1)
    kwargs[arg] = value
    with pytest.raises(ValueError, match=rf"`{arg}` must be a positive int\. Received: {arg}={value!r}"):
        StdConv2D(**kwargs)


def test_rejects_unknown_channels():
    with pytest.raises(ValueError, match=r"channel dimension must be known\. Received: input_shape"):
        StdConv2D(4, 3).build((None, 8, 8, None))
