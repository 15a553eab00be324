"""The masked-patch-prediction model against the NumPy reference ViT, its loss, training and saving."""

import keras
import numpy as np
import pytest
import reference

import keras_vit
from keras_vit.pretraining import INTACT, MASKED, MaskedPatchPredictor, masked_patch_predictor, mean_colour_targets

TINY = dict(hidden_size=32, depth=2, num_heads=4, mlp_dim=64, patch_size=8)


def _vit(tmp_path, params, **kwargs):
    path = tmp_path / "ckpt.npz"
    np.savez(path, **params)
    return keras_vit.ViT(image_size=32, weights=str(path), **TINY, **kwargs)


@pytest.mark.parametrize("classifier", ["token", "gap"])
def test_logits_match_reference_on_the_corrupted_tokens(tmp_path, rng, classifier):
    params = reference.random_checkpoint(classifier=classifier)
    mpp = masked_patch_predictor(_vit(tmp_path, params, classifier=classifier), random_rate=0.0, seed=1)
    head = mpp.get_layer("mpp_head")
    head.set_weights([rng.standard_normal(w.shape).astype("float32") * 0.3 for w in head.weights])
    mpp.get_layer("corruption").mask_embedding.assign(rng.standard_normal(32).astype("float32"))
    images = rng.uniform(-1, 1, (3, 32, 32, 3)).astype("float32")
    out = {k: keras.ops.convert_to_numpy(v) for k, v in mpp(images).items()}

    # Reference: patch embeddings, [mask] where the model masked, then class token, posemb, blocks, norm.
    p = {k: v.astype("float64") for k, v in params.items()}
    kernel = p["embedding/kernel"]
    tokens = reference.patchify(images.astype("float64"), 8) @ kernel.reshape(-1, 32) + p["embedding/bias"]
    mask = keras.ops.convert_to_numpy(mpp.get_layer("corruption").mask_embedding)
    tokens[out["mode"] == MASKED] = mask
    if classifier == "token":
        tokens = np.concatenate([np.broadcast_to(p["cls"], (3, 1, 32)), tokens], axis=1)
    x = reference.encoder(tokens + p["Transformer/posembed_input/pos_embedding"], p, heads=4)
    x = x[:, 1:] if classifier == "token" else x
    kernel, bias = (keras.ops.convert_to_numpy(w) for w in head.weights)
    np.testing.assert_allclose(out["logits"], x @ kernel + bias, atol=2e-4)
    np.testing.assert_array_equal(out["targets"], reference_targets(images))
    assert out["logits"].shape == (3, 16, 512) and (out["mode"] != INTACT).sum(axis=1).tolist() == [8, 8, 8]


def reference_targets(images):
    return keras.ops.convert_to_numpy(mean_colour_targets(images, 8))


def test_loss_is_the_mean_over_corrupted_patches_only(rng):
    encoder = keras_vit.ViT(image_size=16, patch_size=4, hidden_size=32, depth=2, num_heads=2, mlp_dim=64)
    mpp = masked_patch_predictor(encoder, seed=0)
    head = mpp.get_layer("mpp_head")
    head.set_weights([rng.standard_normal(w.shape).astype("float32") for w in head.weights])
    y_pred = mpp(rng.uniform(-1, 1, (4, 16, 16, 3)).astype("float32"))
    logits, targets, mode = (keras.ops.convert_to_numpy(y_pred[k]) for k in ("logits", "targets", "mode"))
    log_probs = logits - logits.max(-1, keepdims=True)
    log_probs -= np.log(np.exp(log_probs).sum(-1, keepdims=True))
    nll = -np.take_along_axis(log_probs, targets[..., None], -1)[..., 0]
    expected = nll[mode != INTACT].mean()
    assert abs(nll[mode == INTACT].mean() - expected) > 1e-3  # the two averages differ, so the test can tell
    mpp.compile(keras.optimizers.Adam())
    np.testing.assert_allclose(keras.ops.convert_to_numpy(mpp.compute_loss(None, None, y_pred)), expected, rtol=1e-5)


def test_fit_learns_flat_colours_and_trains_the_encoder_in_place(rng):
    # Every image is one flat colour: a corrupted patch's colour is its neighbours', so it can be learned.
    colours = rng.uniform(-1, 1, (256, 1, 1, 3)).astype("float32")
    images = np.broadcast_to(colours, (256, 16, 16, 3)).copy()
    encoder = keras_vit.ViT(image_size=16, patch_size=4, hidden_size=32, depth=2, num_heads=2, mlp_dim=64)
    before = encoder.get_layer("encoderblock_1").get_weights()[0].copy()
    mpp = masked_patch_predictor(encoder, bits=1, seed=0)  # 8 colours
    mpp.compile(keras.optimizers.Adam(3e-3))
    start = mpp.evaluate(images, batch_size=64, verbose=0, return_dict=True)
    mpp.fit(images, epochs=12, batch_size=32, verbose=0)
    end = mpp.evaluate(images, batch_size=64, verbose=0, return_dict=True)
    assert start["patch_accuracy"] < 0.3 and end["patch_accuracy"] > 0.8, (start, end)
    assert end["loss"] < 0.5 * start["loss"]
    # The pre-training model's layers are the encoder's own.
    after = encoder.get_layer("encoderblock_1").get_weights()[0]
    assert not np.allclose(before, after)
    np.testing.assert_array_equal(after, mpp.get_layer("encoderblock_1").get_weights()[0])


def test_keras_round_trip(tmp_path, rng):
    encoder = keras_vit.ViT(image_size=16, patch_size=4, hidden_size=32, depth=2, num_heads=2, mlp_dim=64)
    # No corruption, so that both models' outputs are deterministic.
    mpp = masked_patch_predictor(encoder, corrupt_rate=0.0)
    head = mpp.get_layer("mpp_head")
    head.set_weights([rng.standard_normal(w.shape).astype("float32") for w in head.weights])
    mpp.save(tmp_path / "mpp.keras")
    loaded = keras.saving.load_model(tmp_path / "mpp.keras")
    assert isinstance(loaded, MaskedPatchPredictor)
    images = rng.uniform(-1, 1, (2, 16, 16, 3)).astype("float32")
    for key in ("logits", "targets", "mode"):
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(loaded(images)[key]), keras.ops.convert_to_numpy(mpp(images)[key]), atol=1e-6
        )
    assert loaded.get_layer("corruption").get_config() == mpp.get_layer("corruption").get_config()


def test_errors():
    hybrid = keras_vit.ViTHybrid(
        image_size=32, patch_size=1, resnet_blocks=(), hidden_size=32, depth=1, num_heads=2, mlp_dim=64
    )
    with pytest.raises(ValueError, match="plain ViT"):
        masked_patch_predictor(hybrid)
    dynamic = keras_vit.ViT(image_size=16, dynamic_image_size=True, **TINY)
    with pytest.raises(ValueError, match="fixed image size"):
        masked_patch_predictor(dynamic)
    mpp = masked_patch_predictor(keras_vit.ViT(image_size=16, **TINY))
    mpp.compile(keras.optimizers.Adam(), loss="mse")
    with pytest.raises(ValueError, match="without `loss`"):
        mpp.fit(np.zeros((2, 16, 16, 3), "float32"), epochs=1, verbose=0)
