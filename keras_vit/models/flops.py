"""The package's one FLOP counter: analytic multiply-accumulates (MACs) per image, layer by layer.

Counts the matrix products (convolutions, dense layers, attention's QKᵀ and AV), which are >99 % of
a ViT's arithmetic; normalisations, softmax and activations are left out, as in the paper's and
fvcore's figures. One MAC = 2 FLOPs. ViT-B/16 at 224: 17.6 GMACs (checked in the tests).
"""

import math

import keras

from keras_vit.layers import PatchEncoder, TransformerBlock
from keras_vit.layers.preact_unit import PreActBottleneck
from keras_vit.layers.resnet_unit import ResNetUnit
from keras_vit.layers.std_conv import StdConv2D

_COUNTERS = {}


def register(layer_class):
    """Decorator: `fn(layer, input_shape, output_shape) -> MACs per image` for a layer type."""

    def wrap(fn):
        _COUNTERS[layer_class] = fn
        return fn

    return wrap


def conv_macs(kernel_shape, output_shape):
    """A 2-D convolution: output positions × kernel size × input channels × output channels."""
    return math.prod(output_shape[1:3]) * math.prod(kernel_shape)


@register(PatchEncoder)
def _patch_encoder(layer, input_shape, output_shape):
    gh, gw = input_shape[1] // layer.patch_size, input_shape[2] // layer.patch_size
    return gh * gw * math.prod(layer.kernel.shape)


@register(keras.layers.Conv2D)
def _conv(layer, input_shape, output_shape):
    return conv_macs(layer.kernel.shape, output_shape)


@register(StdConv2D)
def _std_conv(layer, input_shape, output_shape):
    return conv_macs(layer.kernel.shape, output_shape)


@register(ResNetUnit)
@register(PreActBottleneck)  # BiT's pre-activation unit: the same convolutions, the stride also on conv2
def _bottleneck_unit(layer, input_shape, output_shape):
    # conv1 (1×1, stride 1) runs at the input resolution; conv2 (the stride), conv3 and conv_proj at the output's.
    macs = conv_macs(layer.conv1.kernel.shape, input_shape)
    for conv in (layer.conv2, layer.conv3, layer.conv_proj):
        if conv is not None:
            macs += conv_macs(conv.kernel.shape, output_shape)
    return macs


@register(keras.layers.Dense)
def _dense(layer, input_shape, output_shape):
    positions = math.prod(input_shape[1:-1]) if len(input_shape) > 2 else 1
    return positions * input_shape[-1] * layer.units


@register(TransformerBlock)
def _block(layer, input_shape, output_shape):
    tokens, hidden = input_shape[1], input_shape[2]
    projections = 4 * tokens * hidden * hidden  # q, k, v, out
    attention = 2 * tokens * tokens * hidden  # QKᵀ and AV over all heads
    if layer.relative_positions:
        attention += tokens * tokens * hidden  # each query against its offsets' embeddings
    mlp = 2 * tokens * hidden * layer.mlp_dim
    return projections + attention + mlp


def _shape(tensor):
    return tuple(tensor.shape)


def count_macs(model, by_layer=False):
    """MACs per image of a built functional model with a fixed input size.

    Args:
        model: a keras_vit model (or any functional model made of counted layer types).
        by_layer: also return `{layer name: MACs}`.
    """
    if any(d is None for d in model.input_shape[1:]):
        raise ValueError(
            "Counting needs a fixed image size; build the model with dynamic_image_size=False. "
            f"Received: input_shape={model.input_shape}"
        )
    per_layer = {}
    for layer in model.layers:
        counter = next((fn for cls, fn in _COUNTERS.items() if isinstance(layer, cls)), None)
        if counter is None or not layer.weights:
            continue
        input_shape = _shape(layer.input[0] if isinstance(layer.input, (list, tuple)) else layer.input)
        per_layer[layer.name] = counter(layer, input_shape, _shape(layer.output))
    total = sum(per_layer.values())
    return (total, per_layer) if by_layer else total


def count_flops(model):
    """FLOPs per image (2 × MACs)."""
    return 2 * count_macs(model)
