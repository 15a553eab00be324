"""The paper's position-embedding ablation (Appendix D.4, Table 8) at toy scale, on Fashion-MNIST.

The Transformer of the `vit_fmnist_p7` recipe model (16 tokens of 7×7 pixels, width 128, 6 blocks, GAP head)
is trained five times with `posemb` "none", "learned" (1-D, the paper's default), "learned_2d" (a learned row
and a learned column embedding, summed), "sincos2d" (fixed 2-D sine-cosine) and "relative" (the paper's 1-D
relative position attention: no added embedding, each query also attends to a learned embedding per token offset, in every block): same recipe,
same seed, the same fixed number of epochs (no time budget, so the result does not depend on the machine's
speed), each through `keras_vit.training.train`. The script prints test accuracy and the few-shot linear
accuracy of the `pre_logits` representation (1, 5, 10, 25 images per class, 3 draws) beside the paper's
ImageNet 5-shot figures for ViT-B/16.

    python examples/posemb_ablation.py                # 3 epochs per model (the README table)
    python examples/posemb_ablation.py --epochs 10
    python examples/posemb_ablation.py --quick        # smoke run: 20 steps each
"""

import argparse
import shlex
import sys
import tempfile

import keras_vit
from keras_vit.models import catalog
from keras_vit.training import MODELS, train

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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=3, help="epochs per model (default: %(default)s)")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None, help="run folder (default: a temporary folder)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 epoch of 20 steps per model")
    args = parser.parse_args(argv)

    common = dict(
        batch_size=args.batch_size,
        epochs=args.epochs,
        time_budget_min=None,
        seed=args.seed,
        fewshot_shots=SHOTS,
        save_saved_model=False,
        out=args.out or tempfile.mkdtemp(prefix="posemb_ablation_"),
        verbose=2,
    )
    if args.quick:
        common.update(epochs=1, steps_per_epoch=20, val_size=500)

    rows = []
    for posemb in POSEMBS:
        name = f"vit_fmnist_p7_{posemb}"
        catalog.register(name, p7_with_posemb(posemb))
        result = train("fmnist", model=name, name=name, **common)
        rows.append((posemb, result.model.count_params(), result.test_accuracy, result.fewshot, result.train_time_s))

    print("\nCommand: python " + " ".join(shlex.quote(a) for a in sys.argv))
    steps = f" of {common['steps_per_epoch']} steps" if args.quick else ""
    print(f"keras_vit {keras_vit.__version__}; {common['epochs']} epoch(s){steps} per model, seed {args.seed}")
    shots = " | ".join(f"{k}-shot" for k in SHOTS)
    print(f"| posemb | params | test accuracy | {shots} | train time (s) | paper (ViT-B/16, ImageNet 5-shot) |")
    print("|---|---:|---:|" + "---:|" * len(SHOTS) + "---:|---|")
    for posemb, params, accuracy, fewshot, seconds in rows:
        label, paper = PAPER[posemb]
        few = " | ".join(f"{fewshot[k]:.4f}" for k in SHOTS)
        reference = f"{label} {paper:.3f}" if paper is not None else "—"
        print(f"| `{posemb}` | {params:,} | {accuracy:.4f} | {few} | {seconds:.0f} | {reference} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
