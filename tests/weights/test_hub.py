"""`weights="hf://ORG/NAME[@REVISION]"` through huggingface_hub, against a loopback server that plays the Hub.

The server answers what `hf_hub_download` asks (HEAD then GET `/{repo}/resolve/{revision}/{filename}`, with the
`X-Repo-Commit`, `ETag` and `Content-Length` headers; a 404 with `X-Error-Code` for a file or repository that does
not exist) from files the test wrote; `HF_ENDPOINT` points at it. Nothing reaches the network.
"""

import hashlib
import http.server
import os
import re
import threading

import numpy as np
import pytest
import reference
from torch_subprocess import requires

import keras_vit
from keras_vit.weights import hub

pytestmark = requires("huggingface_hub", "safetensors")

TINY = dict(image_size=32, patch_size=8, hidden_size=32, depth=2, num_heads=4, mlp_dim=64)
HEAD_LABELS = ["cat", "dog", "bird", "fish", "frog", "newt", "toad", "crab", "wasp", "moth"]


def transformers_config(**changes):
    config = dict(
        model_type="vit",
        architectures=["ViTForImageClassification"],
        image_size=32,
        patch_size=8,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        hidden_act="gelu",
        layer_norm_eps=1e-12,
        qkv_bias=True,
        id2label={str(i): name for i, name in enumerate(HEAD_LABELS)},
    )
    return dict(config, **changes)


def transformers_weights(params):
    """The official-layout `params` as transformers names them (the inverse of the adapter, written out here)."""
    out = {
        "vit.embeddings.cls_token": params["cls"],
        "vit.embeddings.position_embeddings": params["Transformer/posembed_input/pos_embedding"],
        "vit.embeddings.patch_embeddings.projection.weight": params["embedding/kernel"].transpose(3, 2, 0, 1),
        "vit.embeddings.patch_embeddings.projection.bias": params["embedding/bias"],
        "vit.layernorm.weight": params["Transformer/encoder_norm/scale"],
        "vit.layernorm.bias": params["Transformer/encoder_norm/bias"],
        "classifier.weight": params["head/kernel"].T,
        "classifier.bias": params["head/bias"],
    }
    for i in range(2):
        block, layer = f"Transformer/encoderblock_{i}/", f"vit.encoder.layer.{i}."
        attention = block + "MultiHeadDotProductAttention_1/"
        for name in ("query", "key", "value"):
            kernel = params[f"{attention}{name}/kernel"]
            out[f"{layer}attention.attention.{name}.weight"] = kernel.reshape(kernel.shape[0], -1).T
            out[f"{layer}attention.attention.{name}.bias"] = params[f"{attention}{name}/bias"].reshape(-1)
        out[f"{layer}attention.output.dense.weight"] = params[f"{attention}out/kernel"].reshape(-1, 32).T
        out[f"{layer}attention.output.dense.bias"] = params[f"{attention}out/bias"]
        for ours, theirs in (("LayerNorm_0", "layernorm_before"), ("LayerNorm_2", "layernorm_after")):
            out[f"{layer}{theirs}.weight"] = params[f"{block}{ours}/scale"]
            out[f"{layer}{theirs}.bias"] = params[f"{block}{ours}/bias"]
        for ours, theirs in (("Dense_0", "intermediate.dense"), ("Dense_1", "output.dense")):
            out[f"{layer}{theirs}.weight"] = params[f"{block}MlpBlock_3/{ours}/kernel"].T
            out[f"{layer}{theirs}.bias"] = params[f"{block}MlpBlock_3/{ours}/bias"]
    return {k: np.ascontiguousarray(v, dtype="float32") for k, v in out.items()}


