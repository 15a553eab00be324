"""Arguments and helpers shared by several sub-commands.

Nothing here imports Keras at the top: `keras-vit --help` builds every command's parser.
"""

# The names in `train --help` and `pretrain-mpp --help`, written out so that building the parser needs no Keras:
# `keras_vit.training.recipes` imports it. tests/test_cli_help.py checks them against RECIPES and MODELS.
RECIPE_NAMES = ("finetune", "fmnist", "fmnist-long", "pretrain")


def shots_list(text):
    """`--fewshot-shots` values: "1,5,10" → (1, 5, 10); "none", "0" or "" → ()."""
    return () if text.lower() in ("", "none", "0") else tuple(int(v) for v in text.split(","))


def add_strategy_arguments(parser):
    """`--strategy` and `--tpu` (on a parser or an argument group)."""
    parser.add_argument(
        "--strategy",
        choices=("auto", "one_device", "mirrored", "multi_worker", "tpu"),
        default=None,
        help="distribution strategy (TensorFlow; on JAX, keras.distribution.DataParallel)",
    )
    parser.add_argument("--tpu", default=None, help="TPU name or grpc:// address for --strategy tpu")


def add_model_arguments(parser, default_model="vit_ti16"):
    parser.add_argument(
        "--model",
        default=default_model,
        help="a model name (vit_b16, vit_r50_b16, ...; timm names too: vit_base_patch16_384.augreg_in21k_ft_in1k) "
        "or a saved .keras file (default: %(default)s)",
    )
    parser.add_argument(
        "--weights",
        default=None,
        help="registered weights name, a checkpoint file or directory (.npz, timm, transformers), "
        "hf://ORG/NAME[@REVISION], or a .weights.h5/.keras path",
    )
    parser.add_argument("--image-size", type=int, default=None, help="input resolution (default: the weights' own)")
    parser.add_argument("--classes", type=int, default=None, help="head size (default: the weights' own, else 1000)")


def build_model(args, **overrides):
    """The model named by `--model/--weights/--image-size/--classes` (a name or a `.keras` file), as training
    resolves it (`keras_vit.training.model_source.load_or_build_model`)."""
    from keras_vit.training.model_source import load_or_build_model

    kwargs = dict(weights=args.weights, image_size=args.image_size, classes=args.classes)
    kwargs.update(overrides)
    return load_or_build_model(args.model, **kwargs)
