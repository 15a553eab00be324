"""Similarity of the learned position embeddings (paper Fig. 7 centre).

Each patch's embedding is compared (cosine similarity) with every other patch's; a model that has
learned the 2-D image topology shows, for each patch, high similarity with its own row and column.
"""

import keras
import numpy as np

from keras_vit.layers.posemb_resample import sincos_2d


def position_embedding_grid(model):
    """The `(gh, gw, hidden)` patch position embeddings of `model` (layer "posembed_input").

    Class-token rows are left out; "learned_2d" returns row + column, "sincos2d" the fixed table.
    """
    try:
        layer = model.get_layer("posembed_input")
    except ValueError:
        raise ValueError(
            "The model has no 'posembed_input' layer (built with posemb='none'?), so there is no position "
            f"embedding to compare. Received: model={model.name}"
        ) from None
    gh, gw = layer.grid_size
    hidden = model.get_layer("embedding").hidden_size
    if layer.kind == "learned":
        grid = keras.ops.reshape(layer.pos_embedding[0, layer.num_prefix_tokens :], (gh, gw, hidden))
    elif layer.kind == "learned_2d":
        grid = layer.row_embedding + layer.col_embedding
    else:
        grid = sincos_2d(gh, gw, hidden)
    return keras.ops.convert_to_numpy(grid).astype("float32")


def posemb_similarity(embedding):
    """Cosine similarity of every patch's position embedding with every other's.

    Args:
        embedding: `(gh, gw, hidden)` position embeddings.

    Returns:
        `(gh, gw, gh, gw)`: `[i, j]` is the map of patch (i, j)'s similarity to every patch.
    """
    embedding = np.asarray(embedding, dtype="float64")
    if embedding.ndim != 3:
        raise ValueError(f"`embedding` must be (gh, gw, hidden). Received: embedding.shape={embedding.shape}")
    gh, gw, hidden = embedding.shape
    flat = embedding.reshape(gh * gw, hidden)
    flat = flat / np.maximum(np.linalg.norm(flat, axis=-1, keepdims=True), 1e-12)
    return (flat @ flat.T).reshape(gh, gw, gh, gw)
