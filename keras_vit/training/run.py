"""The steps every run shares, `train` and `pretrain_mpp` alike: settings, data, steps per epoch, the run folder,
the few-shot probe's data and the record that `results.json` keeps.
"""

import contextlib
import dataclasses
import json
import os
import shlex
import sys

import keras
import numpy as np

from keras_vit.training import atomic


@contextlib.contextmanager
def run_settings(config):
    """Seeds the run and sets its mixed-precision policy; afterwards restores the policy and, on JAX, the
    global distribution that `get_strategy` may have set."""
    keras.utils.set_random_seed(config.seed)
    previous_policy = keras.config.dtype_policy()
    if config.mixed_precision:
        keras.config.set_dtype_policy(f"mixed_{config.mixed_precision}")
    previous_distribution = keras.distribution.distribution() if keras.backend.backend() == "jax" else None
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous_policy)
        if keras.backend.backend() == "jax":
            keras.distribution.set_distribution(previous_distribution)


def load_data(config):
    """The `keras_vit.data.Data` of `config.dataset` (TensorFlow is imported here, not with the package)."""
    from keras_vit import data

    return data.load(config.dataset, config.data_dir, config.val_size, config.seed, config.holdout)


def steps_per_epoch_for(config, data):
    """Steps per epoch: `config.steps_per_epoch` when set (the training dataset repeats), else full batches."""
    if config.steps_per_epoch is not None:
        steps, n_train = config.steps_per_epoch, None
    else:
        n_train = _num_examples(data.train, "training")
        steps = n_train // config.batch_size
    if steps < 1:
        raise ValueError(
            f"The training data holds fewer images than one batch; lower batch_size. "
            f"Received: batch_size={config.batch_size}, images={n_train}"
        )
    return steps


def _num_examples(data, what):
    if isinstance(data, tuple):
        return len(data[0])
    n = int(data.cardinality())
    if n < 0:
        raise ValueError(
            f"The size of the {what} data is unknown; pass steps_per_epoch (--steps). Received: cardinality={n}"
        )
    return n


def worker_run_dir(run_dir, distribution):
    """`run_dir` for the chief; a hidden folder in it for every other worker (each must write its own files)."""
    run_dir = os.path.abspath(run_dir)
    if not distribution.is_chief:
        resolver = distribution.strategy.cluster_resolver
        run_dir = os.path.join(run_dir, f".{resolver.task_type}_{resolver.task_id}")
    os.makedirs(run_dir, exist_ok=True)
    return run_dir


def build_optimizer(model):
    """Creates a compiled model's optimizer variables now, in the caller's strategy scope, not inside `fit`.

    Without a distribution strategy Keras's TensorFlow trainer builds the optimizer while it traces the train
    step; a `tf.function` that creates variables is traced twice, so every run would trace its step twice.
    """
    if not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)


def fewshot_setup(config, data, common):
    """`(train, test, fewshot_evaluate keyword arguments)` for a config's few-shot evaluation.

    The data are the raw images as arrays (at most what the evaluation can use); the selected ones are
    preprocessed on the fly by the same pipeline as training (`common`: `make_dataset`'s image_size,
    num_classes and batch_size).
    """
    from keras_vit.data.pipeline import as_arrays, images_only, make_dataset

    fewshot_train = fewshot_test = None
    if config.fewshot_shots:
        limit = max(20 * max(config.fewshot_shots) * data.num_classes, 5000)
        image_size = common["image_size"]
        fewshot_train = data.train if isinstance(data.train, tuple) else as_arrays(data.train, image_size, limit)
        fewshot_test = data.test if isinstance(data.test, tuple) else as_arrays(data.test, image_size, 10_000)

    def preprocess(images):
        return images_only(make_dataset((images, np.zeros(len(images), "int32")), cache=False, **common))

    kwargs = dict(
        shots=config.fewshot_shots,
        num_classes=data.num_classes,
        seeds=config.fewshot_seeds,
        batch_size=config.batch_size,
        preprocess=preprocess,
    )
    return fewshot_train, fewshot_test, kwargs


def run_record(config):
    """The command line and the config of a run, as `results.json` records them."""
    return dict(
        command=" ".join(shlex.quote(a) for a in sys.argv),
        config={k: (list(v) if isinstance(v, tuple) else v) for k, v in dataclasses.asdict(config).items()},
    )


# Settings that may change between a killed run and its restart (how it prints, where and how long it runs).
RESUMABLE_CHANGES = ("verbose", "time_budget_min", "save_saved_model", "fewshot_every")


def guard_backup(config, backup_dir):
    """A restart with the same `name` resumes only the run it was: records the config beside the backup, and
    refuses to resume a backup made with other settings (its schedule and data would not match); returns
    `backup_dir`."""
    record = os.path.join(backup_dir, "config.json")
    wanted = {k: v for k, v in run_record(config)["config"].items() if k not in RESUMABLE_CHANGES}
    if os.path.exists(record):
        with open(record, encoding="utf-8") as f:
            saved = json.load(f)
        differ = sorted(k for k in set(wanted) | set(saved) if saved.get(k) != wanted.get(k))
        if differ:
            raise ValueError(
                f"{os.path.dirname(backup_dir)} holds an interrupted run with other settings ({', '.join(differ)}); "
                "resume it with the same flags, pick another --name, or delete its backup/ folder to start afresh."
            )
    os.makedirs(backup_dir, exist_ok=True)
    atomic.write_json(record, wanted)
    return backup_dir


def read_finished_run(run_dir, **expected):
    """The `results.json` of the finished run in `run_dir` when its config has the `expected` values, else None.

    For scripts whose `--resume` reads back the runs an earlier call of theirs finished (`results.json` is written
    last, and atomically, so its presence means the run finished)."""
    path = os.path.join(run_dir, "results.json")
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        saved = json.load(f)
    config = saved.get("config", {})
    return saved if all(config.get(key) == value for key, value in expected.items()) else None


def history_record(history):
    """A `keras.callbacks.History`'s per-epoch logs as plain floats (for JSON)."""
    return {k: [float(x) for x in v] for k, v in history.history.items()}


def write_results(path, results):
    """`results.json`, written atomically (`keras_vit.training.atomic`)."""
    atomic.write_json(path, results)
