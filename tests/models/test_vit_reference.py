"""Logits of checkpoints in the official layout against the independent NumPy reference."""

import keras
import numpy as np
import pytest
import reference
import scipy.ndimage

import keras_vit

TINY = dict(hidden_size=32, depth=2, num_heads=4, mlp_dim=64, patch_size=8)


def save(tmp_path, params, name="ckpt.npz"):
    path = tmp_path / name
    np.savez(path, **params)
    return str(path)


def images(n=2, size=32, seed=1):
    return np.random.default_rng(seed).uniform(-1, 1, (n, size, size, 3)).astype("float32")


@pytest.mark.parametrize(
    "extra",
    [dict(), dict(representation_size=24), dict(classifier="gap")],
    ids=["token", "pre_logits", "gap"],
)
def test_logits_match_numpy_reference(tmp_path, extra):
    params = reference.random_checkpoint(**extra)
    classifier = extra.get("classifier", "token")
    model = keras_vit.ViT(
        image_size=32, classifier=classifier, weights=save(tmp_path, params), classifier_activation=None, **TINY
    )
    x = images()
    got = model.predict(x, verbose=0)
    want = reference.forward(params, x, heads=4)
    assert got.shape == (2, 10)
    np.testing.assert_allclose(got, want, atol=1e-4, rtol=0)
    if "representation_size" in extra:
        assert model.get_layer("pre_logits").units == 24  # built to match the checkpoint


def zoom_posemb(posemb, new_side):
    """The official code's resize: class row kept, grid zoomed with scipy (linear, corner-aligned)."""
    cls, grid = posemb[:, :1], posemb[0, 1:]
    side = int(np.sqrt(grid.shape[0]))
    grid = grid.reshape(side, side, -1)
    zoomed = scipy.ndimage.zoom(grid, (new_side / side, new_side / side, 1), order=1)
    return np.concatenate([cls, zoomed.reshape(1, new_side * new_side, -1)], axis=1)


