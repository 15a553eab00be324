"""The paper's position-embedding ablation (Appendix D.4, Table 8) at toy scale, on Fashion-MNIST.

The Transformer of the `vit_fmnist_p7` recipe model (16 tokens of 7×7 pixels, width 128, 6 blocks, GAP head) is
trained five times with `posemb` "none", "learned" (1-D, the paper's default), "learned_2d" (a learned row and a
learned column embedding, summed), "sincos2d" (fixed 2-D sine-cosine) and "relative" (the paper's 1-D relative
position attention: no added embedding, each query also attends to a learned embedding per token offset, in every
block): same recipe (with XLA on a CPU without AVX-512: `xla_choice.py`; warm-up a fifth of the steps), the same
fixed number of epochs (no time budget, so the result does not depend on the machine's speed), each through
`keras_vit.training.train`, once per seed (`--seeds`, the same seeds for every kind). The script prints, as mean ±
std over the seeds, test accuracy and the few-shot linear accuracy of the `pre_logits` representation (1, 5, 10, 25
images per class, 3 draws) beside the paper's ImageNet 5-shot figures for ViT-B/16, so that the kinds' differences
can be read against the seeds' spread.

    python examples/posemb_ablation.py                # 3 seeds of 1 epoch per model (docs/REPRODUCTION.md)
    python examples/posemb_ablation.py --epochs 10 --seeds 1
    python examples/posemb_ablation.py --quick        # smoke run: 20 steps each, one seed, 500 test images

Besides the table it writes `posemb_ablation.png` (test and 5-shot accuracy per kind, mean ± std) and
`posemb_ablation.json` (every seed's figures) into the run folder.
"""

import argparse
import dataclasses
import os
import shlex
import sys
import tempfile

import numpy as np
from figures import axes_saved_to  # the script's folder is on sys.path when it runs
from seed_summary import mean_std, write_record
from xla_choice import use_xla

import keras_vit
from keras_vit.models import catalog
from keras_vit.training import MODELS, get_recipe, train
from keras_vit.training.run import load_data

POSEMBS = ("none", "learned", "learned_2d", "sincos2d", "relative")
SHOTS = (1, 5, 10, 25)

# Paper Table 8 (ViT-B/16 pre-trained on ImageNet, ImageNet 5-shot linear accuracy, "Default/Stem" column):
# posemb here → (the paper's row, its accuracy). The paper's 2-D embedding concatenates an X and a Y embedding of
# width D/2 each; "learned_2d" here sums a row and a column embedding of width D. The paper has no sine-cosine row.
PAPER = {
    "none": ("No Pos. Emb.", 0.61382),
    "learned": ("1-D Pos. Emb.", 0.64206),
    "learned_2d": ("2-D Pos. Emb.", 0.64001),
    "sincos2d": ("—", None),
    "relative": ("Rel. Pos. Emb.", 0.64032),
}


def p7_with_posemb(posemb):
    """A constructor for the `vit_fmnist_p7` model with `posemb` as its position embedding."""
    build, sizes = MODELS["vit_fmnist_p7"]

    def constructor(weights=None, image_size=None, classes=10, **kwargs):
        kwargs = dict(sizes, **kwargs)
        if image_size is not None:
            kwargs["image_size"] = image_size
        return build(posemb=posemb, classes=classes, name=f"vit_fmnist_p7_{posemb}", **kwargs)

    return constructor


def table(runs):
    """Markdown rows, one per posemb, from {posemb: [(params, test accuracy, {shots: accuracy}, seconds), ...]}."""
    lines = []
    for posemb, seeds in runs.items():
        params = seeds[0][0]
        label, paper = PAPER[posemb]
        few = " | ".join(mean_std([fewshot[k] for _, _, fewshot, _ in seeds]) for k in SHOTS)
        reference = f"{label} {paper:.3f}" if paper is not None else "—"
        seconds = np.mean([s for *_, s in seeds])
        lines.append(
            f"| `{posemb}` | {params:,} | {mean_std([a for _, a, _, _ in seeds])} | {few} | {seconds:.0f} "
            f"| {reference} |"
        )
    return lines


