"""BiT's ResNet (Kolesnikov et al. 2020, "Big Transfer", arXiv 1912.11370): the ViT paper's CNN baseline.

A pre-activation ResNet v2 (google-research/big_transfer `bit_jax/models.py`) with GroupNorm and weight-standardised
convolutions: the root `root_block` (StdConv 7×7/2 with BiT's fixed padding of 3, no norm, no activation) →
`root_pad` (zeros, 1 each side) → `root_pool` (max 3×3/2 VALID); stages `block{s}` of pre-activation bottleneck
units (`block1` stride 1, the others stride 2 on their first unit's 3×3), bottleneck width 64·w·2^(s-1); then
`norm_pre_head` (GroupNorm) → ReLU → `pool` (global average) → `pre_logits` (identity: the features) → `head`
(zero-initialised). Depths 50, 101, 152 are stages (3, 4, 6, 3), (3, 4, 23, 3), (3, 8, 36, 3); BiT released widths
×1 and ×3 for R50/R101 and ×2, ×4 for R152. Pixels in [-1, 1] (`preprocess_input` mode "tf", BiT's
`(x - 127.5) / 127.5`).
"""

import keras

from keras_vit.layers.preact_unit import BIT_EPSILON, BIT_GROUPS, BIT_STD_EPSILON, PreActBottleneck
from keras_vit.layers.std_conv import StdConv2D
from keras_vit.models import presets
from keras_vit.models.signature import KERAS_APPLICATIONS, derived_signature, public_builder, selected_signature
from keras_vit.models.vit import _image_hw, _inputs
from keras_vit.weights import load

DEPTHS = {50: (3, 4, 6, 3), 101: (3, 4, 23, 3), 152: (3, 8, 36, 3)}
POOLINGS = (None, "avg", "max")


def _check_blocks(blocks, width_factor, groups):
    if (
        not isinstance(blocks, (tuple, list))
        or not blocks
        or not all(isinstance(b, int) and not isinstance(b, bool) and b >= 1 for b in blocks)
    ):
        raise ValueError(
            f"`blocks` must be a non-empty tuple of positive ints, the units of each stage, e.g. {DEPTHS[50]} "
            f"(R50). Received: blocks={blocks!r}"
        )
    width = 64 * width_factor
    if width != int(width) or int(width) < groups or int(width) % groups:
        raise ValueError(
            f"`width_factor` × 64 must be a multiple of `groups` ({groups}, GroupNorm): e.g. 0.5, 1, 2, 3, 4. "
            f"Received: width_factor={width_factor!r}"
        )
    return tuple(blocks), int(width)


def _check_options(pooling, classifier_activation, dropout, drop_path):
    if pooling not in POOLINGS:
        raise ValueError(f"`pooling` must be one of {POOLINGS}. Received: pooling={pooling!r}")
    if classifier_activation is not None:
        keras.activations.get(classifier_activation)
    for arg, value in (("dropout", dropout), ("drop_path", drop_path)):
        if value:
            raise ValueError(
                f"BiT's ResNet has no `{arg}` (the released models train without it); pass 0. Received: {arg}={value!r}"
            )


def _checked_checkpoint(source, weights, wanted):
    """The checkpoint's description after checking it is a BiT file of the architecture `wanted`."""
    info = load.describe(source)
    if info.get("family") != "bit":
        raise ValueError(
            "This checkpoint is not a BiT ResNet (it has no `resnet/root_block/standardized_conv2d/kernel`); load a "
            "ViT checkpoint with `keras_vit.ViT` or its named variant. Received: weights="
            f"{weights!r}"
        )
    load.check_architecture(info, wanted)
    return info


