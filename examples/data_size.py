"""Inductive bias against data size (paper §4.2–4.3, Fig. 3–4) at toy scale, on Fashion-MNIST.

The paper: Transformers lack the CNN's locality and translation equivariance and "do not generalize well when
trained on insufficient amounts of data"; BiT ResNets win on small pre-training sets, ViT overtakes as data grows,
and on the smaller sets larger ViTs are behind smaller ones. Here five models train on 1k, 4k, 15k and all
60k labelled Fashion-MNIST training images (nested random subsets drawn by the seed) and are tested on the
10,000 test images:

- `bit_fmnist_s2`, BiT's ResNet v2 for 28-px images (the paper's baseline) with a stride-2 root: 33.4 MFLOPs
  per image, as the small ViT's 33.0, so that at equal images seen the two spend equal compute;
- `vit_fmnist`, the small ViT (49 patches of 4×4 px, width 96, 4 blocks);
- `vit_fmnist_large`, the larger ViT: `vit_fmnist_p7`'s Transformer (width 128, 6 blocks, 2.6× the parameters)
  on the same 49 patches;
- `vit_fmnist_hybrid`, `vit_fmnist`'s Transformer on the 7×7 map of the ResNet root;
- `deit_fmnist_distilled`, DeiT's recipe: `vit_fmnist` with a class and a distillation token, hard-distilled
  from the ResNet trained on the same images (`train(teacher=...)`).

Every run uses the `fmnist` recipe (AdamW, cosine decay, label smoothing 0.1, flips) through
`keras_vit.training.train` (with XLA on a CPU without AVX-512: `xla_choice.py`), for about the same number of images
seen at each size: `--max-epochs` passes over the subset, at most `--images-seen` images but at least one pass (so
small sets get many passes, the largest one pass). Every model trains at each learning rate of `--lrs` on a
`--sweep-size` subset and keeps the one with the best validation accuracy (2,000 other training images held out for
it, never the test set); the default is one rate, 3e-3, which won the sweep of {1e-3, 3e-3} for all five models
(2026-12-03), and no sweep. Seed 0 runs every point; where two models end within `--close` points of each other at a
size up to `--seeds-max-size`, both get seeds 1 and 2 as well, and the table gives mean ± std over the seeds run.
Each non-distilled model's `pre_logits` are also scored by few-shot linear regression (5 images per class, 3 draws),
and the script prints the Spearman rank correlation between 5-shot and test accuracy over those runs (§4.1: few-shot
as a cheap proxy of fine-tuning).

    python examples/data_size.py --out runs/data_size     # the docs/REPRODUCTION.md run
    python examples/data_size.py --quick                  # smoke run: one small size, a few steps per model
    python examples/data_size.py --report docs/data_size.csv --out docs   # the table and figures, no training
"""

import argparse
import csv
import dataclasses
import math
import os
import shlex
import sys
import tempfile
import time
import types

import numpy as np
from figures import axes_saved_to  # the script's folder is on sys.path when it runs
from xla_choice import use_xla

import keras_vit
from keras_vit.data import Data
from keras_vit.data import load as load_data
from keras_vit.models import catalog
from keras_vit.models.deit import build_deit
from keras_vit.training import MODELS as TRAIN_MODELS
from keras_vit.training import train
from keras_vit.training.run import read_finished_run

SIZES = (1000, 4000, 15000, 60000)  # ×4 apart
# label → model name; the ResNet first: the distilled ViT's teacher is the ResNet of the same size and seed.
MODELS = {
    "ResNet (BiT)": "bit_fmnist_s2",
    "ViT small": "vit_fmnist",
    "ViT large": "vit_fmnist_large",
    "hybrid": "vit_fmnist_hybrid",
    "DeiT distilled": "deit_fmnist_distilled",
}
TEACHER = "bit_fmnist_s2"
DISTILLED = "deit_fmnist_distilled"
SHOTS = 5
SWEEP_VAL = 2000
CSV_FIELDS = ("model", "size", "seed", "lr", "epochs", "steps", "test_accuracy", "fewshot_5", "train_time_s")


