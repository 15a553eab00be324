import csv
import os

import keras
import numpy as np
import pytest

from keras_vit import preprocess_input
from keras_vit.data import Data, fashion_mnist
from keras_vit.training import train

HAVE_FILES = os.path.exists(os.path.join(fashion_mnist.DEFAULT_DIR, "train-images-idx3-ubyte.gz"))
pytestmark = pytest.mark.skipif(not HAVE_FILES, reason="Debian's dataset-fashion-mnist is not installed")


def _slice(n_train=64, n_test=64):
    (x, y), (xt, yt) = fashion_mnist.load_data()
    return Data(
        train=(x[:n_train], y[:n_train]),
        val=(x[-32:], y[-32:]),
        test=(xt[:n_test], yt[:n_test]),
        num_classes=10,
        image_shape=(28, 28, 1),
        class_names=fashion_mnist.CLASS_NAMES,
        description=f"Fashion-MNIST slice: {n_train} train",
    )


def test_two_step_fit_on_real_images(tmp_path):
    data = _slice()
    result = train(
        "fmnist",
        data=data,
        model="vit_tiny",
        epochs=1,
        batch_size=32,
        lr=3e-3,
        warmup=0,
        fewshot_shots=(1, 5),
        fewshot_seeds=1,
        out=str(tmp_path),
        name="run",
        save_saved_model=False,
        verbose=0,
    )
    model = result.model
    assert result.steps_per_epoch == 2 and result.epochs == 1
    assert int(keras.ops.convert_to_numpy(model.optimizer.iterations)) == 2
    # The recipe's default compiles with XLA on TensorFlow and JAX, and stays eager on torch (Keras's "auto" there).
    assert model.jit_compile is (keras.backend.backend() != "torch")
    # The reported test accuracy, recomputed independently from the raw images.
    x_test, y_test = data.test
    probs = model.predict(preprocess_input(np.repeat(x_test[..., None], 3, axis=-1)), verbose=0)
    assert result.test_accuracy == pytest.approx(np.mean(probs.argmax(1) == y_test), abs=1e-6)
    assert set(result.fewshot) == {1, 5} and all(0.0 <= v <= 1.0 for v in result.fewshot.values())
    # Outputs: the final model reloads to the same predictions; one CSV row per epoch.
    reloaded = keras.saving.load_model(result.paths["model"], compile=False)
    np.testing.assert_allclose(
        reloaded.predict(preprocess_input(np.repeat(x_test[:8, ..., None], 3, -1)), verbose=0), probs[:8], atol=1e-5
    )
    with open(result.paths["csv"]) as f:
        rows = list(csv.DictReader(f))
    assert [int(r["epoch"]) for r in rows] == [0] and "val_accuracy" in rows[0]
    assert os.path.exists(result.paths["best"]) and os.path.exists(result.paths["results"])
    assert not os.path.exists(result.paths["backup"])  # removed once training finished
    events = [f for _, _, files in os.walk(result.paths["logs"]) for f in files if "tfevents" in f]
    assert events, "TensorBoard wrote no event file"


def test_time_budget_cuts_epochs_and_schedule(tmp_path):
    result = train(
        "fmnist",
        data=_slice(n_train=64, n_test=32),
        model="vit_tiny",
        epochs=4,
        batch_size=32,
        time_budget_min=0.01,  # spent by the first epoch: one epoch in all
        fewshot_shots=(),
        out=str(tmp_path),
        name="budget",
        save_saved_model=False,
        verbose=0,
    )
    assert result.epochs == 1
    schedule = result.schedule
    assert schedule.current_total_steps() == 2
    # The schedule reached its end value within the single epoch.
    assert float(keras.ops.convert_to_numpy(schedule(2))) == pytest.approx(schedule.end_lr)


def test_model_and_config_errors(tmp_path):
    with pytest.raises(ValueError, match="no released weights.*Received: weights='imagenet'"):
        train("fmnist", data=_slice(), model="vit_tiny", weights="imagenet", out=str(tmp_path))
    with pytest.raises(ValueError, match="fewer images than one batch.*Received: batch_size=128"):
        train("fmnist", data=_slice(n_train=64), model="vit_tiny", batch_size=128, out=str(tmp_path))
