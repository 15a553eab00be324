"""Pre-train a plain ViT by masked patch prediction (paper §4.6), then fine-tune from its encoder.

Half of each image's patch embeddings are corrupted (80 % a learned [mask] embedding, 10 % another patch's,
10 % left) and the model predicts each corrupted patch's mean colour, 3 bits per channel. Labels are not
used. Then the frozen encoder's features are probed by few-shot linear evaluation (1, 5, 10, 25 images per
class). Writes runs/<name>/encoder.keras, mpp.keras, log.csv and results.json.

Examples:
    keras-vit pretrain-mpp --name mpp                       # vit_fmnist on Fashion-MNIST's images, 10 epochs
    keras-vit train --model vit_fmnist --init-from runs/mpp/encoder.keras
    keras-vit pretrain-mpp --model vit_tiny --epochs 1 --steps 2   # smoke run
"""

import argparse

from keras_vit.commands.common import add_strategy_arguments, shots_list

HELP = "self-supervised pre-training by masked patch prediction (paper §4.6)"

FIELDS = (
    "strategy",
    "tpu",
    "model",
    "init_from",
    "dataset",
    "data_dir",
    "val_size",
    "epochs",
    "batch_size",
    "steps_per_epoch",
    "lr",
    "warmup",
    "weight_decay",
    "seed",
    "mixed_precision",
    "jit_compile",
    "out",
    "name",
    "verbose",
    "fewshot_shots",
    "fewshot_seeds",
)


def add_arguments(parser):
    parser.add_argument(
        "--model", default=None, help="a plain ViT: a small one (`keras-vit models --small`) or a catalog name"
    )
    parser.add_argument("--init-from", default=None, help="continue from a saved encoder.keras")
    parser.add_argument("--dataset", default=None, help="fashion_mnist (default), tfds:NAME or folder:PATH")
    parser.add_argument("--data-dir", default=None, help="folder with the Fashion-MNIST IDX files, or the tfds dir")
    parser.add_argument("--val-size", type=int, default=None, help="images held out to validate the loss")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--steps", type=int, default=None, dest="steps_per_epoch", help="limit steps per epoch")
    parser.add_argument("--lr", type=float, default=None, help="peak learning rate (AdamW)")
    parser.add_argument("--warmup", type=float, default=None, help="warm-up: a fraction of the steps (<1) or steps")
    parser.add_argument("--weight-decay", type=float, default=None)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--mixed-precision", choices=("bfloat16", "float16", "none"), default=None)
    parser.add_argument("--jit", action=argparse.BooleanOptionalAction, dest="jit_compile", default=None)
    add_strategy_arguments(parser)
    parser.add_argument("--out", default=None, help="parent folder of the run folders (default: runs)")
    parser.add_argument("--name", default=None, help="run folder name (default: mpp_<model>)")
    parser.add_argument("--verbose", type=int, default=None, help="Keras fit verbosity")
    parser.add_argument(
        "--fewshot-shots",
        type=shots_list,
        default=None,
        help="few-shot probe of the encoder: comma list of k or 'none'",
    )
    parser.add_argument("--fewshot-seeds", type=int, default=None, help="random draws averaged by the probe")
    g = parser.add_argument_group("masked patch prediction")
    g.add_argument("--bits", type=int, default=3, help="bits per channel of the mean-colour target (default 3)")
    g.add_argument("--corrupt-rate", type=float, default=0.5, help="patches corrupted (default 0.5)")
    g.add_argument("--mask-rate", type=float, default=0.8, help="of those, given the [mask] embedding (default 0.8)")
    g.add_argument("--random-rate", type=float, default=0.1, help="of those, given another patch (default 0.1)")


def run(args):
    from keras_vit.pretraining.pretrain import MPP_FMNIST, pretrain_mpp

    overrides = {f: getattr(args, f) for f in FIELDS if getattr(args, f, None) is not None}
    if overrides.get("mixed_precision") == "none":
        overrides["mixed_precision"] = None
    pretrain_mpp(
        MPP_FMNIST,
        bits=args.bits,
        corrupt_rate=args.corrupt_rate,
        mask_rate=args.mask_rate,
        random_rate=args.random_rate,
        **overrides,
    )
    return 0
