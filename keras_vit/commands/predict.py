"""Classifies image files with a ViT and prints each one's top classes.

Images (JPEG, PNG, BMP, GIF's first frame, WebP; any size, grey or colour) are decoded to RGB, resized to the
model's resolution (bilinear, as training resizes) and scaled by `keras_vit.preprocess_input`. Class names come
from `--class-names`, else from a `keras-vit train` run's `results.json` beside a `.keras` model (its dataset's
classes, e.g. Fashion-MNIST's), else the ImageNet-1k or -21k names for a 1000- or 21843-class head (shipped, no download).

Examples:
  keras-vit predict shoe.png shirt.jpg --model runs/vit_fmnist_cs4-20260101-1200/model.keras
  keras-vit predict cat.jpg --model vit_b16 --weights augreg_in21k_ft_in1k --top 3
  keras-vit predict *.png --model runs/mine/best.keras --json
"""

import json
import os

HELP = "classify image files: top-k classes with names (a trained run's, or ImageNet-1k's)"


def add_arguments(parser):
    parser.add_argument("images", nargs="+", metavar="IMAGE", help="image files (JPEG, PNG, BMP, GIF, WebP)")
    parser.add_argument(
        "--model",
        required=True,
        help="a saved .keras file (e.g. runs/NAME/model.keras) or a model name (vit_b16, a timm name, ...)",
    )
    parser.add_argument("--weights", default=None, help="registered weights name or a checkpoint path (with a name)")
    parser.add_argument("--image-size", type=int, default=None, help="input resolution (default: the weights' own)")
    parser.add_argument("--class-names", default=None, help="text file with one class name a line")
    parser.add_argument("--top", type=int, default=5, help="classes printed per image (default: %(default)s)")
    parser.add_argument("--batch-size", type=int, default=32, help="images per forward pass (default: %(default)s)")
    parser.add_argument("--json", action="store_true", help="one JSON object a line per image, for machines")


def check_arguments(args):
    """Bad input found before any model is built: a missing file, `--top` or `--batch-size` below 1."""
    if args.top < 1:
        raise ValueError(f"`--top` must be at least 1 (the number of classes to print). Received: --top={args.top}")
    if args.batch_size < 1:
        raise ValueError(f"`--batch-size` must be at least 1. Received: --batch-size={args.batch_size}")
    for path in args.images:
        if not os.path.isfile(path):
            raise ValueError(f"Image file not found; check the path. Received: {path!r}")
    if args.class_names is not None and not os.path.isfile(args.class_names):
        raise ValueError(f"`--class-names` file not found; check the path. Received: --class-names={args.class_names}")


def read_image(path):
    """An image file as float32 RGB pixels `(height, width, 3)` in [0, 255] (GIF: the first frame)."""
    import numpy as np
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            return np.asarray(image.convert("RGB"), dtype="float32")
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        raise ValueError(
            "Not an image that can be decoded (JPEG, PNG, BMP, GIF, WebP); pass an image file "
            f"({type(error).__name__}: {error}). Received: {path!r}"
        ) from None


def model_inputs(images, size):
    """Decoded images resized (bilinear) to `size` and preprocessed: a float32 batch `(n, *size, 3)`."""
    import keras
    import numpy as np

    from keras_vit.preprocessing import preprocess_input

    batch = []
    for image in images:
        if tuple(image.shape[:2]) != tuple(size):
            image = keras.ops.convert_to_numpy(keras.ops.image.resize(image, size, interpolation="bilinear"))
        batch.append(image)
    return preprocess_input(np.stack(batch))


def run_class_names(model_path, classes):
    """The class names recorded for a `keras-vit train` run whose folder holds `model_path`, or None."""
    from keras_vit.data import fashion_mnist

    path = os.path.join(os.path.dirname(os.path.abspath(model_path)), "results.json")
    try:
        with open(path, encoding="utf-8") as f:
            results = json.load(f)
        config = results.get("config", {})
    except (OSError, ValueError):
        return None
    names = results.get("class_names") or config.get("class_names")
    if names is None and config.get("dataset") == "fashion_mnist":
        names = fashion_mnist.CLASS_NAMES
    return list(names) if names is not None and len(names) == classes else None


def class_names_for(args, classes):
    """`--class-names`, else a training run's, else ImageNet's for 1000 or 21843 classes, else None (indices only)."""
    from keras_vit.commands.export import read_class_names
    from keras_vit.preprocessing import IMAGENET_TABLES, imagenet_class_names

    if args.class_names is not None:
        names = read_class_names(args.class_names)
        if len(names) != classes:
            raise ValueError(
                f"`--class-names` must have one name a line for each of the model's {classes} classes. "
                f"Received: {len(names)} names in {args.class_names}"
            )
        return names
    if args.model.endswith(".keras"):
        names = run_class_names(args.model, classes)
        if names is not None:
            return names
    return list(imagenet_class_names(classes)) if classes in IMAGENET_TABLES else None


def classifier_shape(model):
    """`(height, width)` of the model's RGB input, its number of classes, and whether it outputs logits."""
    import keras

    from keras_vit.deploy.classifier import outputs_logits

    in_shape, out_shape = tuple(model.inputs[0].shape), tuple(model.outputs[0].shape)
    if len(model.inputs) != 1 or len(in_shape) != 4 or in_shape[-1] != 3 or None in in_shape[1:]:
        raise ValueError(
            "`predict` needs a model with one RGB image input of a fixed size, (batch, height, width, 3); "
            f"pass a keras_vit classifier. Received: model input shape={in_shape}"
        )
    if len(model.outputs) != 1 or len(out_shape) != 2:
        raise ValueError(
            "`predict` needs a classifier with one (batch, classes) output; build the model with include_top=True. "
            f"Received: model output shape={out_shape}"
        )
    try:
        head = model.get_layer("head")
    except ValueError:
        head = None
    logits = isinstance(head, keras.layers.Dense) and outputs_logits(head)
    return in_shape[1:3], out_shape[-1], logits


def run(args):
    check_arguments(args)
    images = [read_image(path) for path in args.images]  # every file checked before the model is built

    import numpy as np

    from keras_vit.preprocessing import decode_predictions
    from keras_vit.training.model_source import load_or_build_model

    model = load_or_build_model(args.model, weights=args.weights, image_size=args.image_size)
    size, classes, logits = classifier_shape(model)
    names = class_names_for(args, classes)
    scores = model.predict(model_inputs(images, size), batch_size=args.batch_size, verbose=0)
    scores = np.asarray(scores, dtype="float64")
    if logits:  # a head without softmax: report probabilities
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        scores /= scores.sum(axis=-1, keepdims=True)
    top = min(args.top, classes)
    decoded = decode_predictions(scores, top=top, class_names=names or [str(i) for i in range(classes)])
    for path, row in zip(args.images, decoded):
        if args.json:
            record = {"image": path, "top": [{"class": i, "name": n if names else None, "score": s} for i, n, s in row]}
            print(json.dumps(record))
        else:
            print(f"{path}  ({model.name}, {size[0]}x{size[1]}, {classes} classes)")
            for rank, (i, n, s) in enumerate(row, 1):
                print(f"  {rank}. {s:7.2%}  {n} ({i})" if names else f"  {rank}. {s:7.2%}  class {i}")
    return 0
