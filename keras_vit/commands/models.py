"""List the named models: parameters, compute at a resolution, registered weights.

Builds each model once (random weights) and counts with the package's FLOP counter; prints a
Markdown table. Example:

    keras-vit models --image-size 224
    keras-vit models --small          # the small Fashion-MNIST models of the training recipes, at 28 px
"""

HELP = "table of the named models (parameters, GMACs/GFLOPs, registered weights)"


def add_arguments(parser):
    parser.add_argument("--image-size", type=int, default=224, help="resolution for the compute figures")
    parser.add_argument("--only", nargs="*", default=None, help="model names to include (default: all)")
    parser.add_argument(
        "--small", action="store_true", help="the small models of the training recipes (`--model` of train), at 28 px"
    )


def _small_models():
    """name → a constructor of the small model at its own size, with the variant column empty."""
    from keras_vit.models.catalog import small_models

    return {
        name: (lambda builder=builder, arguments=arguments, **_: builder(**arguments))
        for name, (builder, arguments) in small_models().items()
    }


def run(args):
    import gc

    import keras

    from keras_vit.models.catalog import CONSTRUCTORS
    from keras_vit.models.flops import count_macs
    from keras_vit.models.presets import weights_names

    size = 28 if args.small else args.image_size
    print(f"| model | variant | params | GMACs @{size} | GFLOPs @{size} | registered weights |")
    print("|---|---|---:|---:|---:|---|")
    for name, constructor in (_small_models() if args.small else CONSTRUCTORS).items():
        if args.only and name not in args.only:
            continue
        model = constructor(image_size=args.image_size)
        macs = count_macs(model)
        variant = getattr(constructor, "variant", "")
        weights = ", ".join(weights_names(variant)) if variant else ""
        print(
            f"| `{name}` | {variant} | {model.count_params() / 1e6:.1f}M | {macs / 1e9:.2f} | {2 * macs / 1e9:.2f} "
            f"| {weights} |"
        )
        del model
        keras.backend.clear_session()
        gc.collect()
    return 0
