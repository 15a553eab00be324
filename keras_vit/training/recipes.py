"""Optimizers, learning-rate schedules and the named training recipes.

The paper's two recipes (arXiv 2010.11929, §3.3 and Appendix B.1; official `vit_jax/train.py`):

- pre-training: Adam β1 0.9, β2 0.999, weight decay 0.1 (decoupled: `keras.optimizers.AdamW`), global-norm
  clipping 1.0, linear warm-up then linear decay;
- fine-tuning: SGD with momentum 0.9, global-norm clipping 1.0, no weight decay, linear warm-up then cosine
  decay, at a higher resolution than pre-training (building a model with `image_size=` larger than the
  weights' resizes the position embedding).

`RECIPES` holds complete `TrainConfig` presets (`keras-vit train --recipe NAME`); every field can be
overridden by a command-line flag or `dataclasses.replace`.
"""

import dataclasses
import math
import os

import keras
from keras import ops

from keras_vit.models import catalog

DECAYS = ("cosine", "linear", "constant")
OPTIMIZERS = ("adamw", "sgd")


@keras.saving.register_keras_serializable(package="keras_vit")
class WarmupDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warm-up from 0 to `peak_lr`, then cosine, linear or no decay to `end_lr`.

    `lr(step) = peak_lr · step / warmup_steps` for `step < warmup_steps`; after it, with
    `p = (step − warmup_steps) / (total_steps − warmup_steps)` clipped to [0, 1]:
    cosine `end_lr + (peak_lr − end_lr) · (1 + cos(π p)) / 2`, linear `end_lr + (peak_lr − end_lr) · (1 − p)`,
    constant `peak_lr`.

    Args:
        peak_lr: learning rate at the end of the warm-up.
        total_steps: optimizer steps of the whole run.
        warmup_steps: steps of linear warm-up (0 for none).
        decay: "cosine", "linear" or "constant".
        end_lr: learning rate at `total_steps`.
    """

    def __init__(self, peak_lr, total_steps, warmup_steps=0, decay="cosine", end_lr=0.0, name="warmup_decay"):
        super().__init__()
        if decay not in DECAYS:
            raise ValueError(f"`decay` must be one of {DECAYS}. Received: decay={decay!r}")
        if total_steps < 1:
            raise ValueError(f"`total_steps` must be at least 1. Received: total_steps={total_steps}")
        if not 0 <= warmup_steps <= total_steps:
            raise ValueError(
                f"`warmup_steps` must be in [0, total_steps={total_steps}]; shorten the warm-up or train longer. "
                f"Received: warmup_steps={warmup_steps}"
            )
        self.peak_lr = float(peak_lr)
        self.total_steps = int(total_steps)
        self.warmup_steps = int(warmup_steps)
        self.decay = decay
        self.end_lr = float(end_lr)
        self.name = name
        self._variables = None

    def make_adjustable(self, optimizer):
        """Keeps `total_steps` (and `warmup_steps`) in variables of `optimizer`, so that `set_total_steps` works
        mid-training.

        Optimizer variables (not constants of the compiled train step) are what every backend's train step
        reads afresh, and BackupAndRestore saves them with the rest of the optimizer's state.
        """
        self._variables = [
            optimizer.add_variable(
                shape=(),
                initializer=keras.initializers.Constant(float(value)),
                dtype="float32",
                name=f"schedule_{name}",
            )
            for name, value in (("total_steps", self.total_steps), ("warmup_steps", self.warmup_steps))
        ]

    def set_total_steps(self, total_steps):
        """Changes the schedule's length (after `make_adjustable`, also in an already compiled train step).

        A warm-up longer than half the new length is cut to half of it, so that the rate still decays.
        """
        if total_steps < 1:
            raise ValueError(f"`total_steps` must be at least 1. Received: total_steps={total_steps}")
        self.total_steps = int(total_steps)
        self.warmup_steps = min(self.warmup_steps, self.total_steps // 2)
        if self._variables is not None:
            self._variables[0].assign(float(self.total_steps))
            self._variables[1].assign(float(self.warmup_steps))

    def current_total_steps(self):
        if self._variables is not None:
            return int(round(float(ops.convert_to_numpy(self._variables[0]))))
        return self.total_steps

    def __call__(self, step):
        step = ops.cast(step, "float32")
        peak, end = self.peak_lr, self.end_lr
        if self._variables is None:
            total, warmup = float(self.total_steps), float(self.warmup_steps)
        else:
            total, warmup = self._variables
        warm = peak * step / ops.maximum(warmup, 1.0)
        progress = ops.clip((step - warmup) / ops.maximum(total - warmup, 1.0), 0.0, 1.0)
        if self.decay == "cosine":
            decayed = end + (peak - end) * 0.5 * (1.0 + ops.cos(math.pi * progress))
        elif self.decay == "linear":
            decayed = end + (peak - end) * (1.0 - progress)
        else:
            decayed = ops.full_like(step, peak)
        return ops.where(step < warmup, warm, decayed)

    def get_config(self):
        return dict(
            peak_lr=self.peak_lr,
            total_steps=self.current_total_steps(),
            warmup_steps=self.warmup_steps
            if self._variables is None
            else int(ops.convert_to_numpy(self._variables[1])),
            decay=self.decay,
            end_lr=self.end_lr,
            name=self.name,
        )


def warmup_steps_for(warmup, total_steps):
    """`warmup` as steps: a float below 1 is a fraction of `total_steps`, else a step count (capped at it)."""
    if warmup < 0:
        raise ValueError(f"`warmup` must be a fraction in [0, 1) or a number of steps. Received: warmup={warmup}")
    steps = round(warmup * total_steps) if warmup < 1 else int(warmup)
    return min(steps, total_steps)


def pretrain_optimizer(
    total_steps,
    learning_rate=1e-3,
    warmup_steps=10_000,
    weight_decay=0.1,
    decay="linear",
    end_lr=1e-5,
    global_clipnorm=1.0,
):
    """The paper's pre-training optimizer: AdamW (β1 0.9, β2 0.999, weight decay 0.1), warm-up + linear decay.

    Keras' `AdamW` decays `w ← w − lr · weight_decay · w`, so weight decay 0.1 at lr 1e-3 is the
    `wd = 0.1 · lr` convention of big_vision's ViT configs. Use `exclude_from_weight_decay` (done by
    `keras_vit.training.train`) to decay kernels only, as big_vision does.

    Args:
        total_steps: optimizer steps of the run.
        learning_rate: peak learning rate (paper: 1e-3 for ViT-B on JFT/ImageNet-21k; 3e-3 on ImageNet).
        warmup_steps: linear warm-up steps (paper: 10,000); capped at `total_steps`.
        weight_decay: decoupled weight decay (paper: 0.1 on JFT and ImageNet, 0.03 on ImageNet-21k).
        decay: "linear" (paper) or "cosine".
        end_lr: final learning rate (official code: 1e-5).
        global_clipnorm: clip the global gradient norm (official code: 1.0).

    Returns:
        `(optimizer, schedule)`.
    """
    schedule = WarmupDecay(learning_rate, total_steps, min(warmup_steps, total_steps), decay, end_lr)
    optimizer = keras.optimizers.AdamW(
        learning_rate=schedule,
        beta_1=0.9,
        beta_2=0.999,
        weight_decay=weight_decay,
        global_clipnorm=global_clipnorm,
    )
    return optimizer, schedule


def finetune_optimizer(
    total_steps, learning_rate=0.003, warmup_steps=500, momentum=0.9, decay="cosine", global_clipnorm=1.0
):
    """The paper's fine-tuning optimizer: SGD momentum 0.9, global-norm clipping 1.0, warm-up + cosine, no decay.

    Args:
        total_steps: optimizer steps of the run.
        learning_rate: peak learning rate (paper sweep: 0.001, 0.003, 0.01, 0.03).
        warmup_steps: linear warm-up steps (official code: 500); capped at `total_steps`.
        momentum: SGD momentum.
        decay: "cosine" (paper) or "linear".
        global_clipnorm: clip the global gradient norm (paper: 1.0).

    Returns:
        `(optimizer, schedule)`.
    """
    schedule = WarmupDecay(learning_rate, total_steps, min(warmup_steps, total_steps), decay, 0.0)
    optimizer = keras.optimizers.SGD(learning_rate=schedule, momentum=momentum, global_clipnorm=global_clipnorm)
    return optimizer, schedule


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Everything one training run needs; `keras_vit.training.train(config)` runs it.

    Model: `model` is a name of `MODELS` (the small ViTs of the preset table), a catalog name (`vit_b16`, ...) or a
    `.keras` file; `weights`, `image_size` (default: the model's/weights' own), `drop_path` (stochastic depth,
    growing linearly with depth to this value) and `dropout` as in `keras_vit.ViT`; `init_from` a `.keras`
    model (e.g. the `encoder.keras` of `keras-vit pretrain-mpp`) whose weights start every layer but the head
    (`keras_vit.weights.transfer.transfer_weights`).
    Data: `dataset` "fashion_mnist" (IDX files in `data_dir`, default Debian's), "tfds:NAME" or "folder:PATH"
    (one sub-folder per class); `val_size` training images held out for validation and the best-model
    checkpoint; `holdout` the fraction of each class a "folder:PATH" without a val/ folder keeps for testing.
    Optimisation: `optimizer` "adamw" (`pretrain_optimizer`) or "sgd" (`finetune_optimizer`); `lr` peak;
    `warmup` a fraction of the steps (< 1) or a step count; `decay`, `end_lr`, `weight_decay`, `momentum`,
    `global_clipnorm`; `label_smoothing`.
    Augmentation (training only, Keras layers): `augment` names from `keras_vit.data.pipeline.AUGMENTATIONS`;
    `mixup_alpha`, `cutmix_alpha` (> 0 turns them on).
    Few-shot: `fewshot_shots` (empty: none), `fewshot_every` (0: after training only), `fewshot_seeds`.
    Distillation (DeiT, arXiv 2012.12877): `teacher` a `.keras` classifier of the same images whose output a
    distilled DeiT student learns (`keras_vit.training.distillation`), `distillation` "hard" or "soft",
    `distillation_alpha` the distillation term's weight, `distillation_tau` the soft temperature (DeiT's defaults).
    """

    model: str = "vit_fmnist_cs4"
    weights: str | None = None
    init_from: str | None = None
    image_size: int | None = None
    drop_path: float = 0.0
    dropout: float = 0.0
    dataset: str = "fashion_mnist"
    data_dir: str | None = None
    val_size: int = 5000
    holdout: float = 0.2
    epochs: int = 10
    batch_size: int = 128
    steps_per_epoch: int | None = None
    time_budget_min: float | None = None
    optimizer: str = "adamw"
    lr: float = 1e-3
    warmup: float = 0.05
    decay: str = "cosine"
    end_lr: float = 0.0
    weight_decay: float = 0.1
    momentum: float = 0.9
    global_clipnorm: float | None = 1.0
    label_smoothing: float = 0.0
    augment: tuple = ()
    mixup_alpha: float = 0.0
    cutmix_alpha: float = 0.0
    fewshot_shots: tuple = (1, 5, 10, 25)
    fewshot_every: int = 0
    fewshot_seeds: int = 3
    teacher: str | None = None
    distillation: str = "hard"
    distillation_alpha: float = 0.5
    distillation_tau: float = 1.0
    seed: int = 0
    strategy: str = "auto"
    tpu: str | None = None
    mixed_precision: str | None = None
    # None: XLA on TensorFlow and JAX, eager on torch (Keras's own "auto" there: torch.compile spends minutes tracing
    # a ViT before its first step); True on torch asks for torch.compile.
    jit_compile: bool | None = None
    out: str = "runs"
    name: str | None = None
    save_saved_model: bool = True
    verbose: str | int = "auto"

    def __post_init__(self):
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"`optimizer` must be one of {OPTIMIZERS}. Received: optimizer={self.optimizer!r}")
        if self.decay not in DECAYS:
            raise ValueError(f"`decay` must be one of {DECAYS}. Received: decay={self.decay!r}")
        if self.mixed_precision not in (None, "bfloat16", "float16"):
            raise ValueError(
                "`mixed_precision` must be None, 'bfloat16' (Keras 'mixed_bfloat16') or 'float16'. "
                f"Received: mixed_precision={self.mixed_precision!r}"
            )
        if self.distillation not in ("hard", "soft"):
            raise ValueError(f"`distillation` must be 'hard' or 'soft'. Received: distillation={self.distillation!r}")
        for field in ("epochs", "batch_size"):
            if getattr(self, field) < 1:
                raise ValueError(f"`{field}` must be at least 1. Received: {field}={getattr(self, field)}")
        self._check_ranges()

    def _check_ranges(self):
        """A clear error for a number outside the range it has a meaning in (a negative learning rate, ...)."""
        at_least_one = dict(steps_per_epoch=self.steps_per_epoch, fewshot_seeds=self.fewshot_seeds)
        positive = dict(lr=self.lr, time_budget_min=self.time_budget_min, global_clipnorm=self.global_clipnorm)
        non_negative = dict(
            weight_decay=self.weight_decay,
            end_lr=self.end_lr,
            val_size=self.val_size,
            mixup_alpha=self.mixup_alpha,
            cutmix_alpha=self.cutmix_alpha,
            fewshot_every=self.fewshot_every,
        )
        below_one = dict(
            label_smoothing=self.label_smoothing, dropout=self.dropout, drop_path=self.drop_path, momentum=self.momentum
        )
        checks = [
            (at_least_one, lambda v: v >= 1, "at least 1"),
            (positive, lambda v: v > 0, "> 0"),
            (non_negative, lambda v: v >= 0, ">= 0"),
            (below_one, lambda v: 0 <= v < 1, "in [0, 1)"),
            (dict(holdout=self.holdout), lambda v: 0 < v < 1, "a fraction in (0, 1)"),
        ]
        for values, holds, wanted in checks:
            for field, value in values.items():
                if value is not None and not holds(value):
                    raise ValueError(f"`{field}` must be {wanted}. Received: {field}={value}")
        if self.name is not None and (
            not self.name or self.name != os.path.basename(self.name) or self.name in ("..", ".")
        ):
            raise ValueError(
                f"`name` is the run's folder inside `out`: a plain folder name, no path; use --out for the parent "
                f"folder. Received: name={self.name!r}"
            )


