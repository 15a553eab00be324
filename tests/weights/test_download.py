"""Weights by registered name: served from a loopback HTTP server, fetched with keras.utils.get_file."""

import hashlib
import http.server
import threading

import numpy as np
import pytest
import reference

import keras_vit
from keras_vit.models import presets
from keras_vit.weights.checkpoint import Checkpoint


@pytest.fixture
def server(tmp_path):
    """Serves tmp_path/served on 127.0.0.1 and counts the requests."""
    root = tmp_path / "served"
    root.mkdir()
    requests = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, *args):
            requests.append(self.path)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}", requests
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def own_table(monkeypatch):
    """Each test adds its rows to a copy of the preset table."""
    monkeypatch.setattr(presets, "CHECKPOINTS", list(presets.CHECKPOINTS))


def register_tiny(url, file_hash, name, timm=None, gelu="tanh", layer_norm_epsilon=1e-6):
    checkpoint = Checkpoint(
        model="vit_ti16",
        name=name,
        url=url,
        sha256=file_hash,
        image_size=32,
        classes=10,
        pre_logits=None,
        format="npz",
        gelu=gelu,
        layer_norm_epsilon=layer_norm_epsilon,
        timm=timm,
        source="test checkpoint",
    )
    presets.register(checkpoint)
    return checkpoint


def tiny_ti16_checkpoint():
    # Ti/16 sizes (hidden 192, 3 heads, MLP 768) at depth 12 are too big for a test; the checkpoint
    # lookup is per variant name, so a real Ti/16 layout at 32 px is used.
    return reference.random_checkpoint(hidden=192, depth=12, heads=3, mlp=768, patch=16, grid=2, classes=10)


def test_registered_name_is_downloaded_cached_and_loaded(server, monkeypatch):
    root, base, requests = server
    params = tiny_ti16_checkpoint()
    np.savez(root / "Ti_16.npz", **params)
    digest = hashlib.sha256((root / "Ti_16.npz").read_bytes()).hexdigest()
    register_tiny(f"{base}/Ti_16.npz", digest, "test_loopback")
    x = np.random.default_rng(0).uniform(-1, 1, (1, 32, 32, 3)).astype("float32")
    model = keras_vit.ViTTi16(weights="test_loopback", classifier_activation=None)
    assert model.input_shape == (None, 32, 32, 3)  # the checkpoint row's resolution
    np.testing.assert_allclose(model.predict(x, verbose=0), reference.forward(params, x, heads=3), atol=1e-4)
    keras_vit.ViTTi16(weights="test_loopback")
    assert requests == ["/Ti_16.npz"]  # the second build used the cache


def test_the_rows_numerics_reach_the_model(server):
    root, base, _ = server
    params = tiny_ti16_checkpoint()
    np.savez(root / "Ti_16_torch.npz", **params)
    register_tiny(f"{base}/Ti_16_torch.npz", None, "test_exact_gelu", gelu="exact", layer_norm_epsilon=1e-12)
    model = keras_vit.ViTTi16(weights="test_exact_gelu", classifier_activation=None)
    block = model.get_layer("encoderblock_11")
    assert (block.gelu, block.layer_norm_epsilon, model.get_layer("encoder_norm").epsilon) == ("exact", 1e-12, 1e-12)
    x = np.random.default_rng(2).uniform(-1, 1, (1, 32, 32, 3)).astype("float32")
    expected = reference.forward(params, x, heads=3, gelu="exact", eps=1e-12)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, atol=1e-4)
    # An explicit argument wins over the row.
    model = keras_vit.ViTTi16(weights="test_exact_gelu", gelu="tanh", include_top=False)
    assert model.get_layer("encoderblock_0").gelu == "tanh"


def test_hash_mismatch_fails_clearly(server):
    root, base, _ = server
    np.savez(root / "Ti_16.npz", **tiny_ti16_checkpoint())
    register_tiny(f"{base}/Ti_16.npz", "0" * 64, "test_bad_hash")
    with pytest.raises(ValueError, match="does not match its registered sha256"):
        keras_vit.ViTTi16(weights="test_bad_hash")


def test_alias_imagenet_resolves_to_a_real_file():
    checkpoint = presets.get_checkpoint("B/16", "imagenet")
    assert checkpoint.name == "augreg_in21k_ft_in1k" and checkpoint.classes == 1000
    assert checkpoint.url.startswith("https://storage.googleapis.com/vit_models/augreg/B_16-i21k-")
    assert presets.get_checkpoint("L/32", "imagenet").name == "imagenet21k+imagenet2012"  # no AugReg L/32


def test_timm_name_with_tag_loads_the_registered_checkpoint_of_its_resolution(server, monkeypatch):
    root, base, requests = server
    params = tiny_ti16_checkpoint()
    np.savez(root / "Ti_16_ft.npz", **params)
    digest = hashlib.sha256((root / "Ti_16_ft.npz").read_bytes()).hexdigest()
    # Ti/16's fine-tuned checkpoints, replaced for this test by one at 32 px (the tag's 224-px file is not there).
    monkeypatch.setattr(presets, "CHECKPOINTS", [c for c in presets.CHECKPOINTS if c.model != "vit_ti16"])
    register_tiny(f"{base}/Ti_16_ft.npz", digest, "augreg_in21k_ft_in1k", "vit_tiny_patch16_32.augreg_in21k_ft_in1k")
    model = keras_vit.create_model("vit_tiny_patch16_32.augreg_in21k_ft_in1k", classifier_activation=None)
    x = np.random.default_rng(1).uniform(-1, 1, (2, 32, 32, 3)).astype("float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), reference.forward(params, x, heads=3), atol=1e-4)
    assert requests == ["/Ti_16_ft.npz"]
    with pytest.raises(ValueError, match=r"No augreg_in21k_ft_in1k checkpoint of Ti/16 at 224 px \(released: 32 px\)"):
        keras_vit.create_model("vit_tiny_patch16_224.augreg_in21k_ft_in1k")


def test_failed_download_names_the_local_path_fix(server):
    _, base, requests = server
    register_tiny(f"{base}/missing/Ti_16.npz", None, "test_missing")
    with pytest.raises(OSError, match=r"Could not download weights='test_missing'.*weights='/path/to/Ti_16.npz'"):
        keras_vit.ViTTi16(weights="test_missing")
    assert requests and set(requests) == {"/missing/Ti_16.npz"}  # it did ask the server