class FakeHub:
    """`{repo_id: {revision: {filename: bytes}}}` served at `url`; `requests` records every (method, path)."""

    def __init__(self):
        self.repos, self.requests = {}, []
        hub_state = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_HEAD(self):
                self._answer(body=False)

            def do_GET(self):
                self._answer(body=True)

            def _answer(self, body):
                hub_state.requests.append((self.command, self.path))
                match = re.fullmatch(r"/([^/]+/[^/]+)/resolve/([^/]+)/(.+)", self.path.split("?")[0])
                repo = hub_state.repos.get(match.group(1)) if match else None
                if repo is None:
                    return self._error("RepoNotFound")
                revision = match.group(2)
                commit = next(
                    (c for c in repo if c == revision or hashlib.sha1(c.encode()).hexdigest() == revision), None
                )
                if commit is None:
                    return self._error("RevisionNotFound")
                data = repo[commit].get(match.group(3))
                if data is None:
                    return self._error("EntryNotFound")
                self.send_response(200)
                self.send_header("X-Repo-Commit", hashlib.sha1(commit.encode()).hexdigest())
                self.send_header("ETag", f'"{hashlib.sha256(data).hexdigest()}"')
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if body:
                    self.wfile.write(data)

            def _error(self, code):
                self.send_response(404)
                self.send_header("X-Error-Code", code)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def add(self, repo_id, files, revision="main"):
        self.repos.setdefault(repo_id, {})[revision] = files


@pytest.fixture
def fake_hub(tmp_path, monkeypatch):
    server = FakeHub()
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf_cache"))
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    yield server
    server.server.shutdown()
    server.server.server_close()


def _safetensors(arrays):
    from safetensors.numpy import save

    return save({k: np.ascontiguousarray(v) for k, v in arrays.items()}, metadata={"format": "pt"})


def _repo_files(params, **config):
    import json

    return {
        "config.json": json.dumps(transformers_config(**config)).encode(),
        "model.safetensors": _safetensors(transformers_weights(params)),
    }


@pytest.fixture
def checkpoint():
    return reference.random_checkpoint()


def _images():
    return np.random.default_rng(1).uniform(-1, 1, (2, 32, 32, 3)).astype("float32")


def test_an_hf_name_downloads_config_and_weights_and_builds_the_model(fake_hub, checkpoint):
    fake_hub.add("org/tiny-vit", _repo_files(checkpoint))
    model = keras_vit.create_model("hf://org/tiny-vit", classifier_activation=None)
    want = reference.forward(checkpoint, _images(), heads=4, gelu="exact", eps=1e-12)
    np.testing.assert_allclose(model.predict(_images(), verbose=0), want, atol=1e-4)
    assert keras_vit.model_class_names(model) == tuple(HEAD_LABELS)
    best = int(np.argmax(want[0]))
    assert keras_vit.decode_predictions(want, top=1, model=model)[0][0][:2] == (best, HEAD_LABELS[best])
    fetched = {path.rsplit("/", 1)[1] for method, path in fake_hub.requests if method == "GET"}
    assert fetched == {"config.json", "model.safetensors"}


def test_a_repositorys_preprocessor_config_gives_the_pixel_statistics(fake_hub, checkpoint):
    import json

    mean, std = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]  # as Facebook's DeiT repositories say
    files = _repo_files(checkpoint)
    files["preprocessor_config.json"] = json.dumps(dict(do_normalize=True, image_mean=mean, image_std=std)).encode()
    fake_hub.add("org/imagenet-vit", files)
    model = keras_vit.create_model("hf://org/imagenet-vit", classifier_activation=None)
    normalised = ((_images() + 1) / 2 - np.array(mean)) / np.array(std)  # what the image processor would give
    want = reference.forward(checkpoint, normalised.astype("float32"), heads=4, gelu="exact", eps=1e-12)
    np.testing.assert_allclose(model.predict(_images(), verbose=0), want, atol=1e-4)


def test_weights_of_a_named_model_take_an_hf_name(fake_hub, checkpoint):
    fake_hub.add("org/tiny-vit", _repo_files(checkpoint))
    model = keras_vit.ViT(**TINY, weights="hf://org/tiny-vit", classifier_activation=None)
    want = reference.forward(checkpoint, _images(), heads=4, gelu="exact", eps=1e-12)
    np.testing.assert_allclose(model.predict(_images(), verbose=0), want, atol=1e-4)


