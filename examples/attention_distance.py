"""Attention distance of a ViT and a hybrid with the same Transformer (paper §4.5, Figure 7 right and Figure 11).

The paper: some heads attend globally already in the lowest layers, others locally, and "this highly localized
attention is less pronounced in hybrid models that apply a ResNet before the Transformer". Here both models see the
same 7×7 grid of 4-pixel cells of a 28-px Fashion-MNIST image and share the Transformer of the small models (width
96, 4 blocks of 4 heads, MLP 192, GAP head): `vit_fmnist` cuts the image into 4×4-pixel patches, `vit_fmnist_hybrid`
takes the cells of the ResNet root's 7×7 feature map (7×7/2 convolution, GroupNorm, max-pool /2: R+ViT-Ti/16's
stem). Each trains with the `fmnist` recipe (or `--recipe`) for the same number of epochs (or, with `--minutes`, the
same wall-clock budget) through `keras_vit.training.train`, with XLA on a CPU without AVX-512
(`xla_choice.py`, measured by `examples/train_throughput.py`) and with a warm-up of a fifth of the
steps (the recipe's 300 steps would be most of an epoch); then the per-head mean attention distance over 128 test
images (`keras_vit.analysis.distance.mean_attention_distance`, the paper's measure: attention-weighted pixel
distance between query and key patches) is written per model as CSV, both in one figure, and a table gives per layer
the fraction of "local" heads: heads whose mean distance is below half that of uniform attention over the grid. With
`--seeds N` both models train once per seed; the figure shows every seed's heads, the table the mean ± std over the
seeds.

    python examples/attention_distance.py                      # 3 seeds × 1 epoch each (docs/REPRODUCTION.md)
    python examples/attention_distance.py --epochs 10 --seeds 1    # one seed of 10 epochs each
    python examples/attention_distance.py --minutes 8          # 8 minutes of training per model (--epochs at most)
    python examples/attention_distance.py --quick              # smoke run: 5 steps of 32 each
"""

import argparse
import dataclasses
import os
import shlex
import sys
import tempfile
import typing

import keras
import numpy as np
from seed_summary import mean_std  # the script's folder is on sys.path when it runs
from xla_choice import use_xla

import keras_vit
from keras_vit.analysis.distance import mean_attention_distance, pairwise_distances, write_distance_csv
from keras_vit.analysis.plots import plot_distance_comparison
from keras_vit.data import fashion_mnist
from keras_vit.training import get_recipe, train
from keras_vit.training.run import load_data

MODELS = {"ViT": "vit_fmnist", "hybrid": "vit_fmnist_hybrid"}
GRID, CELL_PX = (7, 7), (4.0, 4.0)


def uniform_distance(grid_hw=GRID, cell_px=CELL_PX):
    """Mean attention distance of a head that attends to every patch alike (the grid's mean pairwise distance)."""
    return float(pairwise_distances(grid_hw, cell_px).mean())


def local_fraction(distances, threshold):
    """Per layer, the fraction of heads whose mean attention distance is below `threshold` pixels."""
    return (np.asarray(distances) < threshold).mean(axis=1)


def test_images(count):
    """The first `count` Fashion-MNIST test images as the models see them: RGB, `preprocess_input`'s [-1, 1]."""
    (_, _), (x_test, _) = fashion_mnist.load_data()
    grey = x_test[:count].astype("float32")[..., None]
    return keras_vit.preprocess_input(np.repeat(grey, 3, axis=-1))


class Run(typing.NamedTuple):
    """One trained model: its test accuracy, epochs, final `(layers, heads)` distances and those after each epoch."""

    accuracy: float
    epochs: int
    distances: np.ndarray
    by_epoch: list


class DistanceByEpoch(keras.callbacks.Callback):
    """Every head's mean attention distance at the end of each epoch: how the heads specialise as training goes on."""

    def __init__(self, images):
        super().__init__()
        self.images, self.history = images, []

    def on_epoch_end(self, epoch, logs=None):
        self.history.append(mean_attention_distance(self.model, self.images, num_images=len(self.images)))


def measure(args):
    """Trains both models once per seed; returns {label: [`Run` of each seed]}."""
    common = dict(
        epochs=args.epochs,
        warmup=0.2,
        jit_compile=use_xla(args.quick),
        time_budget_min=args.minutes if args.minutes > 0 else None,
        fewshot_shots=(),
        save_saved_model=False,
        out=args.out,
        verbose=2,
    )
    if args.quick:
        # On few images.
        common.update(epochs=1, steps_per_epoch=5, batch_size=32, time_budget_min=None)
        data = load_data(dataclasses.replace(get_recipe(args.recipe), val_size=500, seed=0))
        common["data"] = dataclasses.replace(data.head(train=160), test=data.val)
    images = test_images(args.images)
    results = {label: [] for label in MODELS}
    for seed in range(args.seed, args.seed + args.seeds):
        for label, name in MODELS.items():
            by_epoch = DistanceByEpoch(images)
            result = train(args.recipe, [by_epoch], model=name, name=f"{name}-seed{seed}", seed=seed, **common)
            distances = mean_attention_distance(result.model, images, num_images=args.images)
            write_distance_csv(distances, os.path.join(args.out, f"attention_distance_{name}-seed{seed}.csv"))
            results[label].append(Run(result.test_accuracy, result.epochs, distances, by_epoch.history))
    for label, name in MODELS.items():  # the mean over the seeds, head by head
        mean = np.mean([run.distances for run in results[label]], axis=0)
        write_distance_csv(mean, os.path.join(args.out, f"attention_distance_{name}.csv"))
    return results


