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

    python examples/masked_patch_prediction.py --out runs/mpp            # 3 seeds (docs/REPRODUCTION.md)
    python examples/masked_patch_prediction.py --out runs/mpp --resume   # reads back the runs already finished there
    python examples/masked_patch_prediction.py --quick                   # smoke run

Besides the table it writes `masked_patch_prediction.png` (the test accuracies and the 25-shot probe, mean ± std
over the seeds) and `masked_patch_prediction.json` (every seed's figures) into the run folder.
"""

import argparse
import dataclasses
import os
import shlex
import sys
import tempfile
import types

import keras
import numpy as np
from figures import axes_saved_to  # the script's folder is on sys.path when it runs
from seed_summary import mean_std, write_record
from xla_choice import xla_pays

from keras_vit import data as data_lib
from keras_vit.fewshot import fewshot_evaluate
from keras_vit.pretraining.pretrain import MPP_FMNIST, pretrain_mpp
from keras_vit.training import build_model, get_recipe, train
from keras_vit.training.run import fewshot_setup, read_finished_run

SHOTS = (1, 5, 10, 25)
SMALL_BATCH = 64


def small_schedule(args, quick):
    """`epochs` and `steps_per_epoch` of the small run: `--small-epochs` passes over `--small-labels` images as one
    Keras epoch (the quick run: its few steps)."""
    if quick:
        return dict(epochs=1, steps_per_epoch=quick["steps_per_epoch"])
    return dict(epochs=1, steps_per_epoch=args.small_epochs * (args.small_labels // SMALL_BATCH))


def pretrained(args, data, out, quick):
    """Pre-trains the encoder, or with `--resume` reads back the pre-training `out/mpp` finished."""
    run_dir = os.path.join(out, "mpp")
    encoder = os.path.join(run_dir, "encoder.keras")
    saved = args.resume and read_finished_run(
        run_dir, epochs=args.pretrain_epochs, steps_per_epoch=quick.get("steps_per_epoch")
    )
    if not saved or not os.path.exists(encoder):
        return pretrain_mpp(MPP_FMNIST, epochs=args.pretrain_epochs, data=data, out=out, name="mpp", verbose=2, **quick)
    print(f"Pre-training: read back from {os.path.join(run_dir, 'results.json')} (--resume)")
    return types.SimpleNamespace(
        fewshot={int(key.removesuffix("shot")): value for key, value in saved["fewshot"].items()},  # "5shot"
        paths={"encoder": encoder},
        val_patch_accuracy=saved["val_patch_accuracy"],
        val_loss=saved["val_loss"],
        train_time_s=saved["train_time_s"],
    )


def finetuned(args, config, name, **overrides):
    """`train(config, **overrides)` as run `name`, or with `--resume` the test accuracy of it finished already:
    the same schedule, seed and start, and as many steps per epoch (a pass over as many images)."""
    batch_size = overrides.get("batch_size", config.batch_size)
    saved = args.resume and read_finished_run(
        os.path.join(config.out, name),
        epochs=overrides["epochs"],
        init_from=overrides["init_from"],
        seed=overrides["seed"],
        batch_size=batch_size,
        steps_per_epoch=overrides.get("steps_per_epoch"),
    )
    steps = overrides.get("steps_per_epoch") or len(overrides["data"].train[0]) // batch_size
    if saved and saved["steps_per_epoch"] == steps:
        print(f"  {name}: read back from its results.json (--resume)", flush=True)
        return saved["test_accuracy"]
    return train(config, name=name, fewshot_shots=(), **overrides).test_accuracy


def plot(results, probes, path, small_labels):
    """Grouped bars: test accuracy on all labels and on `small_labels`, and the 25-shot probe; mean ± std."""
    groups = ("all labels", f"{small_labels:,} labels", "25-shot probe\n(frozen features)")
    with axes_saved_to(path, figsize=(6.4, 4.2)) as axes:
        for offset, (start, label) in zip((-0.2, 0.2), (("scratch", "random init"), ("mpp", "MPP pre-trained"))):
            values = [results[start][0], results[start][1], [probe[25] for probe in probes[start]]]
            means = [100 * np.mean(v) for v in values]
            stds = [100 * np.std(v) for v in values]
            bars = axes.bar(np.arange(3) + offset, means, 0.4, yerr=stds, capsize=3, label=label)
            axes.bar_label(bars, fmt="%.1f", padding=2, fontsize=8)
        axes.set_xticks(np.arange(3), groups)
        axes.set_ylabel("Fashion-MNIST test accuracy (%)")
        axes.set_ylim(0, 100)
        axes.legend(loc="lower right")
        axes.grid(True, axis="y", alpha=0.3)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    # The defaults (one pre-training, 3 seeds × 4 fine-tuning runs) are sized for about 30 minutes on 2 CPU cores.
    parser.add_argument("--pretrain-epochs", type=int, default=3, help="epochs of MPP (default: %(default)s)")
    parser.add_argument("--finetune-epochs", type=int, default=1, help="epochs on all labels (default: %(default)s)")
    parser.add_argument("--small-labels", type=int, default=1000, help="labelled images of the small run")
    parser.add_argument("--small-epochs", type=int, default=20, help="epochs of the small run (default: %(default)s)")
    parser.add_argument("--seeds", type=int, default=3, help="seeds of the fine-tuning runs (default: %(default)s)")
    parser.add_argument("--out", default=None, help="run folder (default: a temporary folder)")
    parser.add_argument(
        "--resume", action="store_true", help="read back the runs already finished in --out (same settings)"
    )
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
    pre = pretrained(args, data, out, quick)

    # Few-shot probes of the frozen features (the classifier's `pre_logits`: the mean of the encoder's tokens).
    # pretrain_mpp probed its encoder already; the randomly initialised one is probed here the same way.
    # Fine-tuning with XLA where it pays on this CPU (examples/xla_choice.py: 1.6 × the images/s of vit_fmnist on
    # the AVX2-only EPYC, within 10 % of oneDNN's without it on the AVX-512 one); the quick run never.
    finetune = dataclasses.replace(
        get_recipe("fmnist"),
        model="vit_fmnist",
        time_budget_min=None,
        jit_compile=xla_pays(),
        save_saved_model=False,
        verbose=2,
        out=out,
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
            common = dict(init_from=init_from, seed=seed, **quick)
            full = finetuned(
                args, finetune, f"full_{start}-seed{seed}", epochs=args.finetune_epochs, data=data, **common
            )
            # The small run's passes as one Keras epoch of the repeating pipeline: the per-epoch checkpoints
            # would otherwise cost 20 passes over 1,000 images about as long as their training.
            few = finetuned(
                args,
                finetune,
                f"small_{start}-seed{seed}",
                data=small,
                batch_size=SMALL_BATCH,
                warmup=0.1,
                **dict(common, **small_schedule(args, quick)),
            )
            results[start][0].append(full)
            results[start][1].append(few)
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
    print(f"Figure: {plot(results, probes, os.path.join(out, 'masked_patch_prediction.png'), args.small_labels)}")
    record = dict(
        seeds=seeds,
        pretraining=dict(epochs=args.pretrain_epochs, val_patch_accuracy=pre.val_patch_accuracy, fewshot=pre.fewshot),
        probes=probes,
        test_accuracy={start: dict(all_labels=full, small_labels=few) for start, (full, few) in results.items()},
    )
    write_record(os.path.join(out, "masked_patch_prediction.json"), record)
    return 0


if __name__ == "__main__":
    sys.exit(main())
