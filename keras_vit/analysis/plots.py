"""Figures of the paper's §4.5 (Fig. 6, 7, 11, 14), drawn with matplotlib's Agg canvas.

Every function builds a `matplotlib.figure.Figure` directly (no pyplot, no global backend state),
writes a PNG of exactly `figsize × dpi` pixels and returns the path.
"""

import numpy as np
from matplotlib.figure import Figure


def _save(fig, path, dpi):
    fig.savefig(path, dpi=dpi, format="png")
    return path


def _distance_points(distances):
    distances = np.asarray(distances, dtype="float64")
    if distances.ndim != 2:
        raise ValueError(f"`distances` must be (layers, heads). Received: distances.shape={distances.shape}")
    layers, heads = distances.shape
    depth = np.repeat(np.arange(1, layers + 1), heads)
    return depth, distances.ravel(), layers


def plot_attention_distance(distances, path, title="Mean attention distance", figsize=(5, 4), dpi=100):
    """One dot per head: network depth (x) against mean attention distance in pixels (y).

    Args:
        distances: `(layers, heads)` from `mean_attention_distance` (or `read_distance_csv`).
        path: PNG file to write.
    """
    depth, values, layers = _distance_points(distances)
    fig = Figure(figsize=figsize, layout="constrained")
    ax = fig.add_subplot()
    ax.scatter(depth, values, s=14, alpha=0.8)
    ax.set_xlabel("Network depth (layer)")
    ax.set_ylabel("Mean attention distance (pixels)")
    ax.set_title(title)
    ax.set_xticks(np.arange(1, layers + 1, max(1, layers // 12)))
    ax.set_xlim(0.5, layers + 0.5)
    ax.set_ylim(0, 1.1 * np.nanmax(values) if np.nanmax(values) > 0 else 1.0)
    ax.grid(alpha=0.3)
    return _save(fig, path, dpi)


def plot_distance_comparison(
    distances_a,
    distances_b,
    path,
    labels=("ViT", "Hybrid"),
    title="Mean attention distance",
    figsize=(6, 4),
    dpi=100,
):
    """Two models' attention distances in one figure (e.g. ViT vs hybrid, paper Fig. 11).

    Args:
        distances_a, distances_b: `(layers, heads)` tables (depths may differ).
        path: PNG file to write.
        labels: legend entries of the two tables.
    """
    fig = Figure(figsize=figsize, layout="constrained")
    ax = fig.add_subplot()
    layers, top = 1, 0.0
    for offset, distances, label, marker in ((-0.12, distances_a, labels[0], "o"), (0.12, distances_b, labels[1], "^")):
        depth, values, n = _distance_points(distances)
        layers, top = max(layers, n), max(top, np.nanmax(values))
        ax.scatter(depth + offset, values, s=14, alpha=0.75, marker=marker, label=label)
    ax.set_xlabel("Network depth (layer)")
    ax.set_ylabel("Mean attention distance (pixels)")
    ax.set_title(title)
    ax.set_xticks(np.arange(1, layers + 1, max(1, layers // 12)))
    ax.set_xlim(0.5, layers + 0.5)
    ax.set_ylim(0, 1.1 * top if top > 0 else 1.0)
    ax.grid(alpha=0.3)
    ax.legend()
    return _save(fig, path, dpi)


def _display_image(image):
    image = np.asarray(image, dtype="float32")
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    if image.max() > 1.0:  # pixels in [0, 255]
        image = image / 255.0
    return np.clip(image, 0.0, 1.0)


def plot_rollout(image, heatmap, path, title="Attention rollout", figsize=(8, 4), dpi=100):
    """The input image and the same image overlaid with its rollout heat map (with a colour bar).

    Args:
        image: `(height, width, 3 or 1)` or `(height, width)`, pixels in [0, 255] or [0, 1].
        heatmap: `(height, width)` map on the image (see `upsample_map`).
        path: PNG file to write.
    """
    image = _display_image(image)
    heatmap = np.asarray(heatmap, dtype="float32")
    if heatmap.shape != image.shape[:2]:
        raise ValueError(
            f"`heatmap` must cover the image, shape {image.shape[:2]}; upsample it with upsample_map. "
            f"Received: heatmap.shape={heatmap.shape}"
        )
    grey = image.ndim == 2
    fig = Figure(figsize=figsize, layout="constrained")
    left, right = fig.subplots(1, 2)
    left.imshow(image, cmap="gray" if grey else None)
    left.set_title("Input")
    right.imshow(image, cmap="gray" if grey else None)
    overlay = right.imshow(heatmap, cmap="jet", alpha=0.5)
    right.set_title(title)
    for ax in (left, right):
        ax.set_axis_off()
    fig.colorbar(overlay, ax=right, label="Rolled-out attention", shrink=0.8)
    return _save(fig, path, dpi)


def plot_posemb_similarity(similarity, path, title="Position embedding similarity", figsize=(6, 5), dpi=100):
    """A small heat map per patch (arranged as the patch grid): its cosine similarity to every patch.

    Args:
        similarity: `(gh, gw, gh, gw)` from `posemb_similarity`.
        path: PNG file to write.
    """
    similarity = np.asarray(similarity, dtype="float32")
    if similarity.ndim != 4:
        raise ValueError(f"`similarity` must be (gh, gw, gh, gw). Received: similarity.shape={similarity.shape}")
    gh, gw = similarity.shape[:2]
    # One mosaic image with one-pixel NaN gutters: far faster than gh·gw axes for a 14×14 grid.
    mosaic = np.full((gh * (gh + 1) - 1, gw * (gw + 1) - 1), np.nan, dtype="float32")
    for i in range(gh):
        for j in range(gw):
            mosaic[i * (gh + 1) : i * (gh + 1) + gh, j * (gw + 1) : j * (gw + 1) + gw] = similarity[i, j]
    fig = Figure(figsize=figsize, layout="constrained")
    ax = fig.add_subplot()
    shown = ax.imshow(mosaic, cmap="viridis", vmin=-1, vmax=1, interpolation="nearest")
    ax.set_xticks(np.arange(gw) * (gw + 1) + (gw - 1) / 2, np.arange(1, gw + 1))
    ax.set_yticks(np.arange(gh) * (gh + 1) + (gh - 1) / 2, np.arange(1, gh + 1))
    ax.tick_params(length=0, labelsize=7)
    ax.set_xlabel("Input patch column")
    ax.set_ylabel("Input patch row")
    ax.set_title(title)
    fig.colorbar(shown, ax=ax, label="Cosine similarity")
    return _save(fig, path, dpi)


def plot_embedding_filters(
    components, path, title="RGB embedding filters (principal components)", figsize=None, dpi=100
):
    """The principal components of the embedding filters as small images, in rows of 7.

    Args:
        components: `(k, p, p, channels)` in [0, 1] from `embedding_filters`.
        path: PNG file to write.
        figsize: default 0.9 inch per filter, 7 per row, plus a title strip.
    """
    components = np.asarray(components, dtype="float32")
    if components.ndim != 4 or components.shape[-1] not in (1, 3):
        raise ValueError(
            "`components` must be (k, p, p, 1 or 3) images; a hybrid's embedding sees feature maps, not RGB. "
            f"Received: components.shape={components.shape}"
        )
    cols = min(7, len(components))
    rows = -(-len(components) // cols)
    fig = Figure(figsize=figsize or (cols * 0.9, rows * 0.9 + 0.5), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    for ax in axes:
        ax.set_axis_off()
    for ax, component in zip(axes, components):
        grey = component.shape[-1] == 1
        ax.imshow(component[..., 0] if grey else component, cmap="gray" if grey else None, interpolation="nearest")
    fig.suptitle(title, fontsize=9)
    return _save(fig, path, dpi)
