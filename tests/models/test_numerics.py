"""The numerics seam: GELU form and LayerNorm epsilon, checked against the NumPy reference."""

import keras
import numpy as np
import pytest
import reference

import keras_vit

TINY = dict(hidden_size=32, depth=2, num_heads=4, mlp_dim=64, patch_size=8)


def save(tmp_path, params):
    path = tmp_path / "ckpt.npz"
    np.savez(path, **params)
    return str(path)


def wide_mlp_checkpoint():
    """MLP weights ×3: pre-activations reach |x| ≈ 2, where the two GELU forms differ most."""
    params = reference.random_checkpoint()
    for key in params:
        if "/MlpBlock_3/" in key and key.endswith("/kernel"):
            params[key] = params[key] * 3
    return params


def low_amplitude_checkpoint():
    """No embedding bias, class token or posemb: tiny images give tokens of tiny variance (ε then matters)."""
    params = reference.random_checkpoint(seed=1)
    for key in ("embedding/bias", "cls", "Transformer/posembed_input/pos_embedding"):
        params[key] = np.zeros_like(params[key])
    return params


def images(seed, scale=1.0):
    return (np.random.default_rng(seed).uniform(-1, 1, (2, 32, 32, 3)) * scale).astype("float32")


@pytest.mark.parametrize("gelu", ["tanh", "exact"])
def test_both_gelu_forms_match_the_reference(tmp_path, gelu):
    params, x = wide_mlp_checkpoint(), images(0)
    expected = reference.forward(params, x, heads=4, gelu=gelu)
    other = reference.forward(params, x, heads=4, gelu="exact" if gelu == "tanh" else "tanh")
    assert np.abs(expected - other).max() > 5e-5  # the test can tell the forms apart
    model = keras_vit.ViT(image_size=32, weights=save(tmp_path, params), classifier_activation=None, gelu=gelu, **TINY)
    assert model.get_layer("encoderblock_1").gelu == gelu
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, atol=5e-6)


@pytest.mark.parametrize("epsilon", [1e-6, 1e-12])
def test_layer_norm_epsilon_matches_the_reference_on_low_amplitude_input(tmp_path, epsilon):
    params, x = low_amplitude_checkpoint(), images(1, scale=1e-3)
    expected = reference.forward(params, x, heads=4, eps=epsilon)
    other = reference.forward(params, x, heads=4, eps=1e-12 if epsilon == 1e-6 else 1e-6)
    assert np.abs(expected - other).max() > 0.1
    model = keras_vit.ViT(
        image_size=32, weights=save(tmp_path, params), classifier_activation=None, layer_norm_epsilon=epsilon, **TINY
    )
    assert model.get_layer("encoder_norm").epsilon == model.get_layer("encoderblock_0").layer_norm_epsilon == epsilon
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, atol=1e-4)


def test_defaults_are_the_official_numerics(tmp_path):
    for model in (
        keras_vit.ViT(image_size=32, **TINY),
        keras_vit.ViT(image_size=32, weights=save(tmp_path, reference.random_checkpoint()), **TINY),
        keras_vit.ViTTi16(image_size=32, include_top=False),
    ):
        block = model.get_layer("encoderblock_0")
        assert (block.gelu, block.layer_norm_epsilon, block.norm1.epsilon) == ("tanh", 1e-6, 1e-6)
        assert model.get_layer("encoder_norm").epsilon == 1e-6


def test_numerics_survive_get_config_and_keras_round_trip(tmp_path):
    model = keras_vit.ViTHybrid(
        image_size=32,
        patch_size=1,
        resnet_blocks=(1, 1),
        resnet_width=0.5,
        classes=3,
        gelu="exact",
        layer_norm_epsilon=1e-12,
        **{k: v for k, v in TINY.items() if k != "patch_size"},
    )
    config = model.get_layer("encoderblock_1").get_config()
    assert config["gelu"] == "exact" and config["layer_norm_epsilon"] == 1e-12
    path = tmp_path / "model.keras"
    model.save(path)
    restored = keras.saving.load_model(path)
    block = restored.get_layer("encoderblock_1")
    assert (block.gelu, block.norm2.epsilon, restored.get_layer("encoder_norm").epsilon) == ("exact", 1e-12, 1e-12)
    x = images(2)
    np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


def test_unknown_gelu_form_names_the_choices():
    with pytest.raises(ValueError, match=r"'tanh' for the official JAX checkpoints.*Received: gelu='erf'"):
        keras_vit.ViT(image_size=32, gelu="erf", **TINY)
