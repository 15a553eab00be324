"""Train a small ViT on Fashion-MNIST with the package's one training entry, `keras_vit.training.train`.

    python examples/train_fashion_mnist.py              # the default recipe (same as `keras-vit train`)
    python examples/train_fashion_mnist.py --recipe fmnist-long
    python examples/train_fashion_mnist.py --quick      # a smoke run: tiny model, a few steps

The data are Debian's dataset-fashion-mnist IDX files (`apt-get install dataset-fashion-mnist`), read by
`keras_vit.data.fashion_mnist`; outputs go to runs/<name>/.
"""

import argparse
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipe", default="fmnist", help="named recipe (default: %(default)s)")
    parser.add_argument("--quick", action="store_true", help="tiny model, 1 epoch of 5 steps, no SavedModel")
    parser.add_argument("--out", default="runs")
    args = parser.parse_args(argv)

    from keras_vit.training import train

    overrides = {}
    if args.quick:
        overrides = dict(model="vit_tiny", epochs=1, steps_per_epoch=5, fewshot_seeds=1, save_saved_model=False)
    command = "python examples/train_fashion_mnist.py" + (" --quick" if args.quick else f" --recipe {args.recipe}")
    print(f"Reproduce with: {command}")
    result = train(args.recipe, out=args.out, **overrides)
    print(f"test accuracy {result.test_accuracy:.4f}, wall time {result.wall_time_s:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
