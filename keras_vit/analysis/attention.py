"""Attention weights of a ViT, computed by the model itself (paper §4.5).

The functional graph of the model is replayed node by node, in the topological order Keras itself
uses (`Functional._run_through_graph`), with every `TransformerBlock` called with
`return_attention_weights=True`. Nothing is rebuilt by hand, so the same code serves plain ViTs,
`include_top=False` models, `dynamic_image_size` models at any resolution and hybrids (whose stem is
simply more layers before `embedding`), on every backend.
"""

from typing import NamedTuple

import keras
import numpy as np

from keras_vit.layers import TransformerBlock


class TokenLayout(NamedTuple):
    """Where the tokens of a batch come from.

    Attributes:
        num_prefix: tokens before the patches (1 with a class token, else 0).
        grid_hw: `(gh, gw)` patch grid of this input size.
        cell_px: `(height, width)` in input pixels of one grid cell (patch size × stem stride).
    """

    num_prefix: int
    grid_hw: tuple
    cell_px: tuple


def num_prefix_tokens(model):
    """1 if the model has a class token (a layer named "cls", also inside a nested model), else 0."""

    def has_cls(graph):
        return any(op.name == "cls" or (_is_graph(op) and has_cls(_graph(op))) for op in graph.operations)

    return 1 if has_cls(_graph(model)) else 0


def _is_graph(op):
    if isinstance(op, keras.Sequential):
        return getattr(op, "_functional", None) is not None
    return isinstance(op, keras.Model) and hasattr(op, "_nodes_by_depth")


def _graph(model):
    # A Sequential model keeps its functional graph in `_functional` once built.
    graph = getattr(model, "_functional", None) if isinstance(model, keras.Sequential) else model
    if graph is None or not hasattr(graph, "_nodes_by_depth"):
        raise ValueError(
            "Attention weights can only be read from a functional (or built Sequential) model such as "
            f"those of keras_vit.ViT; subclassed models have no graph to replay. Received: model={type(model).__name__}"
        )
    return graph


def _contains_blocks(op):
    if isinstance(op, TransformerBlock):
        return True
    return _is_graph(op) and any(_contains_blocks(inner) for inner in _graph(op).operations)


def _replay(model, inputs, weights, grids):
    """Runs `model` on `inputs` node by node; appends block weights and "embedding" grid shapes."""
    graph = _graph(model)
    values = {id(ref): value for ref, value in zip(graph.inputs, inputs)}
    for depth in sorted(graph._nodes_by_depth, reverse=True):
        for node in graph._nodes_by_depth[depth]:
            op = node.operation
            if op is None or node.is_input:
                continue
            args, kwargs = node.arguments.fill_in(values)
            if isinstance(op, TransformerBlock):
                kwargs.update(training=False, return_attention_weights=True)
                outputs, block_weights = op(*args, **kwargs)
                weights.append(block_weights)
            elif _contains_blocks(op):  # a nested functional model that holds the encoder
                outputs = _replay(op, keras.tree.flatten(args), weights, grids)
            else:
                if "training" in getattr(op, "_call_context_args", ()):
                    kwargs["training"] = False
                outputs = op(*args, **kwargs)
            if op.name == "embedding":
                grids.append(tuple(int(d) for d in keras.ops.shape(keras.tree.flatten(outputs)[0])[1:3]))
            for ref, value in zip(node.outputs, keras.tree.flatten(outputs)):
                values[id(ref)] = value
    outputs = [values[id(ref)] for ref in graph.outputs]
    return outputs[0] if len(outputs) == 1 else outputs


def _runner(model):
    """`batch -> (weights, grids)`: eager replay, or on JAX one compiled replay per batch shape.

    Eager JAX compiles every op separately for each new shape; one `jax.jit` of the whole replay
    (variables passed in through a `StatelessScope`, as `Model.stateless_call` does) is several
    times faster to start and as fast to run.
    """
    if keras.backend.backend() != "jax":

        def run_eager(batch):
            weights, grids = [], []
            _replay(model, [keras.ops.convert_to_tensor(batch)], weights, grids)
            return weights, grids

        return run_eager

    import jax

    variables = model.variables
    grids_by_shape = {}  # static shapes, recorded while tracing

    @jax.jit
    def replay(values, batch):
        weights, grids = [], []
        with keras.StatelessScope(state_mapping=list(zip(variables, values))):
            _replay(model, [batch], weights, grids)
        grids_by_shape[batch.shape] = grids
        return weights

    def run_jit(batch):
        weights = replay([v.value for v in variables], batch)
        return weights, grids_by_shape[batch.shape]

    return run_jit


def iter_attention_weights(model, images, batch_size=32, progbar=None):
    """Yields `(weights, layout)` per batch: a list per block of NumPy `(batch, heads, T, T)` arrays.

    Streaming keeps memory flat (ViT-B/16 at 224 px stores 22 MB of attention per image).

    Args:
        model: a functional keras_vit model (any variant, hybrid, `include_top`, image size).
        images: `(n, height, width, channels)` already preprocessed (`keras_vit.preprocess_input`).
        batch_size: images per forward pass.
        progbar: optional `keras.utils.Progbar`, advanced by the number of images of each batch.
    """
    images = np.asarray(images)
    if images.ndim != 4:
        raise ValueError(f"`images` must be (n, height, width, channels). Received: images.shape={images.shape}")
    if batch_size < 1:
        raise ValueError(f"`batch_size` must be a positive integer. Received: batch_size={batch_size}")
    prefix = num_prefix_tokens(model)
    run = _runner(model)
    for start in range(0, len(images), batch_size):
        batch = images[start : start + batch_size]
        weights, grids = run(batch)
        if not weights:
            raise ValueError(
                "The model has no TransformerBlock, so it has no attention weights; pass a keras_vit ViT. "
                f"Received: model={model.name}"
            )
        if not grids:
            raise ValueError(
                "The model has no layer named 'embedding' (the patch embedding), so the token grid is unknown. "
                f"Received: model={model.name}"
            )
        gh, gw = grids[0]
        layout = TokenLayout(prefix, (gh, gw), (batch.shape[1] / gh, batch.shape[2] / gw))
        if progbar is not None:
            progbar.add(len(batch))
        yield [keras.ops.convert_to_numpy(w).astype("float32") for w in weights], layout


def attention_weights(model, images, batch_size=32):
    """Attention weights of every block of `model` on `images`.

    Args:
        model: a functional keras_vit model (ViT, hybrid, `include_top=False`, any image size).
        images: `(n, height, width, channels)` preprocessed images.
        batch_size: images per forward pass.

    Returns:
        A list with one NumPy array `(n, heads, T, T)` per block, `T = prefix + gh * gw`; the
        prefix (class) token comes first (see `num_prefix_tokens`).

    Example:
        >>> weights = attention_weights(model, keras_vit.preprocess_input(images))
        >>> weights[0].shape  # (n, heads, 1 + 196, 1 + 196) for ViT-B/16 at 224 px
    """
    batches = [weights for weights, _ in iter_attention_weights(model, images, batch_size)]
    return [np.concatenate(per_block, axis=0) for per_block in zip(*batches)]


def token_layout(model, images):
    """The `TokenLayout` of `model` on images of this size (runs the model on the first image)."""
    for _, layout in iter_attention_weights(model, np.asarray(images)[:1], batch_size=1):
        return layout