def plot(runs, path):
    """Test accuracy and 5-shot linear accuracy per kind, mean ± std over the seeds (bars with error bars)."""
    kinds = list(runs)
    with axes_saved_to(path, figsize=(6.4, 4.2)) as axes:
        for offset, (label, value) in zip(
            (-0.2, 0.2), (("test accuracy", lambda run: run[1]), ("5-shot linear accuracy", lambda run: run[2][5]))
        ):
            values = [[100 * value(run) for run in runs[kind]] for kind in kinds]
            bars = axes.bar(
                np.arange(len(kinds)) + offset,
                [np.mean(v) for v in values],
                0.4,
                yerr=[np.std(v) for v in values],
                capsize=3,
                label=label,
            )
            axes.bar_label(bars, fmt="%.1f", padding=2, fontsize=8)
        # The differences are a few points: the axis spans the values, not 0-100.
        values = [100 * v for seeds in runs.values() for run in seeds for v in (run[1], run[2][5])]
        axes.set_ylim(max(0.0, np.floor(min(values) / 5) * 5 - 5), min(100.0, np.ceil(max(values) / 5) * 5 + 2.5))
        axes.set_xticks(np.arange(len(kinds)), kinds)
        axes.set_xlabel("position embedding")
        axes.set_ylabel("Fashion-MNIST accuracy (%)")
        axes.legend(loc="upper left")
        axes.grid(True, axis="y", alpha=0.3)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    # One epoch per run keeps the 15 runs of the default within 30 minutes on 2 CPU cores.
    parser.add_argument("--epochs", type=int, default=1, help="epochs per model (default: %(default)s)")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0, help="the first seed")
    parser.add_argument("--seeds", type=int, default=3, help="seeds per kind (default: %(default)s)")
    parser.add_argument("--out", default=None, help="run folder (default: a temporary folder)")
    parser.add_argument("--posembs", nargs="+", default=list(POSEMBS), choices=POSEMBS, help="kinds to train")
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 epoch of 20 steps per model")
    args = parser.parse_args(argv)

    common = dict(
        batch_size=args.batch_size,
        epochs=args.epochs,
        time_budget_min=None,
        jit_compile=use_xla(args.quick),
        # The warm-up is a fifth of the steps: the recipe's 300 steps would be most of a 1-epoch run.
        warmup=0.2,
        fewshot_shots=SHOTS,
        save_saved_model=False,
        out=args.out or tempfile.mkdtemp(prefix="posemb_ablation_"),
        verbose=2,
    )
    if args.quick:
        common.update(epochs=1, steps_per_epoch=20, fewshot_seeds=1)  # one few-shot seed
    seeds = [args.seed] if args.quick else list(range(args.seed, args.seed + args.seeds))
    recipe = get_recipe("fmnist")
    recipe = dataclasses.replace(recipe, val_size=500 if args.quick else recipe.val_size)
    for posemb in args.posembs:
        catalog.register(f"vit_fmnist_p7_{posemb}", p7_with_posemb(posemb))
    runs = {posemb: [] for posemb in args.posembs}
    for seed in seeds:
        # The seed draws the validation split too, as `train` does when it loads the data itself.
        data = load_data(dataclasses.replace(recipe, seed=seed))
        if args.quick:
            data = data.head(train=20 * args.batch_size, test=500)  # the 20 steps' images (a short shuffle)
        for posemb in args.posembs:
            name = f"vit_fmnist_p7_{posemb}"
            result = train("fmnist", data=data, model=name, name=f"{name}-seed{seed}", seed=seed, **common)
            runs[posemb].append(
                (result.model.count_params(), result.test_accuracy, result.fewshot, result.train_time_s)
            )

    print("\nCommand: python " + " ".join(shlex.quote(a) for a in sys.argv))
    steps = f" of {common['steps_per_epoch']} steps" if args.quick else ""
    print(
        f"keras_vit {keras_vit.__version__}; {common['epochs']} epoch(s){steps} per model, "
        f"seeds {', '.join(map(str, seeds))} (mean ± std, %)"
    )
    shots = " | ".join(f"{k}-shot" for k in SHOTS)
    print(f"| posemb | params | test accuracy | {shots} | train time (s) | paper (ViT-B/16, ImageNet 5-shot) |")
    print("|---|---:|---:|" + "---:|" * len(SHOTS) + "---:|---|")
    print("\n".join(table(runs)))
    print(f"Figure: {plot(runs, os.path.join(common['out'], 'posemb_ablation.png'))}")
    record = {
        posemb: [dict(params=p, test_accuracy=a, fewshot=f, train_time_s=t) for p, a, f, t in kind_runs]
        for posemb, kind_runs in runs.items()
    }
    write_record(os.path.join(common["out"], "posemb_ablation.json"), dict(seeds=seeds, runs=record))
    return 0


if __name__ == "__main__":
    sys.exit(main())
