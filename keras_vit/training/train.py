"""The one training entry: `train(config)` (the CLI, the examples and the experiments call it).

It loads the data, builds the model inside the distribution strategy's scope, compiles it with the
recipe's optimizer and schedule (XLA by default; eager on torch), fits with few-shot evaluation,
backup-and-restore, a best-model checkpoint, TensorBoard and CSV logs, evaluates on the test split, and
writes under `out/name/`:

    model.keras     the final model              best.keras    the best on the validation images
    saved_model/    a TensorFlow SavedModel      logs/         TensorBoard
    log.csv         one row per epoch            results.json  config, command, accuracies, timings
    backup/         only while running: a killed run restarted with the same `name` resumes from it

`train` is the list of its steps; each step below is a function of its own.
"""

import dataclasses
import datetime
import importlib.util
import os
import sys
import time
from typing import NamedTuple

import keras

from keras_vit.fewshot import FewShotCallback, fewshot_evaluate
from keras_vit.training import atomic, recipes, run
from keras_vit.training.best_checkpoint import BestModelCheckpoint
from keras_vit.training.distillation import with_teacher
from keras_vit.training.model_source import build_model
from keras_vit.training.strategy import get_strategy
from keras_vit.training.time_budget import TimeBudget

# Seconds a time budget keeps for the test evaluation, the few-shot evaluation and the exports (12–17 s measured).
END_OF_RUN_RESERVE_S = 15.0


@dataclasses.dataclass
class TrainResult:
    """What `train` measured and wrote."""

    run_dir: str
    test_accuracy: float
    test_loss: float
    fewshot: dict
    history: dict
    epochs: int
    steps_per_epoch: int
    wall_time_s: float
    train_time_s: float
    train_images_per_s: float
    paths: dict
    model: object = dataclasses.field(repr=False, default=None)
    schedule: object = dataclasses.field(repr=False, default=None)


class Datasets(NamedTuple):
    """The `tf.data` pipelines of a run (`val` is None without validation images)."""

    train: object
    val: object
    test: object


def train(config=None, callbacks=(), data=None, **overrides):
    """Trains a ViT as `config` says and writes its outputs under `config.out/config.name`.

    Args:
        config: a `TrainConfig` (default: the "fmnist" recipe) or a recipe name.
        callbacks: extra Keras callbacks (after the built-in ones).
        data: optional `keras_vit.data.Data` to use instead of loading `config.dataset`.
        **overrides: `TrainConfig` fields replacing the config's.

    Returns:
        `TrainResult`.

    Example:
        >>> from keras_vit.training import train
        >>> result = train("fmnist", epochs=1, steps_per_epoch=10, model="vit_tiny")
        >>> result.test_accuracy
    """
    start = time.time()
    config = resolve_config(config, overrides)
    with run.run_settings(config):
        distribution = get_strategy(config.strategy, tpu=config.tpu)
        data = run.load_data(config) if data is None else data
        with distribution.scope():
            model = build_model(config, data.num_classes)
            fitted = with_teacher(model, config, data.num_classes)  # the model, or its Distiller
        steps_per_epoch = run.steps_per_epoch_for(config, data)
        jit_compile = distribution.resolve_jit(config.jit_compile)
        with distribution.scope():
            schedule = compile_model(fitted, config, steps_per_epoch, jit_compile)
        common = pipeline_settings(model, config, data)
        datasets = make_datasets(config, data, common)
        paths = run_paths(run.worker_run_dir(run_dir_for(config), distribution))
        fewshot_data = run.fewshot_setup(config, data, common)
        budget = make_time_budget(config, start, schedule, steps_per_epoch)
        builtin = make_callbacks(config, paths, fewshot_data, budget, has_validation=datasets.val is not None)
        print_plan(model, config, data, common["image_size"], steps_per_epoch, distribution.name, jit_compile)
        history, train_time = fit(fitted, config, datasets, steps_per_epoch, builtin + list(callbacks))
        test = fitted.evaluate(datasets.test, return_dict=True, verbose=0)
        fewshot = final_fewshot(config, model, history, builtin, fewshot_data)
        save_final_model(model, paths["model"])
        exporter = export_saved_model_if_asked(config, model, paths["saved_model"], data.class_names)
        paths["saved_model"] = paths["saved_model"] if exporter else None
        result = TrainResult(
            run_dir=paths["run_dir"],
            test_accuracy=float(test["accuracy"]),
            test_loss=float(test["loss"]),
            fewshot=fewshot,
            history=run.history_record(history),
            epochs=len(history.epoch),
            steps_per_epoch=steps_per_epoch,
            wall_time_s=time.time() - start,
            train_time_s=train_time,
            train_images_per_s=images_per_s(len(history.epoch) * steps_per_epoch * config.batch_size, train_time),
            paths=paths,
            model=model,
            schedule=schedule,
        )
        run.write_results(paths["results"], results_record(config, data, result, exporter))
        print_summary(result, data)
        return result


