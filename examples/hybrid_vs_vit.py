"""A tiny hybrid (ResNet stem + ViT) against a plain ViT of the same Transformer on Fashion-MNIST.

Both models share the Transformer of the `vit_fmnist_p7` recipe model (width, depth, heads, MLP, GAP head) and
see 16 tokens: the ViT cuts 28-px images into 7×7-pixel patches; the hybrid runs a small ResNet (root and two
one-unit stages, 32-channel root, stride 8) on the images resized to 32 px and takes each cell of its 4×4
feature map as a token (patch size 1), the paper's hybrid (§3.1) at toy scale. Each model trains with the same
recipe for the same wall-clock budget through `keras_vit.training.train`; the script prints test accuracy
and training cost (parameters, MACs per image, training time and throughput) side by side, and draws both
models' validation accuracy after each epoch against the training time it took (`hybrid_vs_vit.png`; the figures
in `hybrid_vs_vit.json`).

    python examples/hybrid_vs_vit.py --minutes 5      # 5 minutes of training per model
    python examples/hybrid_vs_vit.py --quick          # smoke run: 20 steps each, 500 test images
"""

import argparse
import dataclasses
import os
import shlex
import sys
import tempfile
import time

import keras
import numpy as np
from figures import axes_saved_to  # the script's folder is on sys.path when it runs
from seed_summary import write_record

import keras_vit
from keras_vit.models import catalog
from keras_vit.models.flops import count_macs
from keras_vit.training import MODELS, get_recipe, train
from keras_vit.training.run import load_data

TRANSFORMER = ("hidden_size", "depth", "num_heads", "mlp_dim", "classifier")


def hybrid_fmnist(weights=None, image_size=None, classes=10, **kwargs):
    """The `vit_fmnist_p7` Transformer on a 4×4 map of a tiny ResNet (R(1,1), width 0.5) of 32-px images."""
    sizes = {k: MODELS["vit_fmnist_p7"][1][k] for k in TRANSFORMER}
    return keras_vit.ViTHybrid(
        image_size=image_size or 32,
        patch_size=1,
        resnet_blocks=(1, 1),
        resnet_width=0.5,
        weights=weights,
        classes=classes,
        name="hybrid_fmnist",
        **sizes,
        **kwargs,
    )


class EpochClock(keras.callbacks.Callback):
    """The training time (s) at the end of each epoch, and the validation accuracy then."""

    def on_train_begin(self, logs=None):
        self.start, self.points = time.perf_counter(), []

    def on_epoch_end(self, epoch, logs=None):
        self.points.append((time.perf_counter() - self.start, (logs or {}).get("val_accuracy")))


def plot(curves, path):
    """Validation accuracy against training minutes, one line per model; {name: (points, test accuracy)}."""
    with axes_saved_to(path, figsize=(6.0, 4.0)) as axes:
        for name, (points, test_accuracy) in curves.items():
            minutes = [seconds / 60 for seconds, _ in points]
            accuracy = [100 * (value if value is not None else np.nan) for _, value in points]
            axes.plot(minutes, accuracy, marker="o", label=f"{name} (test {100 * test_accuracy:.2f} %)")
        axes.set_xlabel("training time (min)")
        axes.set_ylabel("validation accuracy after the epoch (%)")
        axes.set_xlim(left=0)
        axes.grid(True, alpha=0.3)
        axes.legend()
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=5.0, help="training budget per model (default: %(default)s)")
    parser.add_argument("--epochs", type=int, default=10, help="most epochs per model (default: %(default)s)")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--out", default=None, help="run folder (default: a temporary folder)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 epoch of 20 steps per model")
    args = parser.parse_args(argv)

    catalog.register("hybrid_fmnist", hybrid_fmnist)
    common = dict(
        batch_size=args.batch_size,
        epochs=args.epochs,
        time_budget_min=args.minutes,
        fewshot_shots=(),
        save_saved_model=False,
        out=args.out or tempfile.mkdtemp(prefix="hybrid_vs_vit_"),
        verbose=2,
    )
    # Loaded once, as `train` loads the recipe's data (its validation split); --quick tests on 500 images.
    recipe = get_recipe("fmnist")
    data = load_data(dataclasses.replace(recipe, val_size=500) if args.quick else recipe)
    if args.quick:
        # Without XLA: its compilation (~30 s a model on 2 cores) would be most of a smoke run.
        common.update(epochs=1, steps_per_epoch=20, time_budget_min=None, jit_compile=False)
        data = data.head(train=20 * args.batch_size, test=500)  # the 20 steps' images (a short shuffle)

    rows, curves = [], {}
    for name in ("vit_fmnist_p7", "hybrid_fmnist"):
        clock = EpochClock()
        result = train("fmnist", [clock], data=data, model=name, name=name, **common)
        curves[name] = (clock.points, result.test_accuracy)
        model = result.model
        rows.append(
            (
                name,
                model.count_params(),
                count_macs(model) / 1e6,
                result.test_accuracy,
                result.epochs,
                result.train_time_s,
                result.train_images_per_s,
            )
        )

    print("\nCommand: python " + " ".join(shlex.quote(a) for a in sys.argv))
    print("| model | params | MMACs / image | test accuracy | epochs | train time (s) | train img/s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, params, mmacs, accuracy, epochs, seconds, throughput in rows:
        print(f"| `{name}` | {params:,} | {mmacs:.1f} | {accuracy:.4f} | {epochs} | {seconds:.0f} | {throughput:.0f} |")
    print(f"Figure: {plot(curves, os.path.join(common['out'], 'hybrid_vs_vit.png'))}")
    fields = ("params", "mmacs", "test_accuracy", "epochs", "train_time_s", "train_images_per_s")
    record = {
        row[0]: dict(zip(fields, row[1:]), epoch_ends=[dict(train_s=t, val_accuracy=a) for t, a in curves[row[0]][0]])
        for row in rows
    }
    write_record(os.path.join(common["out"], "hybrid_vs_vit.json"), record)
    return 0


if __name__ == "__main__":
    sys.exit(main())
