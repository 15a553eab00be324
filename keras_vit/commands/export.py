"""Export a model as a TensorFlow Serving SavedModel (`OUT/NAME/VERSION/`, `serving_default` signature).

Preprocessing (decode, resize, [0, 255] → [-1, 1]), softmax and top-k are in the graph, so clients send
raw images. Needs the TensorFlow backend. Examples:

    keras-vit export --model vit_b16 --weights augreg_in21k_ft_in1k --out serving --input bytes
    keras-vit export --model runs/fmnist/model.keras --out serving --class-names classes.txt
    tensorflow_model_server --rest_api_port=8501 --model_name=vit_b16 --model_base_path=$PWD/serving/vit_b16

See docs/SERVING.md for the request formats.
"""

from keras_vit.commands.common import add_model_arguments

HELP = "export a SavedModel for TensorFlow Serving (preprocessing and top-k in the graph)"


def add_arguments(parser):
    add_model_arguments(parser)
    parser.add_argument("--out", required=True, help="model base directory; writes OUT/NAME/VERSION/")
    parser.add_argument(
        "--input",
        choices=("float", "uint8", "bytes"),
        default="float",
        help="what clients send: float32 or uint8 pixels in [0, 255], or encoded JPEG/PNG bytes (default: %(default)s)",
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


def run(args):
    from keras_vit.commands.common import build_model
    from keras_vit.export import export_saved_model

    class_names = read_class_names(args.class_names) if args.class_names else None
    model = build_model(args)
    target = export_saved_model(
        model,
        args.out,
        image_size=args.image_size,
        input=args.input,
        top_k=args.top_k,
        class_names=class_names,
        version=args.version,
        model_name=args.name,
    )
    print(f"wrote {target} ({model.name}, input={args.input}, {model.count_params():,} parameters)")
    return 0
