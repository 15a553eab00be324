"""Few-shot linear evaluation of a model's frozen representation (paper §4.1).

The output of the layer "pre_logits" for k training images per class (1, 5, 10, 25) is whitened, a ridge
regression to ±1 targets is solved in closed form (L2 chosen on other training images) and scored top-1 on
the test split, averaged over seeds.

Examples:
    keras-vit fewshot --model vit_b16 --weights imagenet21k --image-size 224
    keras-vit fewshot --model runs/vit_fmnist-20250101-120000/model.keras --dataset fashion_mnist
"""

HELP = "few-shot linear evaluation of a model's pre_logits representation"


def add_arguments(parser):
    from keras_vit.commands.common import add_model_arguments

    add_model_arguments(parser)
    parser.add_argument(
        "--dataset",
        default="fashion_mnist",
        help="fashion_mnist, tfds:NAME or folder:PATH (one sub-folder of images per class; default: %(default)s)",
    )
    parser.add_argument(
        "--holdout", type=float, default=0.2, help="folder:PATH without val/: fraction held out (default 0.2)"
    )
    parser.add_argument(
        "--data-dir", default=None, help="folder with the Fashion-MNIST IDX files, or the tfds data dir"
    )
    parser.add_argument("--shots", default="1,5,10,25", help="comma list of k (default: %(default)s)")
    parser.add_argument("--seeds", type=int, default=3, help="random draws averaged (default: %(default)s)")
    parser.add_argument("--l2", default=None, help="comma list of L2 values to choose from (default: 2^-10 … 2^19)")
    parser.add_argument("--max-test", type=int, default=None, help="score on at most this many test images")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--layer", default="pre_logits", help="representation layer (default: %(default)s)")
    parser.add_argument("--json", default=None, help="also write the accuracies to this JSON file")


def run(args):
    import json
    import time

    import numpy as np

    from keras_vit import data as data_lib
    from keras_vit.commands.common import build_model
    from keras_vit.data.pipeline import as_arrays, images_only, make_dataset
    from keras_vit.fewshot import DEFAULT_L2_REGS, fewshot_evaluate

    start = time.time()
    shots = tuple(int(k) for k in args.shots.split(","))
    model = build_model(args)
    image_size = tuple(model.input_shape[1:3])
    if None in image_size:
        image_size = (args.image_size or 224,) * 2
    data = data_lib.load(args.dataset, args.data_dir, holdout=args.holdout)
    train, test = data.train, data.test
    if not isinstance(train, tuple):
        train = as_arrays(train, image_size, max(20 * max(shots) * data.num_classes, 5000))
        test = as_arrays(test, image_size, args.max_test or 10_000)

    def preprocess(images):
        ds = make_dataset(
            (images, np.zeros(len(images), "int32")),
            image_size=image_size,
            num_classes=data.num_classes,
            batch_size=args.batch_size,
            cache=False,
        )
        return images_only(ds)

    l2_regs = tuple(float(v) for v in args.l2.split(",")) if args.l2 else DEFAULT_L2_REGS
    results = fewshot_evaluate(
        model,
        train,
        test,
        shots=shots,
        num_classes=data.num_classes,
        seeds=args.seeds,
        l2_regs=l2_regs,
        max_test=args.max_test,
        layer=args.layer,
        batch_size=args.batch_size,
        preprocess=preprocess,
    )
    print(f"{model.name} on {data.description}, layer {args.layer!r}, {args.seeds} seeds:")
    for k, accuracy in results.items():
        print(f"  {k:3d}-shot  {accuracy:.4f}")
    print(f"({time.time() - start:.0f} s)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({f"{k}shot": v for k, v in results.items()}, f, indent=2)
    return 0
