"""The steps of `train`, each on its own (no fit): config, paths, callbacks, few-shot reuse, export, results."""

import importlib
import os
import types

import keras
import pytest

from keras_vit.fewshot import FewShotCallback
from keras_vit.training import get_recipe, model_source, train
from keras_vit.training.best_checkpoint import BestModelCheckpoint
from keras_vit.training.time_budget import TimeBudget

# The module, not the function `keras_vit.training.train` that the package exports under the same name.
train_module = importlib.import_module("keras_vit.training.train")


def test_resolve_config_takes_a_recipe_name_or_none_and_applies_overrides():
    assert train_module.resolve_config(None, {}) == get_recipe("fmnist")
    config = train_module.resolve_config("fmnist", dict(epochs=3, model="vit_tiny"))
    assert (config.epochs, config.model) == (3, "vit_tiny")
    assert train_module.resolve_config(config, dict(epochs=4)).epochs == 4


def test_run_paths_are_the_files_the_docstring_lists(tmp_path):
    paths = train_module.run_paths(str(tmp_path))
    assert paths["run_dir"] == str(tmp_path)
    names = {key: os.path.basename(path) for key, path in paths.items() if key != "run_dir"}
    assert names == dict(
        model="model.keras",
        best="best.keras",
        saved_model="saved_model",
        logs="logs",
        csv="log.csv",
        results="results.json",
        backup="backup",
    )


def test_callbacks_run_budget_then_fewshot_then_the_recorders(tmp_path):
    config = get_recipe("fmnist").__class__(fewshot_shots=(1,), fewshot_every=1, time_budget_min=1)
    paths = train_module.run_paths(str(tmp_path))
    budget = train_module.make_time_budget(config, 0.0, schedule=None, steps_per_epoch=10)
    fewshot_data = (None, None, dict(num_classes=2))
    builtin = train_module.make_callbacks(config, paths, fewshot_data, budget, has_validation=False)
    kinds = [type(c) for c in builtin[:5]]
    assert kinds == [
        TimeBudget,
        FewShotCallback,
        keras.callbacks.BackupAndRestore,
        BestModelCheckpoint,
        keras.callbacks.CSVLogger,
    ]
    assert builtin[3].monitor == "accuracy"  # no validation images: the training accuracy
    assert budget.budget_s == 60 and budget.reserve_s == train_module.END_OF_RUN_RESERVE_S


def test_no_budget_and_no_fewshot_leave_only_the_recorders(tmp_path):
    config = get_recipe("fmnist").__class__(fewshot_shots=(), time_budget_min=None)
    assert train_module.make_time_budget(config, 0.0, None, 10) is None
    builtin = train_module.make_callbacks(config, train_module.run_paths(str(tmp_path)), None, None, True)
    assert type(builtin[0]) is keras.callbacks.BackupAndRestore and builtin[1].monitor == "val_accuracy"


@pytest.mark.parametrize("time_budget_min, reused", [(None, True), (1, False)])
def test_final_fewshot_reuses_the_callbacks_last_epoch_only_without_a_time_budget(monkeypatch, time_budget_min, reused):
    config = get_recipe("fmnist").__class__(fewshot_shots=(1,), time_budget_min=time_budget_min)
    callback = FewShotCallback((None, None), (None, None), shots=(1,), num_classes=2)
    callback.last_results = {1: 0.5}
    monkeypatch.setattr(train_module, "fewshot_evaluate", lambda model, train, test, **kwargs: {1: 0.75})
    history = types.SimpleNamespace(epoch=[0])
    fewshot = train_module.final_fewshot(config, None, history, [callback], (None, None, {}))
    assert fewshot == ({1: 0.5} if reused else {1: 0.75})


def test_final_fewshot_is_empty_without_shots():
    config = get_recipe("fmnist").__class__(fewshot_shots=())
    assert train_module.final_fewshot(config, None, None, [], None) == {}


def test_export_not_asked_returns_none():
    config = get_recipe("fmnist").__class__(save_saved_model=False)
    assert train_module.export_saved_model_if_asked(config, None, "unused") is None


def test_results_record_rounds_timings_and_names_the_exporter_only_when_there_was_one(tmp_path):
    config = get_recipe("fmnist").__class__(model="vit_tiny")
    data = types.SimpleNamespace(description="tiny: 1 image", class_names=("a", "b"))
    result = train_module.TrainResult(
        run_dir=str(tmp_path),
        test_accuracy=0.5,
        test_loss=1.0,
        fewshot={1: 0.25},
        history={"loss": [1.0]},
        epochs=1,
        steps_per_epoch=2,
        wall_time_s=12.345,
        train_time_s=6.789,
        train_images_per_s=3.0,
        paths={},
    )
    record = train_module.results_record(config, data, result, exporter=None)
    assert record["config"]["model"] == "vit_tiny" and record["fewshot"] == {"1shot": 0.25}
    assert (record["wall_time_s"], record["train_time_s"]) == (12.3, 6.8)
    assert "saved_model_exporter" not in record and record["class_names"] == ["a", "b"]
    assert train_module.results_record(config, data, result, exporter="x.export")["saved_model_exporter"] == "x.export"


def test_train_is_the_package_entry():
    assert train is train_module.train


def test_a_saved_model_with_another_head_is_refused(tmp_path):
    model = model_source.load_or_build_model("vit_tiny", classes=3)
    path = str(tmp_path / "three.keras")
    model.save(path)
    assert model_source.load_or_build_model(path).output_shape == (None, 3)
    with pytest.raises(ValueError, match=r"predicts 3 classes but 10.*Received: model=.*three.keras.*classes=10"):
        model_source.load_or_build_model(path, classes=10)


def test_a_small_model_has_no_weights():
    with pytest.raises(ValueError, match=r"no released weights.*Received: weights='imagenet'"):
        model_source.load_or_build_model("vit_tiny", weights="imagenet", classes=10)