def test_a_revision_is_pinned(fake_hub, checkpoint):
    other = reference.random_checkpoint(seed=7)
    fake_hub.add("org/tiny-vit", _repo_files(checkpoint))
    fake_hub.add("org/tiny-vit", _repo_files(other), revision="v2")
    model = keras_vit.create_model("hf://org/tiny-vit@v2", classifier_activation=None)
    want = reference.forward(other, _images(), heads=4, gelu="exact", eps=1e-12)
    np.testing.assert_allclose(model.predict(_images(), verbose=0), want, atol=1e-4)
    assert any("/resolve/v2/" in path for _, path in fake_hub.requests)


def test_older_repositories_fall_back_to_pytorch_model_bin(fake_hub, checkpoint):
    files = _repo_files(checkpoint)
    files["pytorch_model.bin"] = files.pop("model.safetensors")  # only downloaded here, not read
    fake_hub.add("org/old-vit", files)
    directory = hub.download("hf://org/old-vit")
    assert sorted(os.listdir(directory)) == ["config.json", "pytorch_model.bin"]
    assert ("HEAD", "/org/old-vit/resolve/main/model.safetensors") in fake_hub.requests


def test_offline_mode_reads_the_cache_without_a_request(fake_hub, checkpoint, monkeypatch):
    fake_hub.add("org/tiny-vit", _repo_files(checkpoint))
    first = hub.download("hf://org/tiny-vit")
    fake_hub.requests.clear()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert hub.download("hf://org/tiny-vit") == first
    assert fake_hub.requests == []
    with pytest.raises(OSError, match=r"in the cache \(HF_HUB_OFFLINE is set\).*hf download org/other-vit"):
        hub.download("hf://org/other-vit")


def test_a_failed_download_names_the_file_to_fetch_by_hand(fake_hub, checkpoint):
    with pytest.raises(OSError, match=r"config\.json of org/missing from the Hub.*hf download org/missing"):
        keras_vit.create_model("hf://org/missing")
    fake_hub.add("org/no-weights", {"config.json": b"{}"})
    with pytest.raises(FileNotFoundError, match=r"no weights file \(model\.safetensors, pytorch_model\.bin\)"):
        hub.download("hf://org/no-weights")


@pytest.mark.parametrize("name", ["hf://", "hf://a/b/c", "hf://org/name@", "hf:///name"])
def test_malformed_names_say_the_form(name):
    with pytest.raises(ValueError, match=r"hf://ORG/NAME, optionally @REVISION"):
        hub.parse(name)


def test_names_parse_to_repo_and_revision():
    assert hub.parse("hf://google/vit-base-patch16-224") == ("google/vit-base-patch16-224", None)
    assert hub.parse("hf://google/vit-base-patch16-224@refs/pr/3") == ("google/vit-base-patch16-224", "refs/pr/3")


def test_without_huggingface_hub_the_error_says_what_to_install(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "huggingface_hub", None)
    with pytest.raises(ImportError, match=r"pip install keras-vit\[hub\]"):
        hub.download("hf://org/tiny-vit")


def test_a_timm_repository_is_read_by_the_timm_adapter(fake_hub, checkpoint):
    # timm's Hub repositories hold config.json (timm's own: no `model_type`) beside a state dict in timm's names.
    import json

    from keras_vit.weights.timm_format import from_canonical

    files = {
        "config.json": json.dumps({"architecture": "vit_tiny_patch8_32", "num_classes": 10}).encode(),
        "model.safetensors": _safetensors(from_canonical(checkpoint)),
    }
    fake_hub.add("timm/tiny-vit", files)
    model = keras_vit.create_model("hf://timm/tiny-vit", num_heads=4, classifier_activation=None)
    want = reference.forward(checkpoint, _images(), heads=4, gelu="exact", eps=1e-6)
    np.testing.assert_allclose(model.predict(_images(), verbose=0), want, atol=1e-4)


def test_create_model_builds_a_save_pretrained_directory(fake_hub, checkpoint):
    fake_hub.add("org/tiny-vit", _repo_files(checkpoint))
    directory = hub.download("hf://org/tiny-vit")
    model = keras_vit.create_model(directory, classifier_activation=None)
    want = reference.forward(checkpoint, _images(), heads=4, gelu="exact", eps=1e-12)
    np.testing.assert_allclose(model.predict(_images(), verbose=0), want, atol=1e-4)
    with pytest.raises(ValueError, match=r"names its weights already"):
        keras_vit.create_model(directory, weights="imagenet")
