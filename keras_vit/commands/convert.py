"""Convert a checkpoint into a Keras `.weights.h5` (or a whole `.keras` model).

The architecture is read from the checkpoint itself (width, depth, heads, MLP, patch, classifier,
pre-logits, classes, resolution; a transformers config.json adds the numerics and class names). Examples:

    keras-vit convert ViT-B_16.npz vit_b16.weights.h5
    keras-vit convert hf://google/vit-base-patch16-224 vit_b16.keras
"""

HELP = "convert a checkpoint (.npz, timm file, transformers directory, hf://ORG/NAME) to .weights.h5 or .keras"


def add_arguments(parser):
    parser.add_argument(
        "input",
        help="checkpoint: official .npz, timm .safetensors/.pth, a transformers directory, or hf://ORG/NAME[@REVISION]",
    )
    parser.add_argument("output", help="output path ending in .weights.h5 or .keras")


def run(args):
    from keras_vit.models.from_checkpoint import model_from_checkpoint

    if not args.output.endswith((".weights.h5", ".keras")):
        raise ValueError(f"The output must end in .weights.h5 or .keras. Received: output={args.output!r}")
    model = model_from_checkpoint(args.input)
    if args.output.endswith(".keras"):
        model.save(args.output)
    else:
        model.save_weights(args.output)
    print(f"wrote {args.output} ({model.name}, {model.count_params():,} parameters)")
    return 0