def bit_root(x, width, kernel_size, strides, pool):
    """The root: StdConv (fixed padding) → zero padding 1 → max-pool 3×3/2 VALID (BiT's `RootBlock`)."""
    x = StdConv2D(
        width,
        kernel_size,
        strides=strides,
        epsilon=BIT_STD_EPSILON,
        epsilon_under_sqrt=True,
        padding="fixed",
        name="root_block",
    )(x)
    if pool:
        # Zeros, not -inf: BiT pads the (un-normalised, possibly negative) root output with 0 before the max.
        x = keras.layers.ZeroPadding2D(1, name="root_pad")(x)
        x = keras.layers.MaxPooling2D(3, strides=2, padding="valid", name="root_pool")(x)
    return x


def bit_stages(x, blocks, width, groups):
    """The stages of pre-activation bottleneck units, `block{s}_unit{uu}` (BiT's `block{s}/unit{uu}`)."""
    for s, units in enumerate(blocks, 1):
        for u in range(1, units + 1):
            strides = 2 if s > 1 and u == 1 else 1
            x = PreActBottleneck(width * 2 ** (s - 1), strides=strides, groups=groups, name=f"block{s}_unit{u:02d}")(x)
    return x


def build_bit(
    *,
    blocks=DEPTHS[50],
    width_factor=1,
    image_size=None,
    root_kernel_size=7,
    root_stride=2,
    root_pool=True,
    groups=BIT_GROUPS,
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=None,
    classifier_activation="softmax",
    dynamic_image_size=False,
    dropout=0.0,
    drop_path=0.0,
    name="bit",
    variant=None,
):
    """The one builder behind `BiTResNet` and the named BiT models; `variant` ("BiT-R50x1", ...) selects the preset
    table's checkpoints for `weights`. `dropout`/`drop_path` are accepted for the training entry and must be 0."""
    _check_options(pooling, classifier_activation, dropout, drop_path)
    blocks, width = _check_blocks(blocks, width_factor, groups)
    source = load.resolve(weights, presets.checkpoint_finder(variant))
    info = {}
    if source is not None:
        wanted = dict(blocks=blocks, width_factor=width_factor, root_kernel_size=root_kernel_size)
        info = _checked_checkpoint(source, weights, wanted)
    if classes is None:
        classes = info.get("classes") or 1000
    image_hw = _image_hw(image_size or info.get("image_size") or 224)
    inputs, _ = _inputs(image_hw, 3, input_tensor, input_shape, dynamic_image_size)

    x = bit_root(inputs, width, root_kernel_size, root_stride, root_pool)
    x = bit_stages(x, blocks, width, groups)
    x = keras.layers.GroupNormalization(groups, epsilon=BIT_EPSILON, name="norm_pre_head")(x)
    x = keras.layers.ReLU(name="relu_pre_head")(x)
    if include_top:
        x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
        x = keras.layers.Identity(name="pre_logits")(x)
        # float32 logits whatever the dtype policy (mixed precision); zeros as BiT's head.
        x = keras.layers.Dense(
            classes, activation=classifier_activation, kernel_initializer="zeros", name="head", dtype="float32"
        )(x)
    elif pooling == "avg":
        x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    elif pooling == "max":
        x = keras.layers.GlobalMaxPooling2D(name="pool")(x)

    model = keras.Model(inputs, x, name=name)
    if source is not None:
        load.load_into(model, source)
    return model