def vit_fmnist_large(weights=None, image_size=None, classes=10, **kwargs):
    """`vit_fmnist_p7`'s Transformer (width 128, 6 blocks of 4 heads, MLP 256) on `vit_fmnist`'s 4×4 patches."""
    build, sizes = TRAIN_MODELS["vit_fmnist_p7"]
    arguments = dict(sizes, patch_size=TRAIN_MODELS["vit_fmnist"][1]["patch_size"], **kwargs)
    arguments["image_size"] = image_size or arguments["image_size"]
    return build(classes=classes, name="vit_fmnist_large", **arguments)


def deit_fmnist_distilled(weights=None, image_size=None, classes=10, **kwargs):
    """`vit_fmnist` as DeiT: class and distillation tokens, two heads (logits their mean), exact GELU."""
    sizes = dict(TRAIN_MODELS["vit_fmnist"][1], classifier="token", **kwargs)
    sizes["image_size"] = image_size or sizes["image_size"]
    # pixels="inception": no pixel normalisation in front, the model sees preprocess_input's [-1, 1] as the others.
    return build_deit(distilled=True, pixels="inception", classes=classes, name=DISTILLED, **sizes)


def register_models():
    catalog.register("vit_fmnist_large", vit_fmnist_large)
    catalog.register(DISTILLED, deit_fmnist_distilled)


def subset(data, size, seed, val_size=0):
    """The first `size` images of the seed's permutation of the training split (nested across sizes), and
    optionally `val_size` images from the end of that permutation as validation data."""
    x, y = data.train
    if size + val_size > len(x):
        raise ValueError(f"{size} training + {val_size} validation images exceed the {len(x)} available")
    order = np.random.default_rng(seed).permutation(len(x))
    chosen = order[:size]
    val = (x[order[-val_size:]], y[order[-val_size:]]) if val_size else None
    return Data(
        train=(x[chosen], y[chosen]),
        val=val,
        test=data.test,
        num_classes=data.num_classes,
        image_shape=data.image_shape,
        class_names=data.class_names,
        description=f"{data.description}, {size} training images (seed {seed})",
    )


def schedule_for(size, batch_size, max_epochs, images_seen):
    """`(1, steps)`: `max_epochs` passes over `size` images, at most `images_seen` images but never under one pass,
    as one Keras epoch of `steps` batches of the repeating training pipeline — so that the per-epoch checkpoints
    and logs do not cost a small set's many passes their time (20 epochs of 1,000 images took 2.5 × as long as
    2 of 10,000)."""
    images = max(size, min(max_epochs * size, images_seen))
    return 1, math.ceil(images / batch_size)


def spearman(a, b):
    """Spearman's rank correlation (ties get their mean rank), the Pearson correlation of the ranks."""
    ranks = [_average_ranks(np.asarray(v, dtype=float)) for v in (a, b)]
    return float(np.corrcoef(*ranks)[0, 1])


def _average_ranks(values):
    order = np.argsort(values, kind="stable")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(len(values), dtype=float)
    for value in np.unique(values):
        tied = values == value
        ranks[tied] = ranks[tied].mean()
    return ranks


def close_pairs(accuracies, margin):
    """The models whose accuracy (a fraction) is within `margin` points of another model's: name set."""
    return {
        name
        for name, accuracy in accuracies.items()
        if any(abs(accuracy - other) * 100 < margin for o, other in accuracies.items() if o != name)
    }


def aggregate(rows):
    """{(model, size): (mean test accuracy, std, seeds)} over the rows' seeds."""
    points = {}
    for row in rows:
        points.setdefault((row["model"], row["size"]), []).append(row["test_accuracy"])
    return {key: (float(np.mean(v)), float(np.std(v)), len(v)) for key, v in points.items()}


