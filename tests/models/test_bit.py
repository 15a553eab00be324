"""BiT's ResNet v2: a tiny random model in BiT's own `.npz` layout, loaded through `weights=path`, against the NumPy
reference written from google-research/big_transfer; constructors, presets, errors, FLOPs."""

import math

import bit_reference as ref
import keras
import numpy as np
import pytest

import keras_vit
from keras_vit.layers.preact_unit import PreActBottleneck
from keras_vit.models import presets
from keras_vit.models.bit import build_bit
from keras_vit.models.flops import count_macs
from keras_vit.weights import npz

# 24 px: every strided convolution sees an even input, where BiT's fixed padding differs from SAME.
TINY = dict(blocks=(1, 2), width_factor=0.5, image_size=24)


def write(tmp_path, params, name="bit.npz"):
    path = tmp_path / name
    np.savez(path, **params)
    return str(path)


def logits(model, x):
    return keras.ops.convert_to_numpy(model(x))


@pytest.mark.parametrize("amplitude", ["normal", "low"])
def test_logits_match_numpy_reference(tmp_path, rng, amplitude):
    """`low`: inputs × 1e-3 and kernels of std 1e-5, where GroupNorm's 1e-5 and the standardisation's
    sqrt(var + 1e-10) change the output (a wrong epsilon fails)."""
    low = amplitude == "low"
    params = ref.random_bit(blocks=(1, 2), width=32, classes=5, kernel_scale=1e-5 if low else 0.1)
    x = rng.standard_normal((2, 24, 24, 3)) * (1e-3 if low else 1.0)
    model = build_bit(**TINY, weights=write(tmp_path, params), classifier_activation=None)
    got = logits(model, x.astype("float32"))
    want = ref.logits(x, params)
    assert got.shape == (2, 5)
    np.testing.assert_allclose(got, want, atol=1e-4, rtol=1e-4)
    if low:  # the reference itself tells the epsilons apart by far more than the tolerance
        assert np.abs(ref.logits(x, params, gn_eps=1e-6) - want).max() > 1e-2
        assert np.abs(ref.logits(x, params, ws_eps=1e-8) - want).max() > 1e-2


def test_include_top_false_and_pooling(tmp_path, rng):
    params = ref.random_bit(blocks=(1, 2), width=32, classes=5)
    path = write(tmp_path, params)
    x = rng.standard_normal((2, 24, 24, 3))
    avg = build_bit(**TINY, weights=path, include_top=False, pooling="avg")
    np.testing.assert_allclose(logits(avg, x.astype("float32")), ref.pooled(x, params), atol=1e-4, rtol=1e-4)
    assert "head" not in [layer.name for layer in avg.layers]
    features = build_bit(**TINY, weights=path, include_top=False)
    assert features.output_shape == (None, 3, 3, 256)
    maxed = build_bit(**TINY, weights=path, include_top=False, pooling="max")
    feature_map = logits(features, x.astype("float32"))
    np.testing.assert_allclose(logits(maxed, x.astype("float32")), feature_map.max(axis=(1, 2)), atol=1e-6)


def test_another_class_count_keeps_the_body(tmp_path, rng):
    params = ref.random_bit(blocks=(1, 2), width=32, classes=5)
    with pytest.warns(UserWarning, match="head has 5 classes and the model 10"):
        model = build_bit(**TINY, weights=write(tmp_path, params), classes=10)
    features = keras.Model(model.input, model.get_layer("pre_logits").output)
    x = rng.standard_normal((1, 24, 24, 3))
    np.testing.assert_allclose(logits(features, x.astype("float32")), ref.pooled(x, params), atol=1e-4, rtol=1e-4)


def test_small_root_matches_reference(tmp_path, rng):
    """The Fashion-MNIST form: 3×3 stride-1 root, no max-pool."""
    params = ref.random_bit(blocks=(1, 1), width=32, classes=3, root_kernel=3)
    x = rng.standard_normal((1, 12, 12, 3))
    model = build_bit(
        blocks=(1, 1),
        width_factor=0.5,
        image_size=12,
        root_kernel_size=3,
        root_stride=1,
        root_pool=False,
        weights=write(tmp_path, params),
        classifier_activation=None,
    )
    want = ref.logits(x, params, root_stride=1, root_pool=False)
    np.testing.assert_allclose(logits(model, x.astype("float32")), want, atol=1e-4, rtol=1e-4)


