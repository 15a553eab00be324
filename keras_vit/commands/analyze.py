r"""Inspect a ViT as in the paper's §4.5: mean attention distance (Fig. 7 right, Fig. 11), attention
rollout (Fig. 6, 14), position-embedding similarity (Fig. 7 centre) and the principal components of
the embedding filters (Fig. 7 left).

Writes to --out: attention_distance.png, attention_distance.csv (layer, head, distance_px),
attention_rollout.png (first image), posemb_similarity.png, embedding_filters.png, and with
--compare another model's CSV, attention_distance_comparison.png (e.g. ViT vs hybrid). Views that a
model cannot give (no position embedding; a hybrid's embedding sees feature maps, not RGB) are
skipped with a note. Example:

    keras-vit analyze --model vit_b16 --weights augreg_in21k_ft_in1k --images photos/ --out runs/analysis
    keras-vit analyze --model runs/fmnist/model.keras --images fashion_mnist --num-images 128
    keras-vit analyze --model runs/fmnist_hybrid/model.keras --images fashion_mnist \
        --compare runs/analysis/attention_distance.csv --compare-label ViT --out runs/analysis_hybrid
"""

import os

from keras_vit.commands.common import add_model_arguments

HELP = "attention distance, attention rollout, posemb similarity and embedding filters of a ViT"

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")
FASHION_MNIST_TEST = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"


def add_arguments(parser):
    add_model_arguments(parser)
    parser.add_argument(
        "--images",
        required=True,
        help="a folder of image files (sorted by name) or 'fashion_mnist' (its test images)",
    )
    parser.add_argument("--num-images", type=int, default=128, help="images to average over (default: %(default)s)")
    parser.add_argument("--batch-size", type=int, default=32, help="images per forward pass (default: %(default)s)")
    parser.add_argument("--out", default="runs/analysis", help="output folder (default: %(default)s)")
    parser.add_argument(
        "--compare",
        default=None,
        metavar="CSV",
        help="another model's attention_distance.csv (e.g. a hybrid's): also draw attention_distance_comparison.png",
    )
    parser.add_argument("--compare-label", default=None, help="legend label of --compare (default: its folder name)")


def _read_folder(folder, count, image_hw):
    import numpy as np
    from PIL import Image

    names = sorted(n for n in os.listdir(folder) if n.lower().endswith(IMAGE_EXTENSIONS))[:count]
    if not names:
        raise ValueError(f"No image files ({', '.join(IMAGE_EXTENSIONS)}) in the folder. Received: --images={folder}")
    images = []
    for name in names:
        with Image.open(os.path.join(folder, name)) as image:
            images.append(np.asarray(image.convert("RGB").resize(image_hw[::-1], Image.BILINEAR), dtype="float32"))
    return np.stack(images)


def _read_images(source, count, image_hw):
    """`(n, height, width, 3)` float32 pixels in [0, 255] at the model's resolution."""
    import numpy as np
    from keras import ops

    if source == "fashion_mnist":
        from keras_vit.data.fashion_mnist import read_idx

        images = read_idx(FASHION_MNIST_TEST)[:count, :, :, None].astype("float32")
    elif os.path.isdir(source):
        images = _read_folder(source, count, tuple(image_hw))
    else:
        raise ValueError(f"`--images` must be a folder of images or 'fashion_mnist'. Received: --images={source}")
    if images.shape[-1] == 1:
        images = np.repeat(images, 3, axis=-1)
    if images.shape[1:3] != tuple(image_hw):
        images = ops.convert_to_numpy(ops.image.resize(images, tuple(image_hw), interpolation="bilinear"))
    return np.clip(images, 0.0, 255.0)


def run(args):
    import keras
    import numpy as np

    from keras_vit import analysis
    from keras_vit.commands.common import build_model
    from keras_vit.preprocessing import preprocess_input

    if args.num_images < 1:
        raise ValueError(f"`--num-images` must be at least 1. Received: --num-images={args.num_images}")
    model = build_model(args)
    height, width = model.input_shape[1:3]
    if height is None or width is None:  # dynamic_image_size: any multiple of the patch works
        height = width = args.image_size or 224
    images = _read_images(args.images, args.num_images, (height, width))
    os.makedirs(args.out, exist_ok=True)
    written = []

    def out(name):
        return os.path.join(args.out, name)

    print(f"{model.name}: attention of {len(images)} images at {height}x{width}")
    progbar = keras.utils.Progbar(len(images), unit_name="image")
    total, count, first = 0.0, 0, None
    for weights, layout in analysis.iter_attention_weights(model, preprocess_input(images), args.batch_size, progbar):
        total = total + len(weights[0]) * analysis.attention_distance(
            weights, layout.grid_hw, layout.cell_px, layout.num_prefix
        )
        count += len(weights[0])
        if first is None:
            first = analysis.attention_rollout([w[:1] for w in weights], layout.grid_hw, layout.num_prefix)[0]
    distances = total / count

    analysis.write_distance_csv(distances, out("attention_distance.csv"))
    written.append(out("attention_distance.csv"))
    written.append(
        analysis.plot_attention_distance(
            distances, out("attention_distance.png"), title=f"{model.name}: mean attention distance"
        )
    )
    if args.compare:
        other = analysis.read_distance_csv(args.compare)
        label = args.compare_label or os.path.basename(os.path.dirname(os.path.abspath(args.compare)))
        written.append(
            analysis.plot_distance_comparison(
                distances, other, out("attention_distance_comparison.png"), labels=(model.name, label)
            )
        )
    heatmap = analysis.upsample_map(first[None], (height, width))[0]
    written.append(analysis.plot_rollout(images[0], heatmap, out("attention_rollout.png")))

    try:
        similarity = analysis.posemb_similarity(analysis.position_embedding_grid(model))
        written.append(analysis.plot_posemb_similarity(similarity, out("posemb_similarity.png")))
    except ValueError as error:
        print(f"skipped posemb_similarity.png: {error}")
    try:
        components, _ = analysis.embedding_filters(analysis.embedding_kernel(model))
        written.append(analysis.plot_embedding_filters(components, out("embedding_filters.png")))
    except ValueError as error:
        print(f"skipped embedding_filters.png: {error}")

    print(f"mean attention distance per layer (px, mean over heads): {np.round(distances.mean(axis=1), 1).tolist()}")
    for path in written:
        print(f"wrote {path}")
    return 0