class Sweep:
    """Runs `train` for one (model, size, seed, lr) and remembers what it measured."""

    def __init__(self, data, args):
        self.data, self.args, self.rows = data, args, []
        self.jit_compile = use_xla(args.quick)
        self.lrs = {}  # model → the learning rate its sweep chose

    def run_name(self, model, size, seed, lr, val_size):
        return f"{model}-n{size}-s{seed}" + (f"-lr{lr:g}" if val_size else "")

    def run(self, model, size, seed, lr, val_size=0):
        epochs, steps = schedule_for(size, self.args.batch_size, self.args.max_epochs, self.args.images_seen)
        if self.args.quick:
            epochs, steps = 1, 2
        name = self.run_name(model, size, seed, lr, val_size)
        if self.args.resume and (done := finished_run(self.args.out, name, lr, epochs, steps)):
            print(f"  {name}: read back from its results.json (--resume)", flush=True)
            return done, epochs, steps
        # The distilled ViT learns from the ResNet of the same images (in a sweep: at the ResNet's chosen rate).
        teacher = None
        if model == DISTILLED:
            teacher_run = self.run_name(TEACHER, size, seed, self.lrs[TEACHER], val_size)
            teacher = os.path.join(self.args.out, teacher_run, "model.keras")
        data = subset(self.data, size, seed, val_size)
        if val_size:
            # A sweep run is scored on its held-out images alone: they take the test split's place (the test
            # images are never looked at), evaluated once at the end rather than after every epoch.
            data = dataclasses.replace(data, val=None, test=data.val)
        result = train(
            "fmnist",
            data=data,
            model=model,
            name=name,
            lr=lr,
            seed=seed,
            epochs=epochs,
            steps_per_epoch=steps,
            warmup=min(300, epochs * steps // 10),
            time_budget_min=None,
            batch_size=self.args.batch_size,
            jit_compile=self.jit_compile,
            teacher=teacher,
            distillation="hard",
            fewshot_shots=() if model == DISTILLED or val_size else (SHOTS,),
            save_saved_model=False,
            out=self.args.out,
            verbose=0,
        )
        return result, epochs, steps

    def best_lr(self, model):
        """The learning rate of `self.args.lrs` with the best validation accuracy on the sweep subset."""
        if len(self.args.lrs) == 1:
            return self.args.lrs[0]
        scores = {}
        for lr in self.args.lrs:
            result, _, _ = self.run(model, self.args.sweep_size, 0, lr, val_size=SWEEP_VAL)
            scores[lr] = result.test_accuracy  # of the held-out images: see `run`
            print(f"  sweep {model} lr {lr:g}: val accuracy {scores[lr]:.4f}", flush=True)
        return max(scores, key=scores.get)

    def record(self, model, size, seed, lr):
        result, epochs, steps = self.run(model, size, seed, lr)
        row = dict(
            model=model,
            size=size,
            seed=seed,
            lr=lr,
            epochs=epochs,
            steps=steps,
            test_accuracy=result.test_accuracy,
            fewshot_5=result.fewshot.get(SHOTS) if result.fewshot else None,
            train_time_s=result.train_time_s,
        )
        self.rows.append(row)
        write_csv(self.rows, os.path.join(self.args.out, "data_size.csv"))  # so far, should a later run fail
        print(
            f"  {model} n={size} seed {seed} lr {lr:g}: test {row['test_accuracy']:.4f}, "
            f"trained {row['train_time_s']:.0f} s ({steps} steps, {steps * self.args.batch_size / size:.1f} passes)",
            flush=True,
        )
        return row


def measure(data, args):
    """Trains every point; returns (rows, {model: lr})."""
    sweep = Sweep(data, args)
    if len(args.lrs) > 1 and args.sweep_size + SWEEP_VAL > len(data.train[0]):
        raise ValueError(f"--sweep-size {args.sweep_size} leaves fewer than {SWEEP_VAL} images for validation")
    if DISTILLED in args.models and TEACHER not in args.models:
        raise ValueError(f"{DISTILLED} is distilled from {TEACHER}; add it to --models")
    for model in args.models:
        sweep.lrs[model] = args.lrs[0] if args.quick else sweep.best_lr(model)
    for size in args.sizes:
        seed0 = {model: sweep.record(model, size, 0, sweep.lrs[model])["test_accuracy"] for model in args.models}
        for seed in range(1, args.seeds if size <= args.seeds_max_size else 1):
            close = close_pairs(seed0, args.close)
            # The distilled ViT needs its teacher at this seed.
            if DISTILLED in close:
                close.add(TEACHER)
            for model in (m for m in args.models if m in close):
                sweep.record(model, size, seed, sweep.lrs[model])
    return sweep.rows, sweep.lrs


def finished_run(out, name, lr, epochs, steps):
    """The result of a run already in `out` with this learning rate and schedule (its results.json), or None."""
    saved = read_finished_run(os.path.join(out, name), lr=lr, epochs=epochs, steps_per_epoch=steps)
    if saved is None:
        return None
    return types.SimpleNamespace(
        test_accuracy=saved["test_accuracy"],
        fewshot={int(key.removesuffix("shot")): accuracy for key, accuracy in saved["fewshot"].items()},  # "5shot"
        train_time_s=saved["train_time_s"],
    )


def read_csv(path):
    """The rows of a `data_size.csv`, typed as `Sweep.record` made them (an empty `fewshot_5`: None)."""
    ints, floats = ("size", "seed", "epochs", "steps"), ("lr", "test_accuracy", "train_time_s")
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows or set(rows[0]) != set(CSV_FIELDS):
        raise ValueError(f"{path} is not a data_size.csv: it needs the columns {', '.join(CSV_FIELDS)}")
    for row in rows:
        row.update({key: int(row[key]) for key in ints})
        row.update({key: float(row[key]) for key in floats})
        row["fewshot_5"] = float(row["fewshot_5"]) if row["fewshot_5"] else None
    return rows


def write_csv(rows, path):
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=CSV_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def plot(points, models, path):
    """Test accuracy against training-set size (log x), mean ± std over the seeds run."""
    with axes_saved_to(path, figsize=(6.4, 4.4)) as axes:
        for label, model in MODELS.items():
            if model not in models:
                continue
            sizes = sorted(size for (m, size) in points if m == model)
            means = [100 * points[(model, s)][0] for s in sizes]
            stds = [100 * points[(model, s)][1] for s in sizes]
            axes.errorbar(sizes, means, yerr=stds, marker="o", capsize=3, label=label)
        axes.set_xscale("log")
        axes.set_xlabel("labelled training images")
        axes.set_ylabel("Fashion-MNIST test accuracy (%)")
        axes.grid(True, which="both", alpha=0.3)
        axes.legend()
    return path


def plot_fewshot(rows, path):
    """5-shot linear accuracy against test accuracy, one point per run, one colour per model (§4.1's proxy)."""

    rows = [r for r in rows if r["fewshot_5"] is not None]
    rho = spearman([r["fewshot_5"] for r in rows], [r["test_accuracy"] for r in rows])
    with axes_saved_to(path, figsize=(5.2, 4.6)) as axes:
        for label, model in MODELS.items():
            runs = [r for r in rows if r["model"] == model]
            if runs:
                x, y = (100 * np.array([r[key] for r in runs]) for key in ("fewshot_5", "test_accuracy"))
                axes.scatter(x, y, s=18, label=label)
        axes.set_xlabel(f"{SHOTS}-shot linear accuracy (%)")
        axes.set_ylabel("test accuracy after training (%)")
        axes.set_title(f"Spearman {rho:.3f} over {len(rows)} runs")
        axes.grid(True, alpha=0.3)
        axes.legend()
    return path


def report(rows, lrs, args, wall_s):
    """Writes the figures and the CSV; prints the table and the Spearman correlation (`wall_s` None: read back)."""
    points = aggregate(rows)
    figure = plot(points, args.models, os.path.join(args.out, "data_size.png"))
    table = write_csv(rows, os.path.join(args.out, "data_size.csv"))
    print("\nCommand: python " + " ".join(shlex.quote(a) for a in sys.argv))
    took = "read back" if wall_s is None else f"in {wall_s / 60:.1f} min"
    print(f"keras_vit {keras_vit.__version__}; {len(rows)} runs {took}; figure {figure}; runs {table}")
    chosen = "best validation accuracy of the sweep" if len(args.lrs) > 1 else "given, no sweep"
    chosen = "as the CSV has them" if wall_s is None else chosen
    print(f"Learning rates ({chosen}): " + ", ".join(f"{m} {lr:g}" for m, lr in lrs.items()))
    print("| model | " + " | ".join(f"{s:,}" for s in args.sizes) + " |")
    print("|---|" + "---:|" * len(args.sizes))
    for label, model in MODELS.items():
        if model in args.models:
            cells = [_cell(points.get((model, s))) for s in args.sizes]
            print(f"| {label} (`{model}`) | " + " | ".join(cells) + " |")
    fewshot = [r for r in rows if r["fewshot_5"] is not None]
    if len(fewshot) >= 3:
        rho = spearman([r["fewshot_5"] for r in fewshot], [r["test_accuracy"] for r in fewshot])
        print(
            f"\nSpearman rank correlation, 5-shot linear accuracy against test accuracy, {len(fewshot)} runs: {rho:.3f}"
        )
        print(f"Figure: {plot_fewshot(rows, os.path.join(args.out, 'data_size_fewshot.png'))}")
    return points


def _cell(point):
    if point is None:
        return "—"
    mean, std, seeds = point
    return f"{100 * mean:.2f}" + (f" ± {100 * std:.2f} ({seeds})" if seeds > 1 else "")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--models", nargs="+", default=list(MODELS.values()), choices=list(MODELS.values()))
    parser.add_argument(
        "--lrs",
        type=float,
        nargs="+",
        default=[3e-3],
        help="learning rates swept (one: no sweep; 3e-3 won the sweep of 1e-3 and 3e-3 for all five models)",
    )
    parser.add_argument("--sweep-size", type=int, default=3000, help="training images of the sweep")
    parser.add_argument("--max-epochs", type=int, default=20, help="most passes over a subset")
    parser.add_argument("--images-seen", type=int, default=10_000, help="most training images seen per run")
    parser.add_argument("--seeds", type=int, default=3, help="seeds of the points within --close of another")
    parser.add_argument("--seeds-max-size", type=int, default=4000, help="the largest size that gets the extra seeds")
    parser.add_argument("--close", type=float, default=1.0, help="points (percent) that call for more seeds")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--out", default=None, help="output folder (default: a temporary folder)")
    parser.add_argument(
        "--resume", action="store_true", help="read back the runs already in --out (same lr and schedule)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 500 images, 1 epoch of 2 steps, one seed, 500 test images"
    )
    parser.add_argument(
        "--report", metavar="CSV", default=None, help="no training: the table and figures of a finished run's CSV"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.seeds, args.batch_size = [500], 1, 32
    args.out = args.out or tempfile.mkdtemp(prefix="data_size_")
    os.makedirs(args.out, exist_ok=True)
    # The teacher trains before its student at every size.
    args.models = sorted(args.models, key=list(MODELS.values()).index)
    if args.report:
        rows = read_csv(args.report)
        args.sizes = sorted({row["size"] for row in rows})
        args.models = [model for model in MODELS.values() if any(row["model"] == model for row in rows)]
        lrs = {model: next(row["lr"] for row in rows if row["model"] == model) for model in args.models}
        report(rows, lrs, args, None)
        return 0
    register_models()
    start = time.time()
    data = load_data("fashion_mnist")
    if args.quick:
        data = data.head(test=500)
    rows, lrs = measure(data, args)
    report(rows, lrs, args, time.time() - start)
    return 0


if __name__ == "__main__":
    sys.exit(main())