def test_every_mismatch_is_named_at_once(tmp_path):
    params = ref.random_bit(blocks=(1, 2), width=32, classes=5)
    del params["resnet/block1/unit01/b/group_norm/gamma"]
    params["resnet/block1/unit01/d/standardized_conv2d/kernel"] = np.zeros((1, 1, 32, 32), "float32")
    params["resnet/block2/unit02/c/standardized_conv2d/kernel"] = np.zeros((1, 1, 64, 100), "float32")
    with pytest.raises(ValueError) as error:
        build_bit(**TINY, weights=write(tmp_path, params))
    message = str(error.value)
    assert "missing in the checkpoint: ['block1/unit01/gn2/scale']" in message
    assert "unexpected in the checkpoint: ['resnet/block1/unit01/d/standardized_conv2d/kernel']" in message
    assert "block2/unit02/conv3/kernel: checkpoint (1, 1, 64, 100), model (1, 1, 64, 256)" in message


def test_architecture_mismatch_is_named(tmp_path):
    path = write(tmp_path, ref.random_bit(blocks=(1, 2), width=32))
    with pytest.raises(ValueError, match=r"blocks: checkpoint \(1, 2\), model \(1, 1\).*width_factor: checkpoint 0.5"):
        build_bit(blocks=(1, 1), width_factor=1, image_size=24, weights=path)


def test_describe_reads_depth_width_classes(tmp_path):
    info = keras_vit.weights.load.describe(keras_vit.weights.load.resolve(write(tmp_path, ref.random_bit())))
    assert info == dict(family="bit", blocks=(1, 2), depth=11, width_factor=0.5, root_kernel_size=7, classes=5)
    r50 = {"resnet/root_block/standardized_conv2d/kernel": np.zeros((7, 7, 3, 192))}
    r50.update(
        {
            f"resnet/block{s}/unit{u:02d}/a/group_norm/gamma": 0
            for s, n in enumerate((3, 4, 6, 3), 1)
            for u in range(1, n + 1)
        }
    )
    described = keras_vit.weights.bit_format.ADAPTER.describe(r50)
    assert (described["depth"], described["width_factor"], described["blocks"]) == (50, 3, (3, 4, 6, 3))


def _vit_npz(tmp_path):
    vit = keras_vit.ViT(image_size=28, patch_size=7, hidden_size=32, depth=1, num_heads=2, mlp_dim=64, classes=3)
    arrays = {name: keras.ops.convert_to_numpy(v) for name, v in npz.variable_table(vit).items()}
    return write(tmp_path, arrays, "vit.npz")


def test_a_vit_checkpoint_is_refused(tmp_path):
    with pytest.raises(ValueError, match=r"not a BiT ResNet.*keras_vit.ViT.*Received: weights="):
        keras_vit.BiTResNet50x1(weights=_vit_npz(tmp_path))


def test_a_truncated_file_is_refused(tmp_path):
    path = write(tmp_path, ref.random_bit())
    with open(path, "rb") as f:
        data = f.read()
    with open(path, "wb") as f:
        f.write(data[: len(data) // 2])
    with pytest.raises(ValueError, match="corrupt or truncated"):
        build_bit(**TINY, weights=path)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(pooling="token"), r"`pooling` must be one of \(None, 'avg', 'max'\)\. Received: pooling='token'"),
        (dict(width_factor=0.3), r"multiple of `groups` \(32, GroupNorm\).*Received: width_factor=0.3"),
        (dict(blocks=()), r"`blocks` must be a non-empty tuple.*Received: blocks=\(\)"),
        (dict(dropout=0.1), r"no `dropout`.*Received: dropout=0.1"),
        (dict(weights="imagenet21k"), r"Registered weight names exist only for the named variants"),
    ],
)
def test_bad_arguments_say_the_fix(kwargs, match):
    with pytest.raises(ValueError, match=match):
        build_bit(**{**TINY, **kwargs})


