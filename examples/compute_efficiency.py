"""Accuracy against training compute (the paper's Figure 5) at toy scale, on Fashion-MNIST.

Small models of increasing size train with the same recipe for the same fixed number of epochs (no time budget,
so the result does not depend on the machine's speed), each through `keras_vit.training.train`:

- plain ViTs of the `vit_fmnist_p7` shape (16 tokens of 7×7 pixels, 6 blocks, GAP head) at widths 32, 64 and
  128 (1, 2 and 4 heads, MLP twice the width; width 128 is `vit_fmnist_p7` itself);
- `vit_fmnist`, the plain ViT on 49 tokens of 4×4 pixels (width 96, 4 blocks);
- `hybrid_fmnist` of examples/hybrid_vs_vit.py (the `vit_fmnist_p7` Transformer on a tiny ResNet's 4×4 map);
- `vit_fmnist_cs4`, the default model (four 3×3 convolutions, then the `vit_fmnist` Transformer on 49 tokens);
- BiT ResNets v2 for 28-px images (the paper's baseline) at three depths and widths: `bit_fmnist_s2` (a 3×3
  stride-2 root, three one-unit stages, width ×0.5), the same with two units per stage, and at width ×1.

Every model trains with XLA on a CPU without AVX-512 and with TensorFlow's oneDNN kernels on one with it, as
measured by `examples/train_throughput.py` (`xla_choice.py`: on the AVX2-only EPYC XLA trains the small ViT at
1.6 × the images per CPU-second, on the AVX-512 one oneDNN trains the ResNets 1.5 × faster). The warm-up is a fifth
of the steps: the recipe's 300 steps would be most of a 1-epoch run.

The ViT:ResNet compute ratio at equal accuracy (the paper: ViT needs 2–4× less) is read off the two families'
Pareto fronts (the models no cheaper model of the family beats), interpolated linearly in log compute between
neighbouring front points, at each front point's accuracy that the other front also spans.

Training compute = 3 × forward FLOPs per image × images seen (epochs × steps × batch): the backward pass costs
about twice the forward one. The script prints a table (parameters, forward GFLOPs per image, training compute,
test accuracy, 5-shot linear accuracy) and writes `compute_efficiency.png` (accuracy against compute, log scale)
and `compute_efficiency.json` to `--out`.

    python examples/compute_efficiency.py                 # 1 epoch per model (docs/REPRODUCTION.md)
    python examples/compute_efficiency.py --families ResNet --epochs 2
    python examples/compute_efficiency.py --quick         # smoke run: 20 steps each, 500 test images
"""

import argparse
import dataclasses
import json
import math
import os
import shlex
import sys
import tempfile

from figures import axes_saved_to  # the script's folder is on sys.path when it runs
from hybrid_vs_vit import hybrid_fmnist
from xla_choice import use_xla

import keras_vit
from keras_vit.models import catalog
from keras_vit.models.bit import build_bit
from keras_vit.models.flops import count_flops
from keras_vit.training import MODELS, get_recipe, train
from keras_vit.training.run import load_data

SHOTS = (1, 5, 10, 25)
FAMILIES = ("ViT", "hybrid", "conv stem", "ResNet")
# (blocks, width factor) of the ResNet rows, on bit_fmnist_s2's 28-px layout.
RESNETS = (((1, 1, 1), 0.5), ((2, 2, 2), 0.5), ((1, 1, 1), 1))


