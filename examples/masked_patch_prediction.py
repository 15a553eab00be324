"""Masked patch prediction (paper §4.6) at toy scale: does self-supervised pre-training help a small ViT?

1. `pretrain_mpp` pre-trains the plain ViT `vit_fmnist` (49 patches of 4×4 px) on Fashion-MNIST's training
   images without their labels: half of the patch embeddings corrupted, each corrupted patch's mean
   grey level (3 bits per channel) predicted.
2. Linear few-shot evaluation (1/5/10/25 images per class, the paper's §4.1 probe) of the frozen features:
   randomly initialised encoder against the pre-trained one (`pretrain_mpp` reports the latter).
3. Fine-tuning with labels through `keras_vit.training.train`, from scratch and from the pre-trained encoder
   (`init_from`), with the same recipe: on all 55,000 training images, and on 1,000 of them.

One pre-training; the random initialisation, its probe and every fine-tuning run once per seed (`--seeds`), and
the table gives mean ± std over the seeds, so that the gain from pre-training is read against that spread.

    python examples/masked_patch_prediction.py               # 3 seeds (docs/REPRODUCTION.md)
    python examples/masked_patch_prediction.py --quick       # smoke run
"""

import argparse
import dataclasses
import shlex
import sys
import tempfile

import keras
import numpy as np

from keras_vit import data as data_lib
from keras_vit.fewshot import fewshot_evaluate
from keras_vit.pretraining.pretrain import MPP_FMNIST, pretrain_mpp
from keras_vit.training import build_model, get_recipe, train
from keras_vit.training.run import fewshot_setup

SHOTS = (1, 5, 10, 25)


def mean_std(values, scale=100, digits=2):
    """ "mean ± std" of fractions in percent (population std over the seeds; the mean alone for one value)."""
    values = scale * np.asarray(values, dtype=float)
    return f"{values.mean():.{digits}f}" + (f" ± {values.std():.{digits}f}" if len(values) > 1 else "")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pretrain-epochs", type=int, default=10)
    parser.add_argument("--finetune-epochs", type=int, default=3, help="epochs on all labels (default: %(default)s)")
    parser.add_argument("--small-labels", type=int, default=1000, help="labelled images of the small run")
    parser.add_argument("--small-epochs", type=int, default=30, help="epochs of the small run (default: %(default)s)")
    parser.add_argument("--seeds", type=int, default=3, help="seeds of the fine-tuning runs (default: %(default)s)")
    parser.add_argument("--out", default=None, help="run folder (default: a temporary folder)")
    parser.add_argument("--quick", action="store_true", help="smoke run: a few steps each")
    args = parser.parse_args(argv)
    out = args.out or tempfile.mkdtemp(prefix="mpp_")
    # A smoke run: a few steps, without XLA (its compilation would be most of it), 500 validation images.
    quick = dict(steps_per_epoch=3, jit_compile=False) if args.quick else {}
    if args.quick:
        args.pretrain_epochs = args.finetune_epochs = args.small_epochs = args.seeds = 1

    data = data_lib.load("fashion_mnist", val_size=500 if args.quick else 5000, seed=0)
    if args.quick:
        data = data.head(train=2 * args.small_labels, test=500)
    pre = pretrain_mpp(MPP_FMNIST, epochs=args.pretrain_epochs, data=data, out=out, name="mpp", verbose=2, **quick)

    # Few-shot probes of the frozen features (the classifier's `pre_logits`: the mean of the encoder's tokens).
    # pretrain_mpp probed its encoder already; the randomly initialised one is probed here the same way.
    finetune = dataclasses.replace(
        get_recipe("fmnist"), model="vit_fmnist", time_budget_min=None, save_saved_model=False, verbose=2, out=out
    )
    common = dict(image_size=(28, 28), num_classes=10, batch_size=finetune.batch_size)
    fewshot_train, fewshot_test, fewshot_kwargs = fewshot_setup(finetune, data, common)
    seeds = list(range(args.seeds))
    probes = {"scratch": [], "mpp": [pre.fewshot]}
    for seed in seeds:
        keras.utils.set_random_seed(seed)
        probes["scratch"].append(
            fewshot_evaluate(build_model(finetune, 10), fewshot_train, fewshot_test, **fewshot_kwargs)
        )

    small = data.head(train=args.small_labels)
    results = {start: ([], []) for start in probes}
    for seed in seeds:
        for start, init_from in (("scratch", None), ("mpp", pre.paths["encoder"])):
            full = train(
                finetune,
                init_from=init_from,
                epochs=args.finetune_epochs,
                data=data,
                name=f"full_{start}-seed{seed}",
                seed=seed,
                fewshot_shots=(),
                **quick,
            )
            few = train(
                finetune,
                init_from=init_from,
                epochs=args.small_epochs,
                data=small,
                name=f"small_{start}-seed{seed}",
                seed=seed,
                fewshot_shots=(),
                batch_size=64,
                warmup=0.1,
                **quick,
            )
            results[start][0].append(full.test_accuracy)
            results[start][1].append(few.test_accuracy)
    keras.backend.clear_session()

    print("\nCommand: python " + " ".join(shlex.quote(a) for a in sys.argv))
    print(
        f"Pre-training: {args.pretrain_epochs} epochs, validation patch accuracy {pre.val_patch_accuracy:.4f} "
        f"(loss {pre.val_loss:.4f}), {pre.train_time_s:.0f} s"
    )
    print(
        f"Seeds {', '.join(map(str, seeds))}: mean ± std (%); the pre-trained encoder's probe is of its one pre-training"
    )
    print(
        f"| encoder | few-shot {'/'.join(map(str, SHOTS))} | test acc., {args.finetune_epochs} epochs on all labels "
        f"| test acc., {args.small_epochs} epochs on {args.small_labels} labels |"
    )
    print("|---|---|---:|---:|")
    for start, (full, few) in results.items():
        shots = " / ".join(mean_std([probe[k] for probe in probes[start]], digits=1) for k in SHOTS)
        label = "random init" if start == "scratch" else "MPP pre-trained"
        print(f"| {label} | {shots} | {mean_std(full)} | {mean_std(few)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
