"""Export a model for serving: a TF Serving SavedModel, or OpenVINO / ONNX / LiteRT for CPU runtimes.

Writes `OUT/NAME/VERSION/` (the layout TF Serving and OpenVINO Model Server watch). Preprocessing
([0, 255] → [-1, 1]), softmax and top-k are inside, so clients send raw pixels (SavedModel: also encoded
images, any size). Examples:

    keras-vit export --model vit_b16 --weights augreg_in21k_ft_in1k --out serving --input bytes
    keras-vit export --model runs/fmnist/model.keras --out serving --format openvino --precision auto \
        --calibration fashion_mnist
    keras-vit export --model runs/fmnist/model.keras --out serving --format onnx --precision int8
    tensorflow_model_server --rest_api_port=8501 --model_name=vit_b16 --model_base_path=$PWD/serving/vit_b16

See docs/SERVING.md for the request formats and each runtime's settings.
"""

from keras_vit.commands.common import add_model_arguments

HELP = "export for serving: SavedModel (TF Serving), OpenVINO, ONNX or LiteRT, in float32, bf16 or int8"
FORMATS = ("saved_model", "openvino", "onnx", "litert")
PRECISIONS = ("float32", "bfloat16", "int8", "auto")
CALIBRATION_IMAGES = 256


def add_arguments(parser):
    add_model_arguments(parser)
    parser.add_argument("--out", required=True, help="model base directory; writes OUT/NAME/VERSION/")
    parser.add_argument("--format", choices=FORMATS, default="saved_model", help="(default: %(default)s)")
    parser.add_argument(
        "--precision",
        choices=PRECISIONS,
        default="float32",
        help="bfloat16: saved_model, openvino; int8: openvino (needs --calibration), onnx, litert; "
        "auto: the fastest this CPU runs natively (default: %(default)s)",
    )
    parser.add_argument(
        "--calibration",
        default=None,
        help="images for static int8 (openvino): a .npy of (n, h, w, 3) pixels in [0, 255], or 'fashion_mnist' "
        f"(the first {CALIBRATION_IMAGES} training images)",
    )
    parser.add_argument(
        "--input",
        choices=("float", "uint8", "bytes"),
        default="float",
        help="what clients send: float32 or uint8 pixels in [0, 255], or encoded JPEG/PNG bytes (saved_model "
        "only) (default: %(default)s)",
    )
    parser.add_argument("--class-names", default=None, help="text file with one class name a line (top_k_classes)")
    parser.add_argument("--top-k", type=int, default=5, help="classes returned by top_k_* (default: %(default)s)")
    parser.add_argument("--version", type=int, default=1, help="version sub-directory (default: %(default)s)")
    parser.add_argument("--name", default=None, help="model directory name (default: the model's name)")


def read_class_names(path):
    """One class name a line; blank lines at the end are ignored."""
    with open(path, encoding="utf-8") as f:
        names = [line.rstrip("\r\n") for line in f]
    while names and not names[-1].strip():
        names.pop()
    return names


def calibration_images(source, size):
    """`--calibration`: a .npy of raw images, or the first Fashion-MNIST training images as RGB at `size`."""
    import numpy as np

    if source is None:
        return None
    if source in ("fashion_mnist", "fmnist"):
        from keras_vit import data
        from keras_vit.data.pixels import rgb_pixels

        return rgb_pixels(data.load("fashion_mnist").train[0][:CALIBRATION_IMAGES], size)
    if source.endswith(".npy"):
        return np.load(source)
    raise ValueError(
        "`--calibration` takes a .npy file of (n, h, w, 3) pixels in [0, 255] or 'fashion_mnist'. "
        f"Received: --calibration={source!r}"
    )


def run(args):
    from keras_vit import deploy
    from keras_vit.commands.common import build_model

    class_names = read_class_names(args.class_names) if args.class_names else None
    precision = deploy.resolve_precision(args.format, args.precision)
    model = build_model(args)
    size = args.image_size or tuple(model.inputs[0].shape[1:3])
    size = (size, size) if isinstance(size, int) else size
    target = deploy.export(
        model,
        args.out,
        format=args.format,
        precision=precision,
        input=args.input,
        top_k=args.top_k,
        class_names=class_names,
        image_size=args.image_size,
        calibration=calibration_images(args.calibration, size),
        version=args.version,
        model_name=args.name,
    )
    print(
        f"wrote {target} ({model.name}, {args.format}, {precision}, input={args.input}, "
        f"{model.count_params():,} parameters)"
    )
    return 0
