"""Model-level behaviour the reference tests could miss: `pooling="avg"` on a class-token model, the
`encoder_norm` and `gn_root` epsilons on low-amplitude inputs, and `posemb_interpolation="bicubic"` both when a
checkpoint is loaded at another size and in `dynamic_image_size` models, against PyTorch's bicubic."""

import numpy as np
import pytest
import reference
import resnet_reference
from torch_subprocess import requires, run_torch

import keras_vit

TINY = dict(hidden_size=32, depth=2, num_heads=4, mlp_dim=64, patch_size=8)
POSEMB = "Transformer/posembed_input/pos_embedding"


def save(tmp_path, params, name="ckpt.npz"):
    path = tmp_path / name
    np.savez(path, **params)
    return str(path)


def images(size=32, n=2, seed=0, scale=1.0):
    return (np.random.default_rng(seed).uniform(-1, 1, (n, size, size, 3)) * scale).astype("float32")


def reference_tokens(p, x):
    """The reference's encoder output `(n, 1 + patches, hidden)` of a class-token checkpoint."""
    p = {k: v.astype("float64") for k, v in p.items()}
    kernel = p["embedding/kernel"]
    tokens = reference.patchify(x.astype("float64"), kernel.shape[0]) @ kernel.reshape(-1, kernel.shape[-1])
    tokens = tokens + p["embedding/bias"]
    tokens = np.concatenate([np.broadcast_to(p["cls"], (len(x), 1, tokens.shape[-1])), tokens], axis=1)
    return reference.encoder(tokens + p[POSEMB], p, heads=4)


def test_avg_pooling_of_a_class_token_model_is_the_mean_of_the_patch_tokens(tmp_path):
    params, x = reference.random_checkpoint(), images()
    path = save(tmp_path, params)
    encoded = reference_tokens(params, x)
    for pooling, want in (("avg", encoded[:, 1:].mean(1)), ("token", encoded[:, 0])):
        model = keras_vit.ViT(image_size=32, weights=path, include_top=False, pooling=pooling, **TINY)
        np.testing.assert_allclose(model.predict(x, verbose=0), want, atol=2e-5)
    # The class token and the first patch token are far from the mean: leaving out the wrong ones shows.
    assert np.abs(encoded[:, :].mean(1) - encoded[:, 1:].mean(1)).max() > 1e-2
    assert np.abs(encoded[:, 2:].mean(1) - encoded[:, 1:].mean(1)).max() > 1e-2


def quiet_checkpoint():
    """The residual stream stays of the images' amplitude: no embedding bias, class token or posemb, and the
    branches' output projections scaled down; with images of amplitude 1e-3 every LayerNorm sees a variance near
    1e-6, so its epsilon shows."""
    params = reference.random_checkpoint(seed=3)
    for key in list(params):
        if key in ("embedding/bias", "cls", POSEMB) or key.endswith(("out/bias", "Dense_1/bias")):
            params[key] = np.zeros_like(params[key])
        elif key.endswith(("out/kernel", "Dense_1/kernel")):
            params[key] = params[key] * 1e-3
    return params


@pytest.mark.parametrize("epsilon", [1e-12, 1e-2])
def test_encoder_norm_uses_the_model_epsilon_on_low_amplitude_input(tmp_path, epsilon):
    params, x = quiet_checkpoint(), images(seed=1, scale=1e-3)
    want = reference.forward(params, x, heads=4, eps=epsilon)
    assert np.abs(reference.forward(params, x, heads=4, eps=1e-6) - want).max() > 0.1
    model = keras_vit.ViT(
        image_size=32, weights=save(tmp_path, params), classifier_activation=None, layer_norm_epsilon=epsilon, **TINY
    )
    np.testing.assert_allclose(model.predict(x, verbose=0), want, atol=2e-3)


