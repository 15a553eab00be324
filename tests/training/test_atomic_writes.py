"""A run killed while it writes leaves the previous file or none, never a half-written one that later loads."""

import json
import os

import keras
import numpy as np
import pytest

from keras_vit.training import atomic
from keras_vit.training.best_checkpoint import BestModelCheckpoint


@pytest.fixture
def run_dir(tmp_path):
    """A folder of its own (Keras may write its cache into `tmp_path`)."""
    path = tmp_path / "run"
    path.mkdir()
    return path


class Killed(Exception):
    """Stands for the process dying in the middle of a write."""


def _tiny_model():
    inputs = keras.Input((3,))
    return keras.Model(inputs, keras.layers.Dense(2, name="dense")(inputs))


def _dies_half_way(model, monkeypatch):
    """model.save writes half a file, then the process "dies"."""

    def save(path, *args, **kwargs):
        with open(path, "wb") as f:
            f.write(b"PK\x03\x04 half a zip")
        raise Killed

    monkeypatch.setattr(model, "save", save)


def test_a_killed_save_leaves_no_file_and_no_temporary(run_dir, monkeypatch):
    model = _tiny_model()
    _dies_half_way(model, monkeypatch)
    target = run_dir / "model.keras"
    with pytest.raises(Killed):
        atomic.save_model(model, str(target))
    assert os.listdir(run_dir) == []


def test_a_killed_save_keeps_the_previous_file(run_dir, monkeypatch):
    model = _tiny_model()
    target = str(run_dir / "model.keras")
    atomic.save_model(model, target)
    before = open(target, "rb").read()
    _dies_half_way(model, monkeypatch)
    with pytest.raises(Killed):
        atomic.save_model(model, target)
    assert open(target, "rb").read() == before
    assert os.listdir(run_dir) == ["model.keras"]
    assert keras.saving.load_model(target).get_layer("dense").units == 2


def test_a_killed_json_write_keeps_the_previous_results(run_dir, monkeypatch):
    target = str(run_dir / "results.json")
    atomic.write_json(target, {"test_accuracy": 0.9})
    real_dump = json.dump

    def dump(data, f, **kwargs):
        f.write('{"test_accuracy": ')  # half the file
        raise Killed

    monkeypatch.setattr(json, "dump", dump)
    with pytest.raises(Killed):
        atomic.write_json(target, {"test_accuracy": 0.1})
    monkeypatch.setattr(json, "dump", real_dump)
    assert json.load(open(target)) == {"test_accuracy": 0.9} and os.listdir(run_dir) == ["results.json"]


def test_a_temporary_left_by_a_kill_is_replaced(run_dir):
    target = str(run_dir / "results.json")
    with open(atomic.partial_path(target), "w") as f:
        f.write("{half")
    atomic.write_json(target, {"a": 1})
    assert json.load(open(target)) == {"a": 1} and os.listdir(run_dir) == ["results.json"]


def test_best_checkpoint_saves_only_improvements(run_dir):
    model = _tiny_model()
    path = str(run_dir / "best.keras")
    callback = BestModelCheckpoint(path, monitor="val_accuracy", mode="max")
    callback.set_model(model)
    saved = []
    for epoch, accuracy in enumerate([0.5, 0.4, 0.7, float("nan"), 0.7]):
        model.get_layer("dense").kernel.assign(np.full((3, 2), epoch, "float32"))
        callback.on_epoch_end(epoch, {"val_accuracy": accuracy})
        saved.append(float(keras.saving.load_model(path).get_layer("dense").kernel.numpy()[0, 0]))
    assert saved == [0, 0, 2, 2, 2]  # epoch 2 beat epoch 0; ties, worse and NaN epochs keep the file
    assert os.listdir(run_dir) == ["best.keras"]
    low = BestModelCheckpoint(str(run_dir / "low.keras"), monitor="loss", mode="min")
    low.set_model(model)
    low.on_epoch_end(0, {"loss": 2.0})
    low.on_epoch_end(1, {"loss": 3.0})
    assert low.best == 2.0
