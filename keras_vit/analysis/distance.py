"""Mean attention distance per layer and head (paper §4.5, Fig. 7 right and Fig. 11).

The "attention distance" of a head is the image-space distance across which it integrates
information, the analogue of a CNN's receptive field: for each query patch i,
Σ_j A[i, j] · ‖pos_i − pos_j‖ in pixels, averaged over query patches and images.
"""

import csv

import numpy as np

from keras_vit.analysis.attention import iter_attention_weights

CSV_COLUMNS = ("layer", "head", "distance_px")


def pairwise_distances(grid_hw, cell_px=(1.0, 1.0)):
    """`(gh * gw, gh * gw)` Euclidean distances between patch centres, in pixels.

    Args:
        grid_hw: `(gh, gw)` patch grid (row-major token order, as the patch embedding flattens it).
        cell_px: `(height, width)` in pixels of one grid cell (patch size × stem stride).
    """
    gh, gw = grid_hw
    rows, cols = np.meshgrid(np.arange(gh), np.arange(gw), indexing="ij")
    pos = np.stack([rows.ravel() * cell_px[0], cols.ravel() * cell_px[1]], axis=-1).astype("float64")
    return np.sqrt(((pos[:, None, :] - pos[None, :, :]) ** 2).sum(-1))


def attention_distance(weights, grid_hw, cell_px=(1.0, 1.0), num_prefix=0):
    """Mean attention distance of each head from attention weights.

    The prefix (class) token's row and column are dropped and each query's weights are
    renormalised to sum to one over the patches. The paper does not say how it treats the class
    token; renormalising means a head that attends mostly to the class token is measured by where
    its remaining attention goes, instead of counting that mass as "distance 0".

    Args:
        weights: one `(batch, heads, T, T)` array, or a list of them (one per layer).
        grid_hw: `(gh, gw)` with `gh * gw = T - num_prefix`.
        cell_px: `(height, width)` in pixels of one grid cell.
        num_prefix: tokens before the patches (1 with a class token).

    Returns:
        `(heads,)` for one array, `(layers, heads)` for a list: distances in pixels, averaged over
        query patches and over the batch.
    """
    if isinstance(weights, (list, tuple)):
        return np.stack([attention_distance(w, grid_hw, cell_px, num_prefix) for w in weights])
    weights = np.asarray(weights, dtype="float64")
    patches = grid_hw[0] * grid_hw[1]
    if weights.ndim != 4 or weights.shape[-1] != weights.shape[-2] or weights.shape[-1] != num_prefix + patches:
        raise ValueError(
            f"`weights` must be (batch, heads, T, T) with T = num_prefix + gh * gw = {num_prefix + patches}. "
            f"Received: weights.shape={weights.shape}"
        )
    a = weights[..., num_prefix:, num_prefix:]
    a = a / np.maximum(a.sum(-1, keepdims=True), np.finfo("float64").tiny)
    per_query = (a * pairwise_distances(grid_hw, cell_px)).sum(-1)  # (batch, heads, patches)
    return per_query.mean(axis=(0, 2))


def mean_attention_distance(model, images, batch_size=32, num_images=128, progbar=None):
    """Mean attention distance of every head of `model`, averaged over `images`.

    Pixels are measured on the model's input: a grid cell is `image height / grid height` pixels
    high (the patch size for a ViT, patch size × stem stride for a hybrid).

    Args:
        model: a functional keras_vit model.
        images: `(n, height, width, channels)` preprocessed images; the first `num_images` are used
            (the paper averages over 128).
        batch_size: images per forward pass.
        num_images: how many images to average over.
        progbar: optional `keras.utils.Progbar`.

    Returns:
        NumPy `(layers, heads)` distances in pixels.

    Example:
        >>> distances = mean_attention_distance(model, keras_vit.preprocess_input(images))
        >>> write_distance_csv(distances, "attention_distance.csv")
    """
    images = np.asarray(images)[:num_images]
    total, count = 0.0, 0
    for weights, layout in iter_attention_weights(model, images, batch_size, progbar):
        batch = len(weights[0])
        total = total + batch * attention_distance(weights, layout.grid_hw, layout.cell_px, layout.num_prefix)
        count += batch
    if count == 0:
        raise ValueError(f"No images to average over. Received: images.shape={np.shape(images)}")
    return total / count


def write_distance_csv(distances, path):
    """Writes `(layers, heads)` distances as CSV rows `layer, head, distance_px`.

    `layer` is the network depth, 1-based as on the plot's x axis (`encoderblock_{layer - 1}`);
    `head` is the 0-based head index.
    """
    distances = np.asarray(distances)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(CSV_COLUMNS)
        for layer, row in enumerate(distances, start=1):
            for head, value in enumerate(row):
                writer.writerow([layer, head, f"{value:.4f}"])


def read_distance_csv(path):
    """Reads a file written by `write_distance_csv` back into a `(layers, heads)` array."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows or tuple(rows[0]) != CSV_COLUMNS:
        raise ValueError(f"Expected a CSV with columns {CSV_COLUMNS} (from write_distance_csv). Received: {path}")
    layers = max(int(r["layer"]) for r in rows)
    heads = max(int(r["head"]) for r in rows) + 1
    distances = np.full((layers, heads), np.nan)
    for r in rows:
        distances[int(r["layer"]) - 1, int(r["head"])] = float(r["distance_px"])
    return distances