def make_optimizer(config, total_steps):
    """The optimizer and schedule a `TrainConfig` asks for."""
    warmup = warmup_steps_for(config.warmup, total_steps)
    if config.optimizer == "sgd":
        return finetune_optimizer(total_steps, config.lr, warmup, config.momentum, config.decay, config.global_clipnorm)
    return pretrain_optimizer(
        total_steps, config.lr, warmup, config.weight_decay, config.decay, config.end_lr, config.global_clipnorm
    )


# Small models for 28-px images (`kind="small"` rows of `keras_vit.models.presets.MODELS`, where each is described):
# name → (builder, its arguments). `--model NAME` accepts these.
MODELS = catalog.small_models()


# The default `keras-vit train`: vit_fmnist_cs4 on Fashion-MNIST within 9.75 minutes of wall time. After the first
# epoch the number of epochs (at most 20) is set from its measured length, and the cosine schedule with it.
FMNIST = TrainConfig(
    model="vit_fmnist_cs4",
    epochs=20,
    time_budget_min=9.75,
    batch_size=128,
    lr=2e-3,
    warmup=300,
    label_smoothing=0.1,
    augment=("flip",),
)

RECIPES = {
    "fmnist": FMNIST,
    # The same model for up to 60 epochs within 75 minutes, with random crops as well, in bfloat16 without XLA:
    # on a CPU with avx512_bf16 (oneDNN) that trains vit_fmnist_cs4 at 1.4x the images/s of float32 with XLA
    # (examples/train_throughput.py). On a CPU without native bfloat16, pass --mixed-precision none --jit.
    "fmnist-long": dataclasses.replace(
        FMNIST,
        epochs=60,
        time_budget_min=75.0,
        augment=("crop", "flip"),
        mixed_precision="bfloat16",
        jit_compile=False,
    ),
    # Paper pre-training recipe (Adam + weight decay 0.1, 10k warm-up steps, linear decay), ViT-B/16 at 224 px.
    "pretrain": TrainConfig(
        model="vit_b16",
        image_size=224,
        batch_size=4096,
        epochs=300,
        lr=1e-3,
        warmup=10_000,
        decay="linear",
        end_lr=1e-5,
        weight_decay=0.1,
        dropout=0.1,
        augment=("inception_crop", "flip"),
    ),
    # Paper fine-tuning recipe (SGD momentum 0.9, clip 1.0, cosine, 500 warm-up steps, no weight decay, 384 px).
    "finetune": TrainConfig(
        model="vit_b16",
        weights="imagenet21k",
        image_size=384,
        batch_size=512,
        epochs=10,
        optimizer="sgd",
        lr=0.003,
        warmup=500,
        decay="cosine",
        weight_decay=0.0,
        augment=("inception_crop", "flip"),
    ),
}


def get_recipe(name):
    if name not in RECIPES:
        raise ValueError(f"Unknown recipe; known: {sorted(RECIPES)}. Received: recipe={name!r}")
    return RECIPES[name]
