"""What bf16 and int8 cost in accuracy: a trained Fashion-MNIST ViT in every export format and precision.

1. A model trained by `keras-vit train` (pass its `model.keras`, or let the script train the default
   recipe with `--epochs`) is exported by `keras_vit.export` in each (format, precision) and run by that
   format's own runtime on the 10,000 Fashion-MNIST test images: accuracy, and top-1 agreement with the
   float32 Keras model.
2. A random ViT-B/16 in the official layout (224 px, 1,000 classes, random head) converted as it is
   (logits out): the largest logit error against Keras float32 on random images, absolute and relative
   to the logits' standard deviation.
Prints both tables as Markdown and writes them to `--out/deploy_accuracy.json`.

    python examples/deploy_accuracy.py --model runs/fmnist/model.keras
    python examples/deploy_accuracy.py --epochs 5          # trains the default recipe first
    python examples/deploy_accuracy.py --quick             # smoke run: tiny model, 512 test images
"""

import argparse
import gc
import json
import os
import shlex
import sys
import tempfile

import keras
import numpy as np

import keras_vit
from keras_vit import data, deploy
from keras_vit.commands.export import calibration_images
from keras_vit.data.pixels import rgb_pixels

# Every (format, precision) the package exports, the SavedModel first.
EXPORTS = tuple((fmt, precision) for fmt in deploy.FORMATS for precision in deploy.precisions(fmt))
BATCH = 250


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="a trained classifier (.keras), e.g. runs/fmnist/model.keras")
    parser.add_argument("--epochs", type=int, default=5, help="without --model: epochs of the default recipe")
    parser.add_argument("--out", default="runs/deploy_accuracy")
    parser.add_argument("--test-images", type=int, default=10_000)
    parser.add_argument("--logit-images", type=int, default=8, help="random images for the ViT-B/16 logit error")
    parser.add_argument("--quick", action="store_true", help="tiny model, 512 test images, a tiny 'B/16'")
    return parser.parse_args(argv)


def trained_model(args):
    if args.model:
        return keras.saving.load_model(args.model, compile=False)
    from keras_vit.training import train

    overrides = dict(epochs=1, steps_per_epoch=20, model="vit_fmnist_p7", fewshot_shots=()) if args.quick else {}
    overrides.setdefault("epochs", args.epochs)
    result = train("fmnist", out=args.out, name="train", save_saved_model=False, **overrides)
    return result.model


def test_pixels(model, limit):
    """Fashion-MNIST test images as the served input: RGB uint8 at the model's size, and their labels."""
    images, labels = data.load("fashion_mnist").test
    size = tuple(model.inputs[0].shape[1:3])
    pixels = rgb_pixels(images[:limit], size)
    return pixels.astype("uint8"), labels[:limit]


def predict(predictor, pixels):
    return np.concatenate([predictor(pixels[i : i + BATCH]) for i in range(0, len(pixels), BATCH)])


def accuracy_table(model, args, root):
    pixels, labels = test_pixels(model, 512 if args.quick else args.test_images)
    reference = np.concatenate(
        [
            keras.ops.convert_to_numpy(model(keras_vit.preprocess_input(pixels[i : i + BATCH].astype("float32"))))
            for i in range(0, len(pixels), BATCH)
        ]
    ).argmax(-1)
    size = tuple(model.inputs[0].shape[1:3])
    calibration = calibration_images("fashion_mnist", size).astype("uint8")
    rows = [dict(format="keras", precision="float32", accuracy=float(np.mean(reference == labels)), agreement=1.0)]
    for fmt, precision in EXPORTS:
        folder = deploy.export(
            model,
            os.path.join(root, "fmnist", fmt),
            format=fmt,
            precision=precision,
            input="uint8",
            calibration=calibration if precision == "int8" else None,
            model_name=precision,
        )
        top1 = predict(deploy.load(folder), pixels).argmax(-1)
        rows.append(
            dict(
                format=fmt,
                precision=precision,
                accuracy=float(np.mean(top1 == labels)),
                agreement=float(np.mean(top1 == reference)),
            )
        )
        print(
            f"  {fmt:12s} {precision:9s} accuracy {rows[-1]['accuracy']:.4f} agreement {rows[-1]['agreement']:.4f}",
            file=sys.stderr,
        )
        gc.collect()  # each converter leaves graphs behind; B/16 needs the memory back
    return rows


def random_b16(quick):
    """ViT-B/16 (or, with --quick, a tiny ViT) with random weights and a random head, logits out."""
    keras.utils.set_random_seed(0)
    sizes = dict(patch_size=8, hidden_size=32, depth=2, num_heads=2, mlp_dim=64, image_size=32) if quick else {}
    builder = keras_vit.ViT if quick else keras_vit.ViTB16
    model = builder(weights=None, classifier_activation=None, **sizes)
    head = model.get_layer("head")
    rng = np.random.default_rng(0)
    head.kernel.assign(rng.normal(0, head.kernel.shape[0] ** -0.5, head.kernel.shape).astype("float32"))
    return model


def logit_table(args, root):
    model = random_b16(args.quick)
    size = tuple(model.inputs[0].shape[1:3])
    rng = np.random.default_rng(1)
    x = keras_vit.preprocess_input(rng.uniform(0, 255, (args.logit_images, *size, 3)).astype("float32"))
    calibration = keras_vit.preprocess_input(rng.uniform(0, 255, (32, *size, 3)).astype("float32"))
    reference = keras.ops.convert_to_numpy(model(x))
    scale = float(reference.std())
    rows = []
    for fmt, precision in EXPORTS:
        folder = deploy.convert(
            model,
            os.path.join(root, "b16", f"{fmt}-{precision}"),
            fmt,
            precision,
            calibration=calibration if precision == "int8" else None,
        )
        error = float(np.abs(deploy.load(folder)(x) - reference).max())
        rows.append(dict(format=fmt, precision=precision, max_abs_error=error, relative=error / scale))
        print(f"  {fmt:12s} {precision:9s} max |logit error| {error:.4f}", file=sys.stderr)
        gc.collect()
    return dict(model=model.name, logit_std=scale, rows=rows)


def markdown(accuracy, logits):
    lines = [
        "| format | precision | test accuracy | top-1 agreement with float32 |",
        "|---|---|---:|---:|",
    ]
    lines += [
        f"| {r['format']} | {r['precision']} | {100 * r['accuracy']:.2f} % | {100 * r['agreement']:.2f} % |"
        for r in accuracy
    ]
    lines += [
        "",
        f"Random {logits['model']} (logits std {logits['logit_std']:.3f}):",
        "",
        "| format | precision | max abs logit error | ÷ logits std |",
        "|---|---|---:|---:|",
    ]
    lines += [
        f"| {r['format']} | {r['precision']} | {r['max_abs_error']:.4f} | {r['relative']:.4f} |" for r in logits["rows"]
    ]
    return "\n".join(lines)


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=args.out) as root:
        model = trained_model(args)
        accuracy = accuracy_table(model, args, root)
        logits = logit_table(args, root)
    features = deploy.cpu_features()
    result = dict(
        command="python " + shlex.join(["examples/deploy_accuracy.py", *(argv if argv is not None else sys.argv[1:])]),
        cpu=features,
        accuracy=accuracy,
        logits=logits,
    )
    with open(os.path.join(args.out, "deploy_accuracy.json"), "w") as f:
        json.dump(result, f, indent=1)
    flags = " ".join(flag for flag, present in features["flags"].items() if present)
    print(f"{features['model_name']} ({flags})\n{result['command']}\n")
    print(markdown(accuracy, logits))
    return result


if __name__ == "__main__":
    main()