def resolve_config(config, overrides):
    """A `TrainConfig` from a config, a recipe name or None (the "fmnist" recipe), with `overrides` applied."""
    if config is None or isinstance(config, str):
        config = recipes.get_recipe(config or "fmnist")
    return dataclasses.replace(config, **overrides)


def compile_model(model, config, steps_per_epoch, jit_compile):
    """Compiles `model` with the recipe's optimizer, loss and accuracy; returns the learning-rate schedule.

    Call it in the distribution strategy's scope (the optimizer's variables are created here).
    """
    optimizer, schedule = recipes.make_optimizer(config, config.epochs * steps_per_epoch)
    if config.time_budget_min:
        schedule.make_adjustable(optimizer)
    if getattr(optimizer, "weight_decay", None):
        # big_vision's default: decay the kernels only (not biases, norms, embeddings, class token).
        optimizer.exclude_from_weight_decay(
            var_list=[v for v in model.trainable_variables if not v.path.endswith("kernel")]
        )
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=config.label_smoothing),
        metrics=[keras.metrics.CategoricalAccuracy(name="accuracy")],
        jit_compile=jit_compile,
    )
    run.build_optimizer(model)
    return schedule


def pipeline_settings(model, config, data):
    """`make_dataset`'s image_size, num_classes and batch_size, shared by every pipeline of the run."""
    return dict(image_size=input_image_size(model, config), num_classes=data.num_classes, batch_size=config.batch_size)


def input_image_size(model, config):
    """`(height, width)` the pipeline resizes to: the model's input, else `config.image_size`, else 224."""
    image_size = tuple(model.input_shape[1:3])
    if None in image_size:
        image_size = (config.image_size,) * 2 if config.image_size else (224, 224)
    return image_size


def make_datasets(config, data, common):
    """The training pipeline (augmented, mixed as the config says) and the evaluation ones."""
    from keras_vit.data.pipeline import make_dataset

    train_ds = make_dataset(
        data.train,
        training=True,
        augment=config.augment,
        mixup_alpha=config.mixup_alpha,
        cutmix_alpha=config.cutmix_alpha,
        seed=config.seed,
        **common,
    )
    val_ds = make_dataset(data.val, **common) if data.val is not None else None
    return Datasets(train_ds, val_ds, make_dataset(data.test, **common))


def run_dir_for(config):
    """`config.out/config.name`; without a name, the model's name and the start time."""
    name = config.name or f"{config.model.replace('/', '_')}-{datetime.datetime.now():%Y%m%d-%H%M%S}"
    return os.path.join(config.out, name)


def run_paths(run_dir):
    """The paths of what a run writes in `run_dir` (see the module's docstring)."""
    files = dict(
        model="model.keras",
        best="best.keras",
        saved_model="saved_model",
        logs="logs",
        csv="log.csv",
        results="results.json",
        backup="backup",
    )
    return dict(run_dir=run_dir, **{key: os.path.join(run_dir, name) for key, name in files.items()})


def make_time_budget(config, start, schedule, steps_per_epoch):
    """The `TimeBudget` callback of `config.time_budget_min` (counted from `start`), or None without one."""
    if not config.time_budget_min:
        return None
    budget_s = config.time_budget_min * 60
    return TimeBudget(budget_s, start, END_OF_RUN_RESERVE_S, schedule, steps_per_epoch, config.epochs)


def make_callbacks(config, paths, fewshot_data, budget, has_validation):
    """The built-in callbacks, in the order they must run: the time budget, few-shot evaluation (before the
    callbacks that record its `fewshot_*` logs), backup-and-restore, the best-model checkpoint, CSV, TensorBoard."""
    builtin = [budget] if budget is not None else []
    if config.fewshot_shots and config.fewshot_every:
        fewshot_train, fewshot_test, fewshot_kwargs = fewshot_data
        builtin.append(
            FewShotCallback(
                fewshot_train, fewshot_test, every_n_epochs=config.fewshot_every, max_test=2000, **fewshot_kwargs
            )
        )
    monitor = "val_accuracy" if has_validation else "accuracy"
    builtin += [
        keras.callbacks.BackupAndRestore(run.guard_backup(config, paths["backup"])),
        BestModelCheckpoint(paths["best"], monitor=monitor, mode="max"),
        keras.callbacks.CSVLogger(paths["csv"], append=True),
    ]
    if importlib.util.find_spec("tensorboard") is not None:
        builtin.append(keras.callbacks.TensorBoard(paths["logs"]))
    else:
        print("TensorBoard is not installed (pip install tensorboard): no logs/ for it this time.")
    return builtin


