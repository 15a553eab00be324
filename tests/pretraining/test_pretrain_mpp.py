"""pretrain_mpp and the CLI on a slice of the real Fashion-MNIST, then train --init-from its encoder."""

import json
import os

import keras
import numpy as np
import pytest

from keras_vit import cli, preprocess_input
from keras_vit.data import fashion_mnist, load
from keras_vit.fewshot import fewshot_evaluate
from keras_vit.training import build_model, get_recipe

HAVE_FILES = os.path.exists(os.path.join(fashion_mnist.DEFAULT_DIR, "train-images-idx3-ubyte.gz"))
pytestmark = [
    pytest.mark.tf_only,
    pytest.mark.skipif(not HAVE_FILES, reason="Debian's dataset-fashion-mnist is not installed"),
]


def test_cli_pretrains_and_train_starts_from_the_encoder(tmp_path):
    out = str(tmp_path)
    argv = ["pretrain-mpp", "--model", "vit_tiny", "--epochs", "1", "--steps", "2", "--batch-size", "32"]
    argv += ["--fewshot-shots", "1,2", "--fewshot-seeds", "1"]
    assert cli.main(argv + ["--val-size", "64", "--out", out, "--name", "mpp", "--verbose", "0"]) == 0
    run = tmp_path / "mpp"
    results = json.loads((run / "results.json").read_text())
    assert results["mpp"] == dict(bits=3, corrupt_rate=0.5, mask_rate=0.8, random_rate=0.1)
    assert len(results["history"]["loss"]) == 1 and 0.0 <= results["val_patch_accuracy"] <= 1.0
    encoder = keras.saving.load_model(run / "encoder.keras", compile=False)
    assert encoder.output_shape == (None, 16, 32)  # tokens of vit_tiny: 4×4 patches, width 32, no class token

    config = get_recipe("fmnist").__class__(model="vit_tiny", init_from=str(run / "encoder.keras"))
    model = build_model(config, num_classes=10)
    # The reported probe is the few-shot evaluation of the saved encoder's features, recomputed here.
    data = load("fashion_mnist", val_size=64, seed=0)

    def preprocess(images):
        return preprocess_input(np.repeat(images[..., None], 3, axis=-1))

    expected = fewshot_evaluate(
        model, data.train, data.test, shots=(1, 2), num_classes=10, seeds=1, batch_size=32, preprocess=preprocess
    )
    assert results["fewshot"] == pytest.approx({f"{k}shot": v for k, v in expected.items()}, abs=1e-6)
    for name in ("embedding", "posembed_input", "encoderblock_1", "encoder_norm"):
        for got, want in zip(model.get_layer(name).get_weights(), encoder.get_layer(name).get_weights(), strict=True):
            np.testing.assert_array_equal(got, want)
    with pytest.raises(ValueError, match="init_from"):
        build_model(config.__class__(model="vit_b16", weights="imagenet21k", init_from="x.keras"), num_classes=10)


def test_unsupported_settings_are_refused():
    from keras_vit.pretraining.pretrain import pretrain_mpp

    with pytest.raises(ValueError, match="fixed number of epochs"):
        pretrain_mpp(time_budget_min=5.0)
    with pytest.raises(ValueError, match="one device"):
        pretrain_mpp(strategy="mirrored")