def report(results, out):
    """Writes the figure (every seed's heads); prints the accuracies, the local-head table and the heads' course
    over the epochs (markdown)."""
    heads = {label: np.concatenate([run.distances for run in runs], axis=1) for label, runs in results.items()}
    (vit_label, vit), (hybrid_label, hybrid) = heads.items()
    figure = plot_distance_comparison(
        vit, hybrid, os.path.join(out, "attention_distance.png"), labels=(vit_label, hybrid_label)
    )
    threshold = 0.5 * uniform_distance()
    seeds = len(next(iter(results.values())))
    print("\nCommand: python " + " ".join(shlex.quote(a) for a in sys.argv))
    print(f"Figure: {figure}")
    for label, runs in results.items():
        accuracy = mean_std([run.accuracy for run in runs])
        epochs = "/".join(str(run.epochs) for run in runs)
        print(f"{label}: test accuracy {accuracy} % after {epochs} epochs ({seeds} seed{'s' * (seeds > 1)})")
    print(f"\nLocal heads: mean distance < {threshold:.1f} px (half of uniform attention's {2 * threshold:.1f} px)")
    if seeds > 1:
        print(f"Mean ± std over {seeds} seeds; min: the closest head of each seed's layer")
    print("| layer | ViT: local heads | hybrid: local heads | ViT: min / mean distance (px) | hybrid: min / mean |")
    print("|---:|---:|---:|---:|---:|")
    local = {
        label: np.array([local_fraction(run.distances, threshold) for run in runs]) for label, runs in results.items()
    }
    for layer in range(vit.shape[0]):
        cells = [mean_std(local[label][:, layer], scale=1) for label in results]
        spans = [
            f"{mean_std([run.distances[layer].min() for run in runs], scale=1, digits=1)} / "
            f"{mean_std([run.distances[layer].mean() for run in runs], scale=1, digits=1)}"
            for runs in results.values()
        ]
        print(f"| {layer + 1} | " + " | ".join(cells + spans) + " |")
    report_by_epoch(results)
    return {label: fractions.mean(axis=0) for label, fractions in local.items()}


def report_by_epoch(results):
    """Per epoch: the closest head of all layers and the layers' mean distance (mean over the seeds, in px)."""
    epochs = min(len(run.by_epoch) for runs in results.values() for run in runs)
    if epochs == 0:
        return
    print("\nAfter each epoch: closest head / mean over all heads (px), mean over the seeds")
    print("| epoch | " + " | ".join(f"{label}: closest / mean" for label in results) + " |")
    print("|---:|" + "---:|" * len(results))
    for epoch in range(epochs):
        cells = [
            f"{np.mean([run.by_epoch[epoch].min() for run in runs]):.1f} / "
            f"{np.mean([run.by_epoch[epoch].mean() for run in runs]):.1f}"
            for runs in results.values()
        ]
        print(f"| {epoch + 1} | " + " | ".join(cells) + " |")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--minutes",
        type=float,
        default=0.0,
        help="training budget per model; 0: none, --epochs decides (default: %(default)s)",
    )
    # The heads' distances settle after the first epoch (docs/REPRODUCTION.md): 1 epoch × 3 seeds of both models
    # fit within 30 minutes on 2 CPU cores, also on an AVX2-only one (vit_fmnist: 208 s an epoch there).
    parser.add_argument("--epochs", type=int, default=1, help="most epochs per model (default: %(default)s)")
    parser.add_argument("--images", type=int, default=128, help="test images averaged over (default: %(default)s)")
    parser.add_argument("--recipe", default="fmnist", help="training recipe of both models (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="the first seed (default: %(default)s)")
    parser.add_argument("--seeds", type=int, default=3, help="seeds per model (default: %(default)s)")
    parser.add_argument("--out", default=None, help="output folder (default: a temporary folder)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 epoch of 5 steps of 32 per model")
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error(f"--seeds must be at least 1. Received: --seeds {args.seeds}")
    if args.quick:
        args.seeds = 1  # a smoke run trains each model once
    args.out = args.out or tempfile.mkdtemp(prefix="attention_distance_")
    os.makedirs(args.out, exist_ok=True)
    report(measure(args), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