def test_gn_root_uses_epsilon_1e6_on_low_amplitude_images(tmp_path):
    resnet, channels = resnet_reference.random_resnet(blocks=(1,), width=32)
    params = dict(resnet)
    params.update(reference.random_checkpoint(hidden=32, depth=1, heads=4, mlp=64, patch=1, grid=4, channels=channels))
    x = images(size=16, seed=2, scale=1e-4)  # the root convolution's output has a variance far below 1e-3
    features = resnet_reference.resnet(x, resnet)
    want = reference.forward(params, features, heads=4)
    model = keras_vit.ViTHybrid(
        image_size=16,
        weights=save(tmp_path, params),
        classifier_activation=None,
        hidden_size=32,
        depth=1,
        num_heads=4,
        mlp_dim=64,
        patch_size=1,
        resnet_blocks=(1,),
        resnet_width=0.5,
    )
    assert np.abs(want).max() > 1.0
    np.testing.assert_allclose(model.predict(x, verbose=0), want, atol=1e-3)


@pytest.fixture(scope="module")
def torch_bicubic(tmp_path_factory):
    """A 4x4 posemb grid resized to 6x6 and 5x3 by PyTorch's `interpolate(mode="bicubic", align_corners=False)`."""
    params = reference.random_checkpoint()
    grid = params[POSEMB][0, 1:].reshape(4, 4, -1)
    outputs = run_torch(
        """
        import torch
        grid = torch.from_numpy(inputs["grid"]).permute(2, 0, 1)[None]
        for name, size in (("g6x6", (6, 6)), ("g5x3", (5, 3))):
            out = torch.nn.functional.interpolate(grid, size=size, mode="bicubic", align_corners=False)
            outputs[name] = out[0].permute(1, 2, 0).numpy()
        """,
        {"grid": grid},
        tmp_path_factory.mktemp("torch"),
    )
    return params, outputs


def posemb_with(params, grid):
    return np.concatenate([params[POSEMB][:, :1], grid.reshape(1, -1, grid.shape[-1])], axis=1)


@requires("torch")
def test_loading_at_another_size_resamples_bicubic_as_torch(tmp_path, torch_bicubic):
    params, torch_grids = torch_bicubic
    model = keras_vit.ViT(
        image_size=48,
        weights=save(tmp_path, params),
        classifier_activation=None,
        posemb_interpolation="bicubic",
        **TINY,
    )
    want_posemb = posemb_with(params, torch_grids["g6x6"])
    got_posemb = np.asarray(model.get_layer("posembed_input").pos_embedding)
    np.testing.assert_allclose(got_posemb, want_posemb, atol=1e-5)
    x = images(size=48)
    np.testing.assert_allclose(
        model.predict(x, verbose=0), reference.forward(params, x, heads=4, posemb=want_posemb), atol=5e-5
    )


@requires("torch")
def test_dynamic_image_size_resamples_bicubic_as_torch(tmp_path, torch_bicubic):
    params, torch_grids = torch_bicubic
    model = keras_vit.ViT(
        image_size=32,
        weights=save(tmp_path, params),
        classifier_activation=None,
        posemb_interpolation="bicubic",
        dynamic_image_size=True,
        **TINY,
    )
    x = np.random.default_rng(4).uniform(-1, 1, (2, 40, 24, 3)).astype("float32")  # a 5x3 patch grid
    want = reference.forward(params, x, heads=4, posemb=posemb_with(params, torch_grids["g5x3"]))
    linear = reference.forward(params, x, heads=4, posemb=posemb_with(params, _linear(params)))
    assert np.abs(want - linear).max() > 1e-3  # bicubic and linear differ here
    np.testing.assert_allclose(model.predict(x, verbose=0), want, atol=5e-5)


def _linear(params):
    import scipy.ndimage

    grid = params[POSEMB][0, 1:].reshape(4, 4, -1).astype("float64")
    return scipy.ndimage.zoom(grid, (5 / 4, 3 / 4, 1), order=1)
