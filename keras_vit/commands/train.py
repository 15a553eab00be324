"""Train a Vision Transformer (the main job).

With no arguments: a small ViT on real Fashion-MNIST (Debian's dataset-fashion-mnist IDX files), with a
progress bar, test accuracy, few-shot linear evaluation, logs, a .keras model and a SavedModel under
runs/<name>/. Flags override the chosen recipe's values.

Examples:
    keras-vit train
    keras-vit train --recipe fmnist-long
    keras-vit train --model vit_b16 --weights imagenet21k --image-size 384 --dataset tfds:cifar10 --epochs 2
    keras-vit train --steps 1 --epochs 1 --model vit_tiny           # smoke run
A killed run resumes where it stopped when restarted with the same --name (BackupAndRestore).
"""

import argparse

from keras_vit.commands.common import RECIPE_NAMES, add_strategy_arguments, shots_list

HELP = "train or fine-tune a ViT (default: a small ViT on Fashion-MNIST)"


def _floats(text):
    return tuple(float(v) for v in text.split(",") if v)


def _names(text):
    return () if text.lower() in ("", "none") else tuple(v.strip() for v in text.split(",") if v.strip())


def add_arguments(parser):
    g = parser.add_argument_group("recipe and model")
    g.add_argument(
        "--recipe",
        default=None,
        help=f"named recipe {sorted(RECIPE_NAMES)} (default: fmnist, or finetune when --weights is given)",
    )
    g.add_argument(
        "--model",
        default=None,
        help="a small ViT (`keras-vit models --small`), a catalog or timm name (vit_b16, vit_base_patch16_224, ...) or "
        "a .keras file (default: the recipe's)",
    )
    g.add_argument("--weights", default=None, help="registered weights name or a checkpoint path (fine-tuning)")
    g.add_argument(
        "--init-from",
        default=None,
        help="a .keras model whose weights start every layer but the head (e.g. pretrain-mpp's encoder.keras)",
    )
    g.add_argument(
        "--image-size", type=int, default=None, help="training resolution; larger than the weights' resizes the posemb"
    )
    g.add_argument("--drop-path", type=float, default=None, help="stochastic depth rate of the last block")
    g.add_argument("--dropout", type=float, default=None, help="dropout rate")

    g = parser.add_argument_group("data")
    g.add_argument(
        "--dataset",
        default=None,
        help="fashion_mnist (default), tfds:NAME (e.g. tfds:cifar10) or folder:PATH (one sub-folder of images per "
        "class; PATH/train + PATH/val if present)",
    )
    g.add_argument(
        "--holdout",
        type=float,
        default=None,
        help="folder:PATH without a val/ folder: fraction of each class held out for testing (default 0.2)",
    )
    g.add_argument("--data-dir", default=None, help="folder with the Fashion-MNIST IDX files, or the tfds data dir")
    g.add_argument("--val-size", type=int, default=None, help="training images held out for validation")
    g.add_argument(
        "--augment",
        type=_names,
        default=None,
        help="comma list of crop, flip, randaugment, inception_crop ('none' for none)",
    )
    g.add_argument("--mixup", type=float, default=None, dest="mixup_alpha", help="MixUp alpha (0: off)")
    g.add_argument("--cutmix", type=float, default=None, dest="cutmix_alpha", help="CutMix alpha (0: off)")

    g = parser.add_argument_group("optimisation")
    g.add_argument("--epochs", type=int, default=None)
    g.add_argument("--batch-size", type=int, default=None, help="global batch size")
    g.add_argument("--steps", type=int, default=None, dest="steps_per_epoch", help="limit steps per epoch")
    g.add_argument(
        "--time-budget-min",
        type=float,
        default=None,
        help="fit the run into this many minutes: after the first epoch, the epochs (and the schedule) are cut to fit",
    )
    g.add_argument(
        "--optimizer", choices=("adamw", "sgd"), default=None, help="adamw (pre-training) or sgd (fine-tuning)"
    )
    g.add_argument("--lr", type=float, default=None, help="peak learning rate")
    g.add_argument("--warmup", type=float, default=None, help="warm-up: a fraction of the steps (<1) or steps")
    g.add_argument("--decay", choices=("cosine", "linear", "constant"), default=None)
    g.add_argument("--end-lr", type=float, default=None)
    g.add_argument("--weight-decay", type=float, default=None, help="AdamW decoupled weight decay")
    g.add_argument("--momentum", type=float, default=None, help="SGD momentum")
    g.add_argument("--clipnorm", type=float, default=None, dest="global_clipnorm", help="global gradient-norm clip")
    g.add_argument("--label-smoothing", type=float, default=None)
    g.add_argument("--seed", type=int, default=None)

    g = parser.add_argument_group("few-shot evaluation")
    g.add_argument(
        "--fewshot-shots", type=shots_list, default=None, help="comma list of k (default 1,5,10,25; 'none' for none)"
    )
    g.add_argument("--fewshot-every", type=int, default=None, help="evaluate every n epochs (0: after training only)")
    g.add_argument("--fewshot-seeds", type=int, default=None, help="random draws averaged")

    g = parser.add_argument_group("distillation (DeiT, arXiv 2012.12877)")
    g.add_argument(
        "--teacher",
        default=None,
        help="a .keras classifier of the same images (e.g. a CNN) that a distilled DeiT --model learns from, frozen",
    )
    g.add_argument(
        "--distillation", choices=("hard", "soft"), default=None, help="with --teacher: hard (default) or soft"
    )
    g.add_argument(
        "--distillation-alpha", type=float, default=None, help="weight of the distillation term (default 0.5)"
    )
    g.add_argument("--distillation-tau", type=float, default=None, help="soft distillation temperature (default 1.0)")

    g = parser.add_argument_group("execution and outputs")
    add_strategy_arguments(g)
    g.add_argument(
        "--mixed-precision",
        choices=("bfloat16", "float16", "none"),
        default=None,
        help="Keras mixed_<dtype> policy (the head stays float32)",
    )
    g.add_argument(
        "--jit",
        action=argparse.BooleanOptionalAction,
        dest="jit_compile",
        default=None,
        help="compile the train step (XLA; torch.compile on torch). Default: the recipe's; on for all but fmnist-long, "
        "off on the torch backend",
    )
    g.add_argument("--out", default=None, help="parent folder of the run folders (default: runs)")
    g.add_argument("--name", default=None, help="run folder name (default: <model>-<time>); reuse it to resume")
    g.add_argument(
        "--no-saved-model", action="store_false", dest="save_saved_model", default=None, help="skip the SavedModel"
    )
    g.add_argument("--verbose", type=int, default=None, help="Keras fit verbosity (0, 1 progress bar, 2 one line)")