@pytest.mark.parametrize("new_size", [48, 24])
def test_loading_at_another_resolution_matches_scipy_zoom(tmp_path, new_size):
    params = reference.random_checkpoint()
    model = keras_vit.ViT(image_size=new_size, weights=save(tmp_path, params), classifier_activation=None, **TINY)
    x = images(size=new_size)
    posemb = zoom_posemb(params["Transformer/posembed_input/pos_embedding"], new_size // 8)
    want = reference.forward(params, x, heads=4, posemb=posemb)
    np.testing.assert_allclose(model.predict(x, verbose=0), want, atol=1e-4, rtol=0)


def test_dynamic_image_size_equals_a_model_loaded_at_that_size(tmp_path):
    path = save(tmp_path, reference.random_checkpoint())
    dynamic = keras_vit.ViT(image_size=32, weights=path, dynamic_image_size=True, classifier_activation=None, **TINY)
    assert dynamic.input_shape == (None, None, None, 3)
    for height, width in [(32, 32), (48, 48), (32, 64)]:
        static = keras_vit.ViT(image_size=(height, width), weights=path, classifier_activation=None, **TINY)
        x = images(size=height) if height == width else np.random.default_rng(2).uniform(-1, 1, (2, height, width, 3))
        x = x.astype("float32")
        got = keras.ops.convert_to_numpy(dynamic(x))
        np.testing.assert_allclose(got, static.predict(x, verbose=0), atol=1e-5, rtol=0)


def test_big_vision_layouts_load_to_the_same_logits(tmp_path):
    """params/ prefix, per-type sub-module numbering, scan-stacked blocks, posemb without class row."""
    params = reference.random_checkpoint()
    posemb = params["Transformer/posembed_input/pos_embedding"].copy()
    posemb[:, 0] = 0.0  # big_vision's class token gets no position embedding
    params["Transformer/posembed_input/pos_embedding"] = posemb
    want = reference.forward(params, images(), heads=4)

    renamed = {}
    rename = {
        "MultiHeadDotProductAttention_1": "MultiHeadDotProductAttention_0",
        "LayerNorm_2": "LayerNorm_1",
        "MlpBlock_3": "MlpBlock_0",
    }
    stacked = {}
    for key, value in params.items():
        if key.startswith("Transformer/encoderblock_"):
            rest = key.split("/", 2)[2]
            for old, new in rename.items():
                rest = rest.replace(old, new)
            stacked.setdefault(rest, []).append(value)
        elif key == "Transformer/posembed_input/pos_embedding":
            renamed["params/pos_embedding"] = value[:, 1:]
        else:
            renamed["params/" + key] = value
    for rest, values in stacked.items():
        renamed["params/Transformer/encoderblock/" + rest] = np.stack(values)
    model = keras_vit.ViT(image_size=32, weights=save(tmp_path, renamed), classifier_activation=None, **TINY)
    np.testing.assert_allclose(model.predict(images(), verbose=0), want, atol=1e-4, rtol=0)


def test_include_top_false_returns_the_reference_representation(tmp_path):
    params = reference.random_checkpoint()
    path = save(tmp_path, params)
    x = images()
    tokens = keras_vit.ViT(image_size=32, weights=path, include_top=False, **TINY).predict(x, verbose=0)
    pooled = keras_vit.ViT(image_size=32, weights=path, include_top=False, pooling="token", **TINY).predict(
        x, verbose=0
    )
    p64 = {k: v.astype("float64") for k, v in params.items()}
    emb = reference.patchify(x.astype("float64"), 8) @ p64["embedding/kernel"].reshape(-1, 32) + p64["embedding/bias"]
    emb = np.concatenate([np.broadcast_to(p64["cls"], (2, 1, 32)), emb], axis=1)
    want = reference.encoder(emb + p64["Transformer/posembed_input/pos_embedding"], p64, heads=4)
    assert tokens.shape == (2, 17, 32)
    np.testing.assert_allclose(tokens, want, atol=1e-4, rtol=0)
    np.testing.assert_allclose(pooled, want[:, 0], atol=1e-4, rtol=0)


def test_new_class_count_reinitialises_the_head_with_a_warning(tmp_path):
    params = reference.random_checkpoint(classes=10)
    with pytest.warns(UserWarning, match="head has 10 classes and the model 3"):
        model = keras_vit.ViT(image_size=32, weights=save(tmp_path, params), classes=3, **TINY)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(model.get_layer("head").kernel), 0.0)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(model.get_layer("embedding").kernel), params["embedding/kernel"]
    )


@pytest.mark.tf_only
def test_dynamic_model_in_a_graph_with_unknown_sizes_and_under_xla(tmp_path):
    import tensorflow as tf

    path = save(tmp_path, reference.random_checkpoint())
    dynamic = keras_vit.ViT(image_size=32, weights=path, dynamic_image_size=True, classifier_activation=None, **TINY)
    graph = tf.function(dynamic, input_signature=[tf.TensorSpec((None, None, None, 3))])
    xla = tf.function(dynamic, jit_compile=True)
    x = np.random.default_rng(3).uniform(-1, 1, (2, 48, 64, 3)).astype("float32")
    static = keras_vit.ViT(image_size=(48, 64), weights=path, classifier_activation=None, **TINY)
    want = static.predict(x, verbose=0)
    np.testing.assert_allclose(graph(x).numpy(), want, atol=1e-5)
    np.testing.assert_allclose(xla(x).numpy(), want, atol=1e-5)


def test_dynamic_model_rejects_a_size_that_is_not_a_multiple_of_the_patch(tmp_path):
    dynamic = keras_vit.ViT(image_size=32, dynamic_image_size=True, **TINY)
    with pytest.raises(ValueError, match="multiples of the patch size 8"):
        dynamic(np.zeros((1, 36, 32, 3), "float32"))
