"""The encoder/head seam: register tokens and a custom head against NumPy, the paper models' layer names."""

import keras
import numpy as np
import pytest
import reference

import keras_vit
from keras_vit.layers import TokenPooling
from keras_vit.models.from_checkpoint import model_from_checkpoint
from keras_vit.models.vit import build_encoder, build_vit

TINY = dict(hidden_size=32, depth=2, num_heads=4, mlp_dim=64, patch_size=8)


def images(n=2, size=32, seed=1):
    return np.random.default_rng(seed).uniform(-1, 1, (n, size, size, 3)).astype("float32")


def checkpoint(tmp_path, registers=0, **kwargs):
    params = reference.random_checkpoint(**kwargs)
    if registers:
        params["reg"] = np.random.default_rng(5).standard_normal((1, registers, 32)).astype("float32")
    path = tmp_path / "ckpt.npz"
    np.savez(path, **params)
    return params, str(path)


def embed(p, x):
    """Patch tokens (+ class token) + position embedding, as in the official model."""
    kernel = p["embedding/kernel"]
    tokens = reference.patchify(x.astype("float64"), 8) @ kernel.reshape(-1, 32) + p["embedding/bias"]
    if "cls" in p:
        tokens = np.concatenate([np.broadcast_to(p["cls"], (len(x), 1, 32)), tokens], axis=1)
    return tokens + p["Transformer/posembed_input/pos_embedding"]


@pytest.mark.parametrize("classifier", ["token", "gap"])
def test_register_tokens_get_no_posemb_and_are_left_out_of_the_pooling(tmp_path, classifier):
    params, path = checkpoint(tmp_path, registers=3, classifier=classifier)
    model = keras_vit.ViT(
        image_size=32, classifier=classifier, register_tokens=3, weights=path, classifier_activation=None, **TINY
    )
    x = images()
    tokens = embed(params, x)
    cls = 1 if classifier == "token" else 0
    reg = np.broadcast_to(params["reg"], (2, 3, 32))
    tokens = np.concatenate([tokens[:, :cls], reg, tokens[:, cls:]], axis=1)  # timm: [cls, reg, patches]
    encoded = reference.encoder(tokens, params, heads=4)
    pooled = encoded[:, 0] if cls else encoded[:, 3:].mean(1)
    want = pooled @ params["head/kernel"] + params["head/bias"]
    np.testing.assert_allclose(model.predict(x, verbose=0), want, atol=1e-4, rtol=0)


def test_a_register_model_survives_a_keras_round_trip(tmp_path):
    model = keras_vit.ViT(image_size=32, register_tokens=2, classes=5, **TINY)
    model.get_layer("registers").reg.assign(np.ones((1, 2, 32), "float32"))
    path = tmp_path / "reg.keras"
    model.save(path)
    x = images()
    np.testing.assert_allclose(keras.saving.load_model(path).predict(x, verbose=0), model.predict(x, verbose=0))


def test_the_paper_model_keeps_its_layer_names():
    names = [layer.name for layer in keras_vit.ViT(image_size=32, representation_size=16, **TINY).layers]
    assert names == [
        "image",
        "embedding",
        "tokens",
        "cls",
        "posembed_input",
        "posemb_dropout",
        "encoderblock_0",
        "encoderblock_1",
        "encoder_norm",
        "pool",
        "pre_logits",
        "head",
    ]


def test_the_encoder_knows_no_head_and_matches_the_reference(tmp_path):
    params, path = checkpoint(tmp_path)
    inputs = keras.Input((32, 32, 3))
    encoder = keras.Model(inputs, build_encoder(inputs, (4, 4), prefix_tokens={"cls": 1}, **TINY))
    assert encoder.layers[-1].name == "encoder_norm"
    keras_vit.weights.load.load_npz(encoder, {k: v for k, v in params.items() if not k.startswith("head/")})
    x = images()
    want = reference.encoder(embed(params, x), params, heads=4)
    np.testing.assert_allclose(encoder.predict(x, verbose=0), want, atol=1e-4, rtol=0)


def two_heads(encoded, *, pooling, num_prefix_tokens, representation_size, classes, classifier_activation):
    """A DeiT-style head: one Dense on the class token, one on the second token, their mean."""
    logits = []
    for index, name in ((0, "head"), (1, "head_dist")):
        pooled = TokenPooling("token", num_prefix_tokens, index=index, name=f"pool_{name}")(encoded)
        logits.append(keras.layers.Dense(classes, name=name)(pooled))
    return keras.layers.Average(name="logits")(logits)


def test_prefix_tokens_and_the_head_are_arguments_of_the_builder():
    model = build_vit(image_size=32, prefix_tokens={"cls": 1, "dist": 1}, head=two_heads, classes=3, **TINY)
    cls, dist = np.full((1, 1, 32), 1.0, "float32"), np.full((1, 1, 32), -1.0, "float32")
    model.get_layer("cls").cls.assign(cls)
    model.get_layer("cls").dist.assign(dist)
    assert model.get_layer("posembed_input").pos_embedding.shape == (1, 2 + 16, 32)
    x = images()
    encoded = keras.Model(model.inputs, model.get_layer("encoder_norm").output).predict(x, verbose=0)
    head, head_dist = model.get_layer("head"), model.get_layer("head_dist")
    want = (head(encoded[:, 0]) + head_dist(encoded[:, 1])) / 2
    np.testing.assert_allclose(model.predict(x, verbose=0), keras.ops.convert_to_numpy(want), atol=1e-5)


def test_a_checkpoint_with_register_tokens_builds_and_checks_its_model(tmp_path):
    params, path = checkpoint(tmp_path, registers=3)
    with pytest.raises(ValueError, match="register_tokens: checkpoint 3, model 0"):
        keras_vit.ViT(image_size=32, weights=path, **TINY)
    model = model_from_checkpoint(path, classifier_activation=None)
    assert model.get_layer("registers").reg.shape == (1, 3, 32)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(model.get_layer("registers").reg), params["reg"])


def test_a_negative_register_count_is_rejected():
    with pytest.raises(ValueError, match="Received: register_tokens=-1"):
        keras_vit.ViT(image_size=32, register_tokens=-1, **TINY)
