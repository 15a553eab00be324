"""The one training entry: `train(config)` (the CLI, the examples and the experiments call it).

It loads the data, builds the model inside the distribution strategy's scope, compiles it with the
recipe's optimizer and schedule (`jit_compile=True` by default), fits with few-shot evaluation,
backup-and-restore, a best-model checkpoint, TensorBoard and CSV logs, evaluates on the test split, and
writes under `out/name/`:

    model.keras     the final model              best.keras    the best on the validation images
    saved_model/    a TensorFlow SavedModel      logs/         TensorBoard
    log.csv         one row per epoch            results.json  config, command, accuracies, timings
    backup/         only while running: a killed run restarted with the same `name` resumes from it
"""

import contextlib
import dataclasses
import datetime
import importlib.util
import json
import os
import shlex
import sys
import time

import keras
import numpy as np

from keras_vit.fewshot import FewShotCallback, fewshot_evaluate
from keras_vit.training import recipes


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


def build_model(config, num_classes):
    """The model a `TrainConfig` names, started from `config.init_from` when it is set."""
    if config.init_from and (config.weights is not None or config.model.endswith(".keras")):
        raise ValueError(
            "`init_from` starts a newly built model; it cannot be combined with `weights` or a `.keras` model. "
            f"Received: init_from={config.init_from!r}, model={config.model!r}, weights={config.weights!r}"
        )
    model = _new_model(config, num_classes)
    if config.init_from:
        import keras_vit  # noqa: F401  (registers the custom layers)
        from keras_vit.weights.transfer import transfer_weights

        source = keras.saving.load_model(config.init_from, compile=False)
        copied = transfer_weights(source, model)
        print(f"Started {len(copied)} layers of {model.name} from {config.init_from} (the head is new).")
    return model


def _new_model(config, num_classes):
    """A small ViT of `recipes.MODELS`, a catalog name, or a `.keras` file."""
    if config.model.endswith(".keras"):
        import keras_vit  # noqa: F401  (registers the custom layers)

        model = keras.saving.load_model(config.model, compile=False)
        if model.output_shape[-1] != num_classes:
            raise ValueError(
                f"The saved model predicts {model.output_shape[-1]} classes but the dataset has {num_classes}; "
                f"train a catalog model with --weights instead. Received: model={config.model!r}"
            )
        return model
    regularisation = dict(dropout=config.dropout, drop_path=config.drop_path)
    if config.model in recipes.MODELS:
        if config.weights is not None:
            raise ValueError(
                f"{config.model!r} is defined here and has no released weights; use a catalog model (vit_b16, ...) "
                f"with --weights. Received: weights={config.weights!r}"
            )
        build, kwargs = recipes.MODELS[config.model]
        kwargs = dict(kwargs, **regularisation)
        if config.image_size is not None:
            kwargs["image_size"] = config.image_size
        return build(classes=num_classes, name=config.model, **kwargs)
    from keras_vit.models.factory import UnknownModelError, create_model

    try:
        return create_model(
            config.model, weights=config.weights, image_size=config.image_size, classes=num_classes, **regularisation
        )
    except UnknownModelError as error:
        raise UnknownModelError(f"{error}. The recipes' small models: {sorted(recipes.MODELS)}") from None


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


def run_record(config):
    """The command line and the config of a run, as `results.json` records them."""
    return dict(
        command=" ".join(shlex.quote(a) for a in sys.argv),
        config={k: (list(v) if isinstance(v, tuple) else v) for k, v in dataclasses.asdict(config).items()},
    )


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


def _run_dir(config):
    name = config.name or f"{config.model.replace('/', '_')}-{datetime.datetime.now():%Y%m%d-%H%M%S}"
    return os.path.join(config.out, name)


