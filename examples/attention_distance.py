"""Attention distance of a ViT and a hybrid with the same Transformer (paper §4.5, Figure 7 right and Figure 11).

The paper: some heads attend globally already in the lowest layers, others locally, and "this highly localized
attention is less pronounced in hybrid models that apply a ResNet before the Transformer". Here both models see
the same 7×7 grid of 4-pixel cells of a 28-px Fashion-MNIST image and share the Transformer of the small models
(width 96, 4 blocks of 4 heads, MLP 192, GAP head): `vit_fmnist` cuts the image into 4×4-pixel patches,
`vit_fmnist_hybrid` takes the cells of the ResNet root's 7×7 feature map (7×7/2 convolution, GroupNorm,
max-pool /2: R+ViT-Ti/16's stem). Each trains with the `fmnist` recipe for the same wall-clock budget through
`keras_vit.training.train`; then the per-head mean attention distance over 128 test images
(`keras_vit.analysis.distance.mean_attention_distance`, the paper's measure: attention-weighted pixel distance
between query and key patches) is written per model as CSV, both in one figure, and a table gives per layer the
fraction of "local" heads: heads whose mean distance is below half that of uniform attention over the grid.

    python examples/attention_distance.py --minutes 8          # 8 minutes of training per model
    python examples/attention_distance.py --minutes 0 --epochs 8   # 8 epochs each, however long they take
    python examples/attention_distance.py --quick              # smoke run: 5 steps of 32 each
"""

import argparse
import dataclasses
import os
import shlex
import sys
import tempfile

import numpy as np

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


def measure(args):
    """Trains both models; returns {label: (test accuracy, epochs, (layers, heads) distances)}."""
    common = dict(
        epochs=args.epochs,
        time_budget_min=args.minutes if args.minutes > 0 else None,
        fewshot_shots=(),
        save_saved_model=False,
        out=args.out,
        seed=args.seed,
        verbose=2,
    )
    if args.quick:
        # Without XLA (its compilation, ~30 s a model on 2 cores, would be most of a smoke run), on few images.
        common.update(epochs=1, steps_per_epoch=5, batch_size=32, time_budget_min=None, jit_compile=False)
        data = load_data(dataclasses.replace(get_recipe("fmnist"), val_size=500, seed=args.seed))
        common["data"] = dataclasses.replace(data, train=tuple(a[:160] for a in data.train), test=data.val)
    images = test_images(args.images)
    results = {}
    for label, name in MODELS.items():
        result = train("fmnist", model=name, name=f"{name}-seed{args.seed}", **common)
        distances = mean_attention_distance(result.model, images, num_images=args.images)
        write_distance_csv(distances, os.path.join(args.out, f"attention_distance_{name}.csv"))
        results[label] = (result.test_accuracy, result.epochs, distances)
    return results


def report(results, out):
    """Writes the figure; prints the accuracies and the local-head table (markdown)."""
    (vit_label, vit), (hybrid_label, hybrid) = results.items()
    figure = plot_distance_comparison(
        vit[2], hybrid[2], os.path.join(out, "attention_distance.png"), labels=(vit_label, hybrid_label)
    )
    threshold = 0.5 * uniform_distance()
    print("\nCommand: python " + " ".join(shlex.quote(a) for a in sys.argv))
    print(f"Figure: {figure}")
    for label, (accuracy, epochs, _) in results.items():
        print(f"{label}: test accuracy {accuracy:.4f} after {epochs} epochs")
    print(f"\nLocal heads: mean distance < {threshold:.1f} px (half of uniform attention's {2 * threshold:.1f} px)")
    print("| layer | ViT: local heads | hybrid: local heads | ViT: min / mean distance (px) | hybrid: min / mean |")
    print("|---:|---:|---:|---:|---:|")
    local = {label: local_fraction(r[2], threshold) for label, r in results.items()}
    for layer in range(len(vit[2])):
        cells = [f"{local[label][layer]:.2f}" for label in results]
        spans = [f"{r[2][layer].min():.1f} / {r[2][layer].mean():.1f}" for r in results.values()]
        print(f"| {layer + 1} | " + " | ".join(cells + spans) + " |")
    return local


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--minutes",
        type=float,
        default=8.0,
        help="training budget per model; 0: none, --epochs decides (default: %(default)s)",
    )
    parser.add_argument("--epochs", type=int, default=20, help="most epochs per model (default: %(default)s)")
    parser.add_argument("--images", type=int, default=128, help="test images averaged over (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None, help="output folder (default: a temporary folder)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 epoch of 5 steps of 32 per model")
    args = parser.parse_args(argv)
    args.out = args.out or tempfile.mkdtemp(prefix="attention_distance_")
    os.makedirs(args.out, exist_ok=True)
    report(measure(args), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