def p7_at_width(width):
    """A constructor for the `vit_fmnist_p7` shape at `width` (heads = width / 32, MLP = 2 × width)."""
    build, sizes = MODELS["vit_fmnist_p7"]
    sizes = dict(sizes, hidden_size=width, num_heads=max(width // 32, 1), mlp_dim=2 * width)
    name = f"vit_fmnist_p7_w{width}"

    def constructor(weights=None, image_size=None, classes=10, **kwargs):
        kwargs = dict(sizes, **kwargs)
        if image_size is not None:
            kwargs["image_size"] = image_size
        return build(classes=classes, name=name, **kwargs)

    return name, constructor


def bit_at(blocks, width_factor):
    """A constructor for `bit_fmnist_s2` with `blocks` units per stage at `width_factor`."""
    # No "." in a model name: create_model reads "name.tag" as timm's pretrained tag.
    name = f"bit_fmnist_s2_{''.join(map(str, blocks))}_w{width_factor:g}".replace(".", "p")

    def constructor(weights=None, image_size=None, classes=10, **kwargs):
        layout = dict(image_size=image_size or 28, root_kernel_size=3, root_stride=2, root_pool=False)
        return build_bit(blocks=blocks, width_factor=width_factor, classes=classes, name=name, **layout, **kwargs)

    return name, constructor


def pareto_front(points):
    """The (compute, accuracy) points that no cheaper-or-equal point matches or beats, by increasing compute."""
    front = []
    for compute, accuracy in sorted(points, key=lambda p: (p[0], -p[1])):
        if not front or accuracy > front[-1][1]:
            front.append((compute, accuracy))
    return front


def compute_at(front, accuracy):
    """The compute a Pareto front needs for `accuracy`, linear in log compute between its neighbouring points;
    None outside the accuracies the front spans."""
    for (c0, a0), (c1, a1) in zip(front, front[1:]):
        if a0 <= accuracy <= a1:
            t = (accuracy - a0) / (a1 - a0)
            return math.exp(math.log(c0) + t * (math.log(c1) - math.log(c0)))
    if front and accuracy == front[0][1]:
        return front[0][0]
    return None


def compute_ratios(rows, family="ViT", baseline="ResNet"):
    """[(accuracy, family's compute, baseline's compute, baseline / family)] at every front point's accuracy
    (of either family) that both fronts span: > 1 where `family` needs less compute for the same accuracy."""
    fronts = {
        f: pareto_front([(r["train_tflops"], r["test_accuracy"]) for r in rows if r["family"] == f])
        for f in (family, baseline)
    }
    ratios = []
    for accuracy in sorted({a for front in fronts.values() for _, a in front}):
        mine, theirs = (compute_at(fronts[f], accuracy) for f in (family, baseline))
        if mine is not None and theirs is not None:
            ratios.append((accuracy, mine, theirs, theirs / mine))
    return ratios


def plot(rows, path):
    import matplotlib.ticker

    colours = {"ViT": "tab:blue", "hybrid": "tab:orange", "conv stem": "tab:green", "ResNet": "tab:red"}
    with axes_saved_to(path, figsize=(6.4, 4.4)) as ax:
        for family, colour in colours.items():
            points = [r for r in rows if r["family"] == family]
            if points:
                ax.scatter(
                    [r["train_tflops"] for r in points],
                    [100 * r["test_accuracy"] for r in points],
                    color=colour,
                    label=family,
                    zorder=3,
                )
        for r in rows:
            ax.annotate(
                r["model"],
                (r["train_tflops"], 100 * r["test_accuracy"]),
                textcoords="offset points",
                xytext=(5, 4),
                fontsize=8,
            )
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.margins(x=0.25, y=0.1)
        ax.set_xlabel("training compute (TFLOPs, 3 × forward FLOPs × images seen)")
        ax.set_ylabel("Fashion-MNIST test accuracy (%)")
        ax.set_title(f"Accuracy against training compute ({rows[0]['epochs']} epoch(s) each)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(loc="best")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    # One epoch per model keeps the default's nine models within 30 minutes on 2 CPU cores.
    parser.add_argument("--epochs", type=int, default=1, help="epochs per model (default: %(default)s)")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None, help="folder for the runs, the plot and the JSON (default: temporary)")
    parser.add_argument("--families", nargs="+", default=list(FAMILIES), choices=FAMILIES, help="rows to train")
    parser.add_argument("--models", nargs="+", default=None, help="only these of the families' models (names)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 epoch of 20 steps per model")
    args = parser.parse_args(argv)

    out = args.out or tempfile.mkdtemp(prefix="compute_efficiency_")
    common = dict(
        batch_size=args.batch_size,
        epochs=args.epochs,
        time_budget_min=None,
        warmup=0.2,
        jit_compile=use_xla(args.quick),
        seed=args.seed,
        fewshot_shots=SHOTS,
        save_saved_model=False,
        out=out,
        verbose=2,
    )
    # Loaded once, as `train` loads the recipe's data: its validation split of the training images, by the seed.
    recipe = get_recipe("fmnist")
    data = load_data(dataclasses.replace(recipe, val_size=500 if args.quick else recipe.val_size, seed=args.seed))
    if args.quick:
        common.update(epochs=1, steps_per_epoch=20, fewshot_seeds=1)
        data = data.head(train=20 * args.batch_size, test=500)  # the 20 steps' images (a short shuffle)

    models = []
    for width in (32, 64):
        name, constructor = p7_at_width(width)
        catalog.register(name, constructor)
        models.append((name, "ViT"))
    catalog.register("hybrid_fmnist", hybrid_fmnist)
    models += [
        ("vit_fmnist_p7", "ViT"),
        ("vit_fmnist", "ViT"),
        ("hybrid_fmnist", "hybrid"),
        ("vit_fmnist_cs4", "conv stem"),
    ]
    for blocks, width_factor in RESNETS:
        name, constructor = bit_at(blocks, width_factor)
        catalog.register(name, constructor)
        models.append((name, "ResNet"))
    models = [(n, f) for n, f in models if f in args.families and (args.models is None or n in args.models)]
    if args.models and len(models) < len(args.models):
        known = ", ".join(n for n, _ in models)
        parser.error(f"--models: not all of {args.models} are models of --families {args.families} (those: {known})")

    rows = []
    for name, family in models:
        result = train("fmnist", data=data, model=name, name=name, **common)
        # count_flops is 2 × count_macs: FLOPs (multiplies and adds counted apart) of the matrix products
        # (convolutions, dense layers, attention), per image, forward pass only.
        flops = count_flops(result.model)
        images = result.epochs * result.steps_per_epoch * args.batch_size
        rows.append(
            dict(
                model=name,
                family=family,
                params=result.model.count_params(),
                forward_gflops=flops / 1e9,
                epochs=result.epochs,
                images_seen=images,
                train_tflops=3 * flops * images / 1e12,
                test_accuracy=result.test_accuracy,
                fewshot={f"{k}shot": v for k, v in result.fewshot.items()},
                train_time_s=round(result.train_time_s, 1),
            )
        )

    command = "python " + " ".join(shlex.quote(a) for a in sys.argv)
    with open(os.path.join(out, "compute_efficiency.json"), "w") as f:
        json.dump(dict(command=command, keras_vit=keras_vit.__version__, rows=rows), f, indent=2)
    plot(rows, os.path.join(out, "compute_efficiency.png"))

    print(f"\nCommand: {command}")
    print(
        "| model | params | forward GFLOPs / image | training compute (TFLOPs) | test accuracy | 5-shot | train time (s) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| `{r['model']}` | {r['params']:,} | {r['forward_gflops']:.4f} | {r['train_tflops']:.2f} | "
            f"{r['test_accuracy']:.4f} | {r['fewshot']['5shot']:.4f} | {r['train_time_s']:.0f} |"
        )
    ratios = compute_ratios(rows)
    if ratios:
        print("\nViT:ResNet compute at equal accuracy (Pareto fronts, interpolated in log compute):")
        print("| test accuracy | ViT (TFLOPs) | ResNet (TFLOPs) | ResNet / ViT |")
        print("|---:|---:|---:|---:|")
        for accuracy, vit, resnet, ratio in ratios:
            print(f"| {accuracy:.4f} | {vit:.2f} | {resnet:.2f} | {ratio:.2f} |")
    elif {"ViT", "ResNet"} <= {r["family"] for r in rows}:
        print("\nViT:ResNet compute ratio: the two Pareto fronts span no common accuracy (no ratio to read off).")
    print(f"Plot: {os.path.join(out, 'compute_efficiency.png')}")
    print(f"Table: {os.path.join(out, 'compute_efficiency.json')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
