"""Starting one model from another's weights, layer by layer (e.g. a classifier from a pre-trained encoder)."""

import numpy as np

from keras_vit.weights.load import mismatches
from keras_vit.weights.npz import HEAD_LAYERS
from keras_vit.weights.posemb import fit_posemb

# Layers of the masked-patch-prediction model that a classifier has no use for.
PRETRAINING_LAYERS = ("corruption", "mpp_head")


def _weighted(model):
    return {layer.name: layer for layer in model.layers if layer.weights}


def transfer_weights(source, target, interpolation="linear"):
    """Copies every weighted layer of `target` but its head from the layer of the same name in `source`.

    Strict, like checkpoint loading: each such layer must exist in `source` with weights of the same shapes,
    and every weighted layer of `source` must find its place in `target` (apart from the head and the
    masked-patch-prediction layers); all problems are reported at once. A position embedding learned for
    another patch grid is resampled (`interpolation` "linear" or "bicubic"), so that an encoder
    pre-trained at one resolution starts a classifier at another. The target's `head` (and `pre_logits`
    when the source has none) keeps its own initialisation.

    Args:
        source: a keras_vit model (a ViT, or the `masked_patch_predictor` built around one).
        target: a keras_vit model of the same encoder architecture.
        interpolation: how a position embedding is resampled to another grid.

    Returns:
        The names of the layers copied.
    """
    from_layers, to_layers = _weighted(source), _weighted(target)
    copies, missing, misshaped = [], [], []
    for name, layer in to_layers.items():
        if name in HEAD_LAYERS and (name in ("head", "head_dist") or name not in from_layers):
            continue
        if name not in from_layers:
            missing.append(name)
            continue
        values = [np.asarray(v) for v in from_layers[name].get_weights()]
        if name == "posembed_input" and getattr(layer, "kind", None) == "learned" and len(values) == 1:
            values[0] = fit_posemb(values[0], layer.num_prefix_tokens, layer.grid_size, interpolation)
        shapes = [tuple(v.shape) for v in layer.weights]
        if [v.shape for v in values] != shapes:
            misshaped.append(f"{name}: source {[v.shape for v in values]}, target {shapes}")
            continue
        copies.append((layer, values))
    unexpected = set(from_layers) - set(to_layers) - set(HEAD_LAYERS) - set(PRETRAINING_LAYERS)
    problems = mismatches("the source", missing, unexpected, misshaped)
    if problems:
        raise ValueError(
            f"The weights of {source.name!r} do not fit {target.name!r}; build the target with the source's "
            "architecture (width, depth, heads, MLP, patch size, class token, position embedding). " + problems
        )
    for layer, values in copies:
        layer.set_weights(values)
    return [layer.name for layer, _ in copies]
