"""The DeiT family's models: constructors and timm names, the distilled head's mean, `.keras` round trips, and the
core loading PyTorch files without importing torch. Logits against timm: tests/weights/test_timm_format.py."""

import subprocess
import sys

import keras
import numpy as np
import pytest

import keras_vit
from keras_vit.models import presets

to_numpy = keras.ops.convert_to_numpy
TINY = dict(patch_size=8, hidden_size=32, depth=2, num_heads=2, mlp_dim=64, image_size=32, classes=5)


def _randomised(model, seed=0):
    rng = np.random.default_rng(seed)
    for variable in model.weights:
        variable.assign(rng.standard_normal(variable.shape).astype("float32") * 0.3)
    return model


def _images(size=32):
    return np.random.default_rng(1).uniform(-1, 1, (2, size, size, 3)).astype("float32")


@pytest.mark.parametrize(
    "name, constructor, tokens, scaled",
    [
        ("deit_small_patch16_224", "DeiTS16", 1, False),
        ("deit_tiny_distilled_patch16_224", "DeiTTi16Distilled", 2, False),
        ("deit3_base_patch16_384", "DeiT3B16", 1, True),
    ],
)
def test_timm_names_build_the_family(name, constructor, tokens, scaled):
    model = keras_vit.create_model(name, classes=3)
    preset = presets.MODELS[model.name]
    assert preset.constructor == constructor and model.input_shape[1] == int(name.rsplit("_", 1)[1])
    assert model.get_layer("posembed_input").num_prefix_tokens == tokens
    assert bool(model.get_layer("encoderblock_0").scales) == scaled
    assert model.get_layer("encoderblock_0").gelu == "exact"  # PyTorch numerics without weights too


def test_tagged_names_pick_facebooks_files(monkeypatch):
    seen = []
    monkeypatch.setattr(keras_vit.models.deit, "build_vit", lambda **kw: seen.append(kw["weights"]))
    for name in ("deit_base_distilled_patch16_384.fb_in1k", "deit3_large_patch16_224.fb_in22k_ft_in1k"):
        keras_vit.create_model(name)
    assert seen == ["fb_in1k_384", "fb_in22k_ft_in1k"]
    row = presets.get_checkpoint("DeiT-B/16 distilled", "fb_in1k_384")
    assert row.url == "https://dl.fbaipublicfiles.com/deit/deit_base_distilled_patch16_384-d0272ac0.pth"
    assert row.pixels == "imagenet"  # Facebook's files were trained on ImageNet mean/std pixels
    augreg2 = presets.get_checkpoint("B/16", "augreg2_in21k_ft_in1k")
    assert augreg2.url.startswith("https://huggingface.co/timm/vit_base_patch16_224.augreg2_in21k_ft_in1k/")
    assert augreg2.gelu == "exact" and augreg2.format == "safetensors"


def test_distilled_logits_are_the_mean_of_both_heads():
    model = _randomised(keras_vit.build_deit(distilled=True, classifier_activation=None, **TINY))
    tokens = keras.Model(model.input, model.get_layer("encoder_norm").output)(_images())
    tokens = to_numpy(tokens)
    head, dist = model.get_layer("head"), model.get_layer("head_dist")
    want = (tokens[:, 0] @ to_numpy(head.kernel) + to_numpy(head.bias)) / 2
    want += (tokens[:, 1] @ to_numpy(dist.kernel) + to_numpy(dist.bias)) / 2
    np.testing.assert_allclose(to_numpy(model(_images())), want, rtol=1e-4, atol=1e-5)
    features = keras_vit.build_deit(distilled=True, include_top=False, pooling="token", **TINY)
    assert features.output_shape == (None, 32)


@pytest.mark.parametrize(
    "family", [dict(distilled=True), dict(layer_scale=1e-6), dict(fc_norm=True), dict(fc_norm=True, class_token=False)]
)
def test_keras_round_trip(tmp_path, family):
    model = _randomised(keras_vit.build_deit(**family, register_tokens=2, **TINY))
    path = tmp_path / "deit.keras"
    model.save(path)
    restored = keras.saving.load_model(path)
    np.testing.assert_allclose(to_numpy(restored(_images())), to_numpy(model(_images())), atol=1e-5)


def test_bad_combinations_are_named():
    with pytest.raises(ValueError, match="choose one of distilled=True and fc_norm=True"):
        keras_vit.build_deit(distilled=True, fc_norm=True, **TINY)
    with pytest.raises(ValueError, match="no pre_logits layer"):
        keras_vit.build_deit(distilled=True, representation_size=32, **TINY)


def test_reading_pytorch_files_imports_no_torch():
    code = (
        "import sys, keras_vit, keras_vit.weights.formats, keras_vit.weights.timm_export; keras_vit.DeiTS16;"
        "assert 'torch' not in sys.modules, 'torch imported'"
    )
    env_backend = {"KERAS_BACKEND": "tensorflow"}
    import os

    result = subprocess.run([sys.executable, "-c", code], env={**os.environ, **env_backend}, capture_output=True)
    assert result.returncode == 0, result.stderr.decode()[-2000:]