FIELDS = (
    "model",
    "weights",
    "init_from",
    "image_size",
    "drop_path",
    "dropout",
    "dataset",
    "data_dir",
    "val_size",
    "holdout",
    "augment",
    "mixup_alpha",
    "cutmix_alpha",
    "epochs",
    "batch_size",
    "steps_per_epoch",
    "time_budget_min",
    "optimizer",
    "lr",
    "warmup",
    "decay",
    "end_lr",
    "weight_decay",
    "momentum",
    "global_clipnorm",
    "label_smoothing",
    "seed",
    "fewshot_shots",
    "fewshot_every",
    "fewshot_seeds",
    "teacher",
    "distillation",
    "distillation_alpha",
    "distillation_tau",
    "strategy",
    "tpu",
    "mixed_precision",
    "jit_compile",
    "out",
    "name",
    "save_saved_model",
    "verbose",
)


def config_from_args(args):
    """The recipe's `TrainConfig` with every given flag replacing its value."""
    import dataclasses

    from keras_vit.training.recipes import get_recipe

    recipe = args.recipe or ("finetune" if args.weights else "fmnist")
    overrides = {f: getattr(args, f) for f in FIELDS if getattr(args, f, None) is not None}
    given = [
        f"--{f.replace('_', '-')}" for f in ("distillation", "distillation_alpha", "distillation_tau") if f in overrides
    ]
    if given and not overrides.get("teacher"):
        raise ValueError(f"{', '.join(given)} need a teacher; add --teacher PATH.keras. Received: {given}")
    if overrides.get("mixed_precision") == "none":
        overrides["mixed_precision"] = None
    return recipe, dataclasses.replace(get_recipe(recipe), **overrides)


def run(args):
    from keras_vit.training import train

    recipe, config = config_from_args(args)
    print(f"Recipe: {recipe}")
    train(config)
    return 0