def worker_run_dir(run_dir, distribution):
    """`run_dir` for the chief; a hidden folder in it for every other worker (each must write its own files)."""
    run_dir = os.path.abspath(run_dir)
    if not distribution.is_chief:
        resolver = distribution.strategy.cluster_resolver
        run_dir = os.path.join(run_dir, f".{resolver.task_type}_{resolver.task_id}")
    os.makedirs(run_dir, exist_ok=True)
    return run_dir


def _num_examples(data, what):
    if isinstance(data, tuple):
        return len(data[0])
    n = int(data.cardinality())
    if n < 0:
        raise ValueError(
            f"The size of the {what} data is unknown; pass steps_per_epoch (--steps). Received: cardinality={n}"
        )
    return n


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


def epochs_within(epoch, epoch_s, left_s, planned, max_epochs):
    """How many epochs in all fit the time left, decided when `epoch` (0-based) has just ended.

    `epoch_s` is the expected length of an epoch and `left_s` the seconds left for training. The run may shrink
    at any epoch; it grows (up to `max_epochs`) only in the first half of the `planned` epochs, so that a
    late change does not raise an already decayed learning rate much.
    """
    fit = int(epoch + 1 + max(left_s, 0.0) // max(epoch_s, 1e-9))
    cap = max_epochs if planned is None or epoch + 1 <= planned / 2 else planned
    return max(epoch + 1, min(cap, fit))


class _TimeBudget(keras.callbacks.Callback):
    """Sets the number of epochs from the measured epoch lengths so that training ends within the budget.

    After the first epoch (its compilation step left out) the run gets as many epochs as fit, at most
    `max_epochs`. After each later epoch the plan is made again from the mean length of the last three
    epochs: it shortens when they ran slower (a busier machine) and, in the first half of the run,
    lengthens when they ran faster (see `epochs_within`). An epoch's length includes the work between
    epochs (the other callbacks' checkpoints and logs): the mean of the last three such gaps is added.
    The schedule's length (a variable of the optimizer, see `WarmupDecay.make_adjustable`) follows, so
    the learning rate still decays to its end value.
    """

    def __init__(self, budget_s, start_time, reserve_s, schedule, steps_per_epoch, max_epochs, clock=time.time):
        super().__init__()
        self.budget_s, self.start_time, self.reserve_s = budget_s, start_time, reserve_s
        self.schedule, self.steps_per_epoch, self.max_epochs = schedule, steps_per_epoch, max_epochs
        self.clock = clock
        self.epochs = None
        self._epoch_start = None
        self._first_batch_end = None
        self._lengths = []
        self._epoch_end = None
        self._gaps = []

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = self.clock()
        if self._epoch_end is not None:
            self._gaps.append(self._epoch_start - self._epoch_end)
        self._first_batch_end = None
        if self.epochs is None and epoch > 0:
            # A resumed run: the length chosen before the interruption was restored with the optimizer.
            self.epochs = round(self.schedule.current_total_steps() / self.steps_per_epoch)

    def on_train_batch_end(self, batch, logs=None):
        if self._first_batch_end is None:
            self._first_batch_end = self.clock()

    def on_epoch_end(self, epoch, logs=None):
        now = self.clock()
        left = self.budget_s - (now - self.start_time) - self.reserve_s
        epoch_s = now - self._epoch_start
        steps = self.steps_per_epoch
        if epoch == 0 and steps > 1 and self._first_batch_end is not None:
            # The first step compiles: the epoch's length is measured from its end (validation included).
            epoch_s = (now - self._first_batch_end) * steps / (steps - 1)
        self._lengths.append(epoch_s)
        epoch_s = sum(self._lengths[-3:]) / len(self._lengths[-3:])
        if self._gaps:
            epoch_s += sum(self._gaps[-3:]) / len(self._gaps[-3:])
        epochs = epochs_within(epoch, epoch_s, left, self.epochs, self.max_epochs)
        if epochs != self.epochs:
            print(
                f"\nTime budget: an epoch takes {epoch_s:.0f} s, {max(left, 0):.0f} s left for training "
                f"→ {epochs} epochs in all",
                flush=True,
            )
            self.epochs = epochs
            self.schedule.set_total_steps(epochs * self.steps_per_epoch)
        if epoch + 1 >= self.epochs:
            self.model.stop_training = True
        self._epoch_end = self.clock()


def _export_saved_model(model, path):
    """Calls `keras_vit.export.saved_model.export_saved_model` where it exists, else `model.export`."""
    try:
        from keras_vit.export.saved_model import export_saved_model
    except ImportError:
        model.export(path, format="tf_saved_model", verbose=False)
        return "model.export(format='tf_saved_model')"
    export_saved_model(model, path)
    return "keras_vit.export.saved_model.export_saved_model"


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
    if config is None or isinstance(config, str):
        config = recipes.get_recipe(config or "fmnist")
    config = dataclasses.replace(config, **overrides)

    from keras_vit import data as data_lib
    from keras_vit.data.pipeline import make_dataset
    from keras_vit.training.strategy import get_strategy

    with run_settings(config):
        distribution = get_strategy(config.strategy, tpu=config.tpu)
        if data is None:
            data = data_lib.load(config.dataset, config.data_dir, config.val_size, config.seed)
        with distribution.scope():
            model = build_model(config, data.num_classes)
        image_size = tuple(model.input_shape[1:3])
        if None in image_size:
            image_size = (config.image_size,) * 2 if config.image_size else (224, 224)

        steps_per_epoch = steps_per_epoch_for(config, data)
        total_steps = config.epochs * steps_per_epoch

        jit_compile = distribution.resolve_jit(config.jit_compile)
        with distribution.scope():
            optimizer, schedule = recipes.make_optimizer(config, total_steps)
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

        common = dict(image_size=image_size, num_classes=data.num_classes, batch_size=config.batch_size)
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
        test_ds = make_dataset(data.test, **common)

        run_dir = worker_run_dir(_run_dir(config), distribution)
        paths = dict(
            run_dir=run_dir,
            model=os.path.join(run_dir, "model.keras"),
            best=os.path.join(run_dir, "best.keras"),
            saved_model=os.path.join(run_dir, "saved_model"),
            logs=os.path.join(run_dir, "logs"),
            csv=os.path.join(run_dir, "log.csv"),
            results=os.path.join(run_dir, "results.json"),
            backup=os.path.join(run_dir, "backup"),
        )

        fewshot_train, fewshot_test, fewshot_kwargs = fewshot_setup(config, data, common)
        builtin = []
        if config.fewshot_shots and config.fewshot_every:
            # First, so that the CSV, TensorBoard and History callbacks see its `fewshot_*` logs.
            builtin.append(
                FewShotCallback(
                    fewshot_train,
                    fewshot_test,
                    every_n_epochs=config.fewshot_every,
                    max_test=2000,
                    **fewshot_kwargs,
                )
            )
        monitor = "val_accuracy" if val_ds is not None else "accuracy"
        builtin += [
            keras.callbacks.BackupAndRestore(paths["backup"]),
            keras.callbacks.ModelCheckpoint(paths["best"], monitor=monitor, mode="max", save_best_only=True),
            keras.callbacks.CSVLogger(paths["csv"], append=True),
        ]
        if importlib.util.find_spec("tensorboard") is not None:
            builtin.append(keras.callbacks.TensorBoard(paths["logs"]))
        else:
            print("TensorBoard is not installed (pip install tensorboard): no logs/ for it this time.")
        budget = None
        if config.time_budget_min:
            # Reserve time for the test evaluation, the few-shot evaluation and the exports (12–17 s measured).
            budget = _TimeBudget(config.time_budget_min * 60, start, 15.0, schedule, steps_per_epoch, config.epochs)
            builtin.insert(0, budget)

        print(f"Data: {data.description}")
        print(
            f"Model: {model.name}, {model.count_params():,} parameters, {image_size[0]}×{image_size[1]} px; "
            f"{config.epochs} epochs × {steps_per_epoch} steps of {config.batch_size} "
            f"({config.optimizer}, lr {config.lr}, {config.decay}); strategy {distribution.name}, "
            f"jit_compile={jit_compile}, mixed_precision={config.mixed_precision}",
            flush=True,
        )
        fit_start = time.time()
        history = model.fit(
            train_ds,
            epochs=config.epochs,
            steps_per_epoch=steps_per_epoch,
            validation_data=val_ds,
            callbacks=builtin + list(callbacks),
            shuffle=False,  # the dataset shuffles itself
            verbose=config.verbose,
        )
        train_time = time.time() - fit_start
        epochs_run = len(history.epoch)

        test = model.evaluate(test_ds, return_dict=True, verbose=0)
        fewshot = {}
        if config.fewshot_shots:
            callback = builtin[0] if isinstance(builtin[0], FewShotCallback) else None
            if callback is not None and callback.last_results is not None and history.epoch:
                fewshot = dict(callback.last_results)
            else:
                fewshot = fewshot_evaluate(model, fewshot_train, fewshot_test, **fewshot_kwargs)

        # Architecture and weights only (an uncompiled copy: `.keras` files always carry a compiled model's
        # optimizer); the optimizer state of an interrupted run lives in backup/, the best one in best.keras.
        final = keras.models.clone_model(model)
        final.set_weights(model.get_weights())
        final.save(paths["model"])
        wall = time.time() - start
        results = dict(
            **run_record(config),
            data=data.description,
            backend=keras.backend.backend(),
            test_accuracy=float(test["accuracy"]),
            test_loss=float(test["loss"]),
            fewshot={f"{k}shot": v for k, v in fewshot.items()},
            epochs=epochs_run,
            steps_per_epoch=steps_per_epoch,
            train_time_s=round(train_time, 1),
            wall_time_s=round(wall, 1),
            train_images_per_s=round(epochs_run * steps_per_epoch * config.batch_size / train_time, 1)
            if epochs_run
            else 0.0,
            history={k: [float(x) for x in v] for k, v in history.history.items()},
        )
        with open(paths["results"], "w") as f:
            json.dump(results, f, indent=2)
        if config.save_saved_model:
            try:
                results["saved_model_exporter"] = _export_saved_model(model, paths["saved_model"])
            except Exception as error:  # the run's results are already on disk
                print(
                    f"WARNING: SavedModel export failed ({type(error).__name__}: {error}); the .keras model is saved, "
                    f"export it later with `keras-vit export`.",
                    file=sys.stderr,
                )
                paths["saved_model"] = None
        else:
            paths["saved_model"] = None
        wall = time.time() - start
        results["wall_time_s"] = round(wall, 1)
        with open(paths["results"], "w") as f:
            json.dump(results, f, indent=2)

        print(f"\nTest accuracy: {test['accuracy']:.4f}  (loss {test['loss']:.4f}, {data.description.split(':')[0]})")
        if fewshot:
            print("Few-shot linear accuracy: " + ", ".join(f"{k}-shot {v:.4f}" for k, v in fewshot.items()))
        print(
            f"Wall time: {wall:.0f} s ({wall / 60:.1f} min; training {train_time:.0f} s, "
            f"{results['train_images_per_s']:.0f} images/s, {epochs_run} epochs)"
        )
        print(f"Run folder: {run_dir}")
        for key in ("model", "best", "saved_model", "csv", "logs", "results"):
            if paths.get(key) and os.path.exists(paths[key]):
                print(f"  {key:12s}{paths[key]}")
        return TrainResult(
            run_dir=run_dir,
            test_accuracy=results["test_accuracy"],
            test_loss=results["test_loss"],
            fewshot=fewshot,
            history=results["history"],
            epochs=epochs_run,
            steps_per_epoch=steps_per_epoch,
            wall_time_s=wall,
            train_time_s=train_time,
            train_images_per_s=results["train_images_per_s"],
            paths=paths,
            model=model,
            schedule=schedule,
        )