def print_plan(model, config, data, image_size, steps_per_epoch, strategy_name, jit_compile):
    print(f"Data: {data.description}")
    print(
        f"Model: {model.name}, {model.count_params():,} parameters, {image_size[0]}×{image_size[1]} px; "
        f"{config.epochs} epochs × {steps_per_epoch} steps of {config.batch_size} "
        f"({config.optimizer}, lr {config.lr}, {config.decay}); strategy {strategy_name}, "
        f"jit_compile={jit_compile}, mixed_precision={config.mixed_precision}",
        flush=True,
    )


def fit(model, config, datasets, steps_per_epoch, callbacks):
    """`model.fit` as the config says; returns the `History` and the seconds it took."""
    fit_start = time.time()
    history = model.fit(
        datasets.train,
        epochs=config.epochs,
        steps_per_epoch=steps_per_epoch,
        validation_data=datasets.val,
        callbacks=callbacks,
        shuffle=False,  # the dataset shuffles itself
        verbose=config.verbose,
    )
    return history, time.time() - fit_start


def final_fewshot(config, model, history, callbacks, fewshot_data):
    """The trained model's few-shot accuracies (`{}` without shots).

    The few-shot callback always evaluates the planned last epoch, so its results are reused when the run ended
    there; a run under a time budget may stop before it, so its final model is evaluated here.
    """
    if not config.fewshot_shots:
        return {}
    callback = next((c for c in callbacks if isinstance(c, FewShotCallback)), None)
    if callback is not None and callback.last_results is not None and history.epoch and not config.time_budget_min:
        return dict(callback.last_results)
    fewshot_train, fewshot_test, fewshot_kwargs = fewshot_data
    return fewshot_evaluate(model, fewshot_train, fewshot_test, **fewshot_kwargs)


def save_final_model(model, path):
    """Saves the architecture and weights only: an uncompiled copy (`.keras` files always carry a compiled model's
    optimizer); the optimizer state of an interrupted run lives in backup/, the best model in best.keras."""
    final = keras.models.clone_model(model)
    final.set_weights(model.get_weights())
    atomic.save_model(final, path)


def export_saved_model_if_asked(config, model, path, class_names=None):
    """Writes the TF Serving SavedModel when `config.save_saved_model`; returns the exporter's name, or None when
    not asked or when the export failed (it warns: the `.keras` model is saved and can be exported later).
    `class_names` (the dataset's) become the signature's `top_k_classes`."""
    if not config.save_saved_model:
        return None
    from keras_vit.deploy.saved_model import export_saved_model

    try:
        export_saved_model(model, path, class_names=list(class_names) if class_names else None)
    except Exception as error:  # the .keras model is already on disk
        print(
            f"WARNING: SavedModel export failed ({type(error).__name__}: {error}); the .keras model is saved, "
            f"export it later with `keras-vit export`.",
            file=sys.stderr,
        )
        return None
    return f"{export_saved_model.__module__}.{export_saved_model.__name__}"


def images_per_s(images, seconds):
    return round(images / seconds, 1) if images else 0.0


def results_record(config, data, result, exporter):
    """What `results.json` holds: the command, the config and what the run measured."""
    results = dict(
        **run.run_record(config),
        data=data.description,
        class_names=list(data.class_names) if data.class_names else None,
        backend=keras.backend.backend(),
        test_accuracy=result.test_accuracy,
        test_loss=result.test_loss,
        fewshot={f"{k}shot": v for k, v in result.fewshot.items()},
        epochs=result.epochs,
        steps_per_epoch=result.steps_per_epoch,
        train_time_s=round(result.train_time_s, 1),
        wall_time_s=round(result.wall_time_s, 1),
        train_images_per_s=result.train_images_per_s,
        history=result.history,
    )
    if exporter is not None:
        results["saved_model_exporter"] = exporter
    return results


def print_summary(result, data):
    print(
        f"\nTest accuracy: {result.test_accuracy:.4f}  (loss {result.test_loss:.4f}, {data.description.split(':')[0]})"
    )
    if result.fewshot:
        print("Few-shot linear accuracy: " + ", ".join(f"{k}-shot {v:.4f}" for k, v in result.fewshot.items()))
    wall = result.wall_time_s
    print(
        f"Wall time: {wall:.0f} s ({wall / 60:.1f} min; training {result.train_time_s:.0f} s, "
        f"{result.train_images_per_s:.0f} images/s, {result.epochs} epochs)"
    )
    print(f"Run folder: {result.run_dir}")
    for key in ("model", "best", "saved_model", "csv", "logs", "results"):
        if result.paths.get(key) and os.path.exists(result.paths[key]):
            print(f"  {key:12s}{result.paths[key]}")