_BIT_DOC = """Instantiates a BiT ResNet v2 of any depth and width (Kolesnikov et al. 2020, arXiv 1912.11370).

A pre-activation bottleneck ResNet with GroupNorm (32 groups, epsilon 1e-5) and weight-standardised
convolutions (`(w - mean) / sqrt(var + 1e-10)`), as google-research/big_transfer; the ViT paper's CNN
baseline (arXiv 2010.11929, §4).

Args:
    blocks: bottleneck units per stage: (3, 4, 6, 3) R50, (3, 4, 23, 3) R101, (3, 8, 36, 3) R152, or fewer
        stages for small images; stage `s` has bottleneck width `64 × width_factor × 2^(s-1)`.
    width_factor: BiT's ×1 … ×4; `64 × width_factor` must be a multiple of `groups`.
    image_size: int or (height, width); default the checkpoint's resolution, else 224. Any size works (the
        head averages the feature map).
    root_kernel_size, root_stride, root_pool: the root convolution and whether the max-pool follows it
        (BiT: 7, 2, True; small images: e.g. 3, 1, False).
    groups: GroupNorm groups (BiT: 32).
    include_top, weights, input_tensor, input_shape, pooling, classes, classifier_activation:
        as in `keras.applications` (see `BiTResNet50x1`); `pooling` is None, "avg" or "max".
    dynamic_image_size: input `(None, None, 3)`.
    dropout, drop_path: must be 0 (BiT has neither); accepted so that training entries can pass them.
    name: model name.

Returns:
    A `keras.Model`.

Example:
    >>> model = keras_vit.BiTResNet(blocks=(1, 1, 1), width_factor=0.5, image_size=28, root_kernel_size=3,
    ...                             root_stride=1, root_pool=False, classes=10)
"""

BiTResNet = public_builder(
    build_bit,
    derived_signature(build_bit, {}, hidden=("variant",)),
    "BiTResNet",
    _BIT_DOC,
    __name__,
)


_DOC = """Instantiates {title}, BiT's ResNet v2 (Kolesnikov et al. 2020, arXiv 1912.11370).

    Args:
        include_top: whether to include the pooling, `pre_logits` and `head` layers.
        weights: None (random), a registered name ({names}), or a path to a BiT `.npz`, a
            `.weights.h5` or a `.keras` file.
        input_tensor: optional Keras tensor to use as the image input.
        input_shape: optional `(height, width, 3)`; overrides `image_size`.
        pooling: with `include_top=False`: None (the feature map after the pre-head GroupNorm and ReLU),
            "avg" or "max" (global pooling).
        classes: head size; default the checkpoint's classes with weights, else 1000. A value
            different from the checkpoint's re-initialises the head (with a warning).
        classifier_activation: activation of the head (None for logits).
        image_size: int or (height, width); default the checkpoint's resolution, else 224.
        name: model name.
        **kwargs: any other `BiTResNet` argument (`dynamic_image_size`, ...).

    Returns:
        A `keras.Model`.

    Example:
        >>> model = keras_vit.{fn}(weights=None, classes=10, image_size=64)
"""

APPLICATION_ARGUMENTS = (*KERAS_APPLICATIONS, "image_size", "name")


def bit_constructor(preset_name):
    """A keras.applications-style constructor for a named BiT model of `presets.MODELS`."""
    preset = presets.MODELS[preset_name]

    def build(name=None, **arguments):
        return build_bit(**preset.arguments, **arguments, name=name or preset_name, variant=preset.variant)

    signature = selected_signature(build_bit, APPLICATION_ARGUMENTS, defaults=dict(name=None))
    doc = _DOC.format(title=preset.title, fn=preset.constructor, names=presets.names_doc(preset.variant))
    constructor = public_builder(build, signature, preset.constructor, doc, __name__)
    constructor.variant = preset.variant
    return constructor


BiTResNet50x1 = bit_constructor("bit_r50x1")
BiTResNet50x2 = bit_constructor("bit_r50x2")
BiTResNet50x3 = bit_constructor("bit_r50x3")
BiTResNet50x4 = bit_constructor("bit_r50x4")
BiTResNet101x1 = bit_constructor("bit_r101x1")
BiTResNet101x2 = bit_constructor("bit_r101x2")
BiTResNet101x3 = bit_constructor("bit_r101x3")
BiTResNet101x4 = bit_constructor("bit_r101x4")
BiTResNet152x1 = bit_constructor("bit_r152x1")
BiTResNet152x2 = bit_constructor("bit_r152x2")
BiTResNet152x3 = bit_constructor("bit_r152x3")
BiTResNet152x4 = bit_constructor("bit_r152x4")
