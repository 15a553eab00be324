"""Principal components of the patch-embedding filters (paper Fig. 7 left).

The embedding kernel `(p, p, channels, hidden)` holds `hidden` filters of `p·p·channels` values.
Treating the filters as samples, their top principal components are the directions the embedding
spans; shown as small images they resemble plausible basis functions for each patch.
"""

import keras
import numpy as np


def embedding_kernel(model):
    """The `(p, p, channels, hidden)` kernel of the model's "embedding" layer, as NumPy."""
    return keras.ops.convert_to_numpy(model.get_layer("embedding").kernel).astype("float32")


def embedding_filters(kernel, num_components=28):
    """Top principal components of the embedding filters, as images.

    Args:
        kernel: `(p, p, channels, hidden)` patch-embedding kernel (see `embedding_kernel`).
        num_components: how many components (at most `min(hidden, p·p·channels)`).

    Returns:
        `(components, explained)`: `(k, p, p, channels)` components, each rescaled to [0, 1] for
        display (a component's sign and scale are arbitrary), and `(k,)` fractions of the
        filters' variance that each explains.
    """
    kernel = np.asarray(kernel, dtype="float64")
    if kernel.ndim != 4:
        raise ValueError(f"`kernel` must be (p, p, channels, hidden). Received: kernel.shape={kernel.shape}")
    if num_components < 1:
        raise ValueError(f"`num_components` must be a positive integer. Received: num_components={num_components}")
    p_h, p_w, channels, hidden = kernel.shape
    filters = kernel.reshape(-1, hidden).T  # one row per filter
    filters = filters - filters.mean(axis=0)
    _, singular, vt = np.linalg.svd(filters, full_matrices=False)
    k = min(num_components, len(singular))
    variance = singular**2
    explained = variance[:k] / max(variance.sum(), np.finfo("float64").tiny)
    components = vt[:k].reshape(k, p_h, p_w, channels)
    low = components.min(axis=(1, 2, 3), keepdims=True)
    span = components.max(axis=(1, 2, 3), keepdims=True) - low
    components = (components - low) / np.where(span > 0, span, 1.0)
    return components.astype("float32"), explained
