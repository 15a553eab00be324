"""Checkpoint formats as adapters: detection, the canonical layout, descriptions, lookalike errors, posemb fitting."""

import numpy as np
import pytest
import reference

import keras_vit
from keras_vit.weights import formats, load
from keras_vit.weights.posemb import fit_posemb, grid_side

TINY = dict(hidden_size=32, depth=2, num_heads=4, mlp_dim=64, patch_size=8)


def big_vision(params, prefix="params/"):
    """The same checkpoint as big_vision writes it: (`params/`,) top-level posemb without the class row,
    per-type sub-module numbering."""
    out = {}
    for key, value in params.items():
        key = key.replace("MultiHeadDotProductAttention_1", "MultiHeadDotProductAttention_0")
        key = key.replace("LayerNorm_2", "LayerNorm_1").replace("MlpBlock_3", "MlpBlock_0")
        if key == "Transformer/posembed_input/pos_embedding":
            key, value = "pos_embedding", value[:, 1:]
        out[prefix + key] = value
    return out


@pytest.mark.parametrize("prefix", ["params/", ""])
def test_each_layout_finds_its_adapter_and_the_same_canonical_arrays(prefix):
    params = reference.random_checkpoint()
    assert isinstance(formats.adapter_for(params), formats.Official)
    adapter = formats.adapter_for(big_vision(params, prefix))
    assert isinstance(adapter, formats.BigVision)
    canonical = adapter.to_canonical(big_vision(params, prefix))
    assert set(canonical) == set(params)
    np.testing.assert_array_equal(
        canonical["Transformer/encoderblock_1/MlpBlock_3/Dense_0/kernel"],
        params["Transformer/encoderblock_1/MlpBlock_3/Dense_0/kernel"],
    )


def test_both_layouts_describe_the_same_architecture():
    params = reference.random_checkpoint(representation_size=24)
    want = dict(
        patch_size=8,
        hidden_size=32,
        depth=2,
        num_heads=4,
        mlp_dim=64,
        classifier="token",
        representation_size=24,
        posemb="learned",
        classes=10,
        grid_side=4,
        register_tokens=0,
    )
    assert formats.Official().describe(params) == want
    assert formats.BigVision().describe(big_vision(params)) == want


@pytest.mark.parametrize(
    "key,name",
    [
        ("layers.0.blocks.0.attn.relative_position_bias_table", "a Swin Transformer state dict"),
        ("vit_backbone/patch_embedding/kernel", "a keras-hub ViT"),
    ],
)
def test_a_lookalike_format_is_named_in_the_error(tmp_path, key, name):
    path = tmp_path / "other.npz"
    np.savez(path, **{key: np.zeros((32, 3, 8, 8), "float32"), "cls_token": np.zeros((1, 1, 32), "float32")})
    with pytest.raises(ValueError, match=f"looks like {name} \\(keys .*'{key}'.*not supported yet.*Received: keys="):
        keras_vit.ViT(image_size=32, weights=str(path), **TINY)


def test_an_unknown_layout_names_the_formats_read():
    with pytest.raises(ValueError, match=r"official \.npz.*Received: keys='a', 'b'"):
        formats.adapter_for(["b", "a"])


def test_a_new_format_is_one_adapter_and_one_row(tmp_path, monkeypatch):
    class Prefixed:  # a made-up layout: the official names under `model.`
        name = "prefixed"

        def detect(self, keys):
            return all(k.startswith("model.") for k in keys)

        def to_canonical(self, arrays):
            return {k.removeprefix("model."): v for k, v in arrays.items()}

        def describe(self, arrays):
            return formats.Official().describe(self.to_canonical(arrays))

    monkeypatch.setattr(formats, "ADAPTERS", (Prefixed(), *formats.ADAPTERS))
    params = reference.random_checkpoint()
    path = tmp_path / "prefixed.npz"
    np.savez(path, **{"model." + k: v for k, v in params.items()})
    model = keras_vit.ViT(image_size=32, weights=str(path), classifier_activation=None, **TINY)
    x = np.random.default_rng(1).uniform(-1, 1, (2, 32, 32, 3)).astype("float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), reference.forward(params, x, heads=4), atol=1e-4)
    assert load.describe(load.Source("npz", str(path)))["image_size"] == 32


def test_grid_side_is_a_square_grid_after_up_to_two_prefix_rows():
    assert grid_side(16) == (4, 0)
    assert grid_side(17) == (4, 1)
    assert grid_side(18) == (4, 2)  # DeiT distilled: class and distillation tokens
    with pytest.raises(ValueError, match="Received: rows=19"):
        grid_side(19)


def test_fit_posemb_adds_drops_and_resamples_the_class_row():
    posemb = np.random.default_rng(0).standard_normal((1, 17, 4)).astype("float32")
    np.testing.assert_array_equal(fit_posemb(posemb, 0, (4, 4)), posemb[:, 1:])
    added = fit_posemb(posemb[:, 1:], 1, (4, 4))
    np.testing.assert_array_equal(added, np.concatenate([np.zeros((1, 1, 4), "float32"), posemb[:, 1:]], axis=1))
    resized = fit_posemb(posemb, 1, (2, 2))
    assert resized.shape == (1, 5, 4)
    np.testing.assert_array_equal(resized[:, 0], posemb[:, 0])
    np.testing.assert_allclose(resized[0, 1], posemb[0, 1], atol=1e-6)  # corner-aligned: corners kept
