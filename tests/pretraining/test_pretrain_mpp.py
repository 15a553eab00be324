"""pretrain_mpp and the CLI on a slice of the real Fashion-MNIST, then train --init-from its encoder."""

import json
import os
import subprocess
import sys
import textwrap

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


# Two logical CPUs (TensorFlow fixes its devices on first use: a fresh process, and one per part, since two
# MirroredStrategy objects in one process collide in their collective ops). With every patch masked
# (corrupt_rate = mask_rate = 1) the corruption is deterministic, so two replicas must follow one device's
# loss trajectory and end with its weights: the loss is divided by the replica count as Keras's own losses are
# (without it the strategy's summed gradients double every step and the logged loss doubles too).
MIRRORED = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras, keras_vit
    from keras_vit.pretraining import masked_patch_predictor
    from keras_vit.pretraining.pretrain import pretrain_mpp
    from keras_vit.training.strategy import get_strategy

    def fit(name):
        dist = get_strategy(name)
        with dist.scope():
            vit = keras_vit.ViT(image_size=8, patch_size=2, hidden_size=16, depth=1, num_heads=2, mlp_dim=32,
                                classes=3, classifier="gap")
            rng = np.random.default_rng(0)
            vit.set_weights([rng.normal(scale=0.3, size=w.shape).astype("float32") for w in vit.get_weights()])
            mpp = masked_patch_predictor(vit, 3, 1.0, 1.0, 0.0, seed=0)
            mpp.compile(keras.optimizers.SGD(0.1), jit_compile=dist.resolve_jit(True))
        losses = []

        class Record(keras.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                losses.append(float(logs["loss"]))

        # One step per epoch: Keras reports a running mean within an epoch.
        x = np.random.default_rng(1).uniform(-1, 1, (64, 8, 8, 3)).astype("float32")
        mpp.fit(tf.data.Dataset.from_tensor_slices(x).batch(16).repeat(), epochs=4, steps_per_epoch=1, verbose=0,
                callbacks=[Record()], shuffle=False)
        return dict(losses=losses, replicas=dist.num_replicas,
                    weights=[float(np.sum(np.abs(w))) for w in vit.get_weights()])

    if sys.argv[1] == "pretrain":
        run = pretrain_mpp(model="vit_tiny", epochs=1, steps_per_epoch=2, batch_size=32, val_size=64,
                           strategy="mirrored", fewshot_shots=(), out=sys.argv[2], name="mpp", verbose=0)
        result = dict(loss=run.history["loss"][0], val_loss=run.val_loss)
    else:
        result = dict(one_device=fit("one_device"), mirrored=fit("mirrored"))
    print("RESULT" + json.dumps(result))
    """
)


def _run(script, *args):
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, PYTHONPATH=root, KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="2")
    proc = subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = [line for line in proc.stdout.splitlines() if line.startswith("RESULT")][-1]
    return json.loads(line[len("RESULT") :])


def test_mirrored_two_cpu_devices_matches_one_device(tmp_path):
    script = tmp_path / "mirrored.py"
    script.write_text(MIRRORED)
    result = _run(script, "fit")
    one, two = result["one_device"], result["mirrored"]
    assert two["replicas"] == 2 and one["replicas"] == 1
    assert one["losses"][0] > one["losses"][-1]  # it trains
    np.testing.assert_allclose(two["losses"], one["losses"], rtol=1e-4)
    # Summed |w| per tensor; the replicas' reduction order differs from one device's (seen: 4e-4 relative).
    np.testing.assert_allclose(two["weights"], one["weights"], rtol=2e-3)

    # The whole pre-training under the strategy: a freshly initialised 512-way head starts near log(512);
    # a loss counted once per replica would read twice that.
    pretrain = _run(script, "pretrain", str(tmp_path))
    assert 0.5 * np.log(512) < pretrain["loss"] < 1.2 * np.log(512)
    assert 0.5 * np.log(512) < pretrain["val_loss"] < 1.2 * np.log(512)
    results = json.loads((tmp_path / "mpp" / "results.json").read_text())
    assert results["config"]["strategy"] == "mirrored"
    encoder = keras.saving.load_model(tmp_path / "mpp" / "encoder.keras", compile=False)
    assert encoder.output_shape == (None, 16, 32)