def test_named_models_and_their_checkpoints():
    assert keras_vit.list_models("bit_r*") == sorted(f"bit_r{d}x{w}" for d in (50, 101, 152) for w in (1, 2, 3, 4))
    assert presets.weights_names("BiT-R50x1") == ["imagenet2012", "imagenet21k", "imagenet21k+imagenet2012", "imagenet"]
    m = presets.get_checkpoint("BiT-R152x4", "imagenet21k")
    assert m.url == "https://storage.googleapis.com/bit_models/BiT-M-R152x4.npz" and m.classes == 21843
    s = presets.get_checkpoint("BiT-R101x3", "imagenet2012")
    assert s.url == "https://storage.googleapis.com/bit_models/BiT-S-R101x3.npz" and s.classes == 1000
    ft = presets.get_checkpoint("BiT-R50x1", "imagenet")
    assert ft.url.endswith("/BiT-M-R50x1-ILSVRC2012.npz") and (ft.classes, ft.image_size) == (1000, 480)
    assert presets.weights_names("BiT-R50x2") == []  # BiT released no R50x2
    with pytest.raises(ValueError, match="No checkpoints are registered for variant 'BiT-R50x2'"):
        keras_vit.BiTResNet50x2(weights="imagenet21k")


def test_constructor_and_create_model_build_the_preset():
    model = keras_vit.create_model("bit_r50x1", image_size=64, classes=7)
    assert model.name == "bit_r50x1" and model.output_shape == (None, 7)
    units = [layer.name for layer in model.layers if isinstance(layer, PreActBottleneck)]
    assert len(units) == 16 and units[0] == "block1_unit01" and units[-1] == "block4_unit03"
    assert model.get_layer("root_block").kernel.shape == (7, 7, 3, 64)
    assert keras_vit.BiTResNet50x1.variant == "BiT-R50x1"


@pytest.mark.parametrize("name, first_map", [("bit_fmnist", 28), ("bit_fmnist_s2", 14)])
def test_fmnist_presets_are_small_models(name, first_map):
    build, arguments = keras_vit.models.catalog.small_models()[name]
    model = build(classes=10, name=name, **arguments)
    assert model.input_shape == (None, 28, 28, 3) and model.output_shape == (None, 10)
    # The root's stride sets the first stage's map; the last stage is two stride-2 units further down.
    assert model.get_layer("root_block").output.shape[1:3] == (first_map, first_map)


def test_unit_macs_closed_form():
    """conv1 at the input resolution, conv2 (3×3, stride), conv3 and the projection at the output's."""
    h, cin, f, s = 8, 64, 32, 2
    inputs = keras.Input((h, h, cin))
    model = keras.Model(inputs, PreActBottleneck(f, strides=s)(inputs))
    out = h // s
    want = h * h * cin * f + out * out * (9 * f * f + f * 4 * f + cin * 4 * f)
    assert count_macs(model) == want


def test_r50x1_macs_are_resnet50s():
    """ResNet-50 at 224 px: ~4.1 GMACs (He et al. 2016: 3.8 G FLOPs counted as multiply-adds without the head;
    torchvision/fvcore: 4.09 G). BiT's v2 unit has the same convolutions."""
    macs = count_macs(keras_vit.BiTResNet50x1(classes=1000))
    assert math.isclose(macs, 4.1e9, rel_tol=0.03)


def test_keras_round_trip(tmp_path, rng):
    model = build_bit(**TINY, classes=3)
    for variable in model.weights:
        variable.assign(rng.standard_normal(variable.shape).astype("float32") * 0.1 + 1)
    x = rng.standard_normal((1, 24, 24, 3)).astype("float32")
    path = str(tmp_path / "bit.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


def test_a_bit_checkpoint_given_to_a_vit_is_named(tmp_path):
    with pytest.raises(
        ValueError, match=r"is a BiT ResNet.*BiTResNet50x1.*Received: blocks=\(1, 2\), width_factor=0.5"
    ):
        keras_vit.ViTB16(weights=write(tmp_path, ref.random_bit()))


def test_model_from_checkpoint_builds_a_bit_file(tmp_path, rng):
    params = ref.random_bit(blocks=(1, 2), width=32, classes=5)
    model = keras_vit.models.from_checkpoint.model_from_checkpoint(
        write(tmp_path, params), image_size=24, classifier_activation=None
    )
    x = rng.standard_normal((1, 24, 24, 3))
    np.testing.assert_allclose(logits(model, x.astype("float32")), ref.logits(x, params), atol=1e-4, rtol=1e-4)
