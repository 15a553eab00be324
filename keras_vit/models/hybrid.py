"""Hybrid models: a ResNet (BiT-style, GroupNorm + weight-standardised convs) feeds ViT its patches.

The official hybrid (google-research/vision_transformer `models_vit.py` root + `models_resnet.py`): the
root `conv_root` (StdConv 7×7 stride 2, 64·width) → `gn_root` → ReLU → max-pool 3×3 stride 2 SAME, then
bottleneck stages `block1` (stride 1) and `block{s}` (stride 2) of width 64·width·2^(s-1). The ViT patch
embedding runs on the resulting feature map; the "/16" or "/32" of the name is the effective patch in
pixels (ResNet stride × patch size).
"""

import keras

from keras_vit.layers.resnet_unit import ResNetUnit, resnet_stride
from keras_vit.layers.std_conv import StdConv2D
from keras_vit.models import presets
from keras_vit.models.configs import SIZES, WIDTHS
from keras_vit.models.signature import derived_signature, public_builder
from keras_vit.models.vit import FAMILY_ARGUMENTS, VIT_DEFAULTS, build_vit, preset_constructor
from keras_vit.weights import load

_HYBRID_PRESETS = {preset.variant: preset for preset in presets.named("hybrid").values()}
_WIDTH_NAMES = {sizes: width for width, sizes in WIDTHS.items()}

# variant: (ViT width name, patch size on the feature map, ResNet units per stage), from the preset table.
HYBRIDS = {
    variant: (
        _WIDTH_NAMES[tuple(preset.arguments[k] for k in SIZES)],
        preset.arguments["patch_size"],
        preset.arguments["resnet_blocks"],
    )
    for variant, preset in _HYBRID_PRESETS.items()
}


def decode_hybrid(variant):
    """`"R50+B/16"` → the `ViTHybrid` sizes (hidden_size, depth, num_heads, mlp_dim, patch_size, resnet_blocks)."""
    if variant not in _HYBRID_PRESETS:
        raise ValueError(f"Unknown hybrid variant; known: {sorted(HYBRIDS)}. Received: variant={variant!r}")
    return dict(_HYBRID_PRESETS[variant].arguments)


def hybrid_variant_name(hidden_size, depth, num_heads, mlp_dim, patch_size, resnet_blocks, resnet_width=1):
    """Inverse of `decode_hybrid`, or None for a custom hybrid."""
    if resnet_width != 1:
        return None
    sizes = dict(
        hidden_size=hidden_size,
        depth=depth,
        num_heads=num_heads,
        mlp_dim=mlp_dim,
        patch_size=patch_size,
        resnet_blocks=tuple(resnet_blocks),
    )
    return next((v for v in HYBRIDS if decode_hybrid(v) == sizes), None)


def _check_resnet(resnet_blocks, resnet_width):
    if not isinstance(resnet_blocks, (tuple, list)) or not all(
        isinstance(b, int) and not isinstance(b, bool) and b >= 1 for b in resnet_blocks
    ):
        raise ValueError(
            "`resnet_blocks` must be a tuple of positive ints, the units of each stage, e.g. (3, 4, 9); "
            f"() for the root alone. Received: resnet_blocks={resnet_blocks!r}"
        )
    width = 64 * resnet_width
    if width != int(width) or int(width) < 32 or int(width) % 32:
        raise ValueError(
            "`resnet_width` × 64 must be a multiple of 32 (GroupNorm has 32 groups): use 0.5, 1, 1.5, 2, ... "
            f"Received: resnet_width={resnet_width!r}"
        )
    return tuple(resnet_blocks), int(width)


def resnet_stem(resnet_blocks, width):
    """`stem(inputs) -> feature map` for `build_vit`: the root and the bottleneck stages, checkpoint-named."""

    def stem(x):
        x = StdConv2D(width, 7, strides=2, name="conv_root")(x)
        x = keras.layers.GroupNormalization(32, epsilon=1e-6, name="gn_root")(x)
        x = keras.layers.ReLU(name="root_relu")(x)
        x = keras.layers.MaxPooling2D(3, strides=2, padding="same", name="root_pool")(x)
        for s, units in enumerate(resnet_blocks, 1):
            for u in range(1, units + 1):
                strides = 2 if s > 1 and u == 1 else 1
                # Keras names cannot hold "/": block{s}_unit{u} is the checkpoint's block{s}/unit{u}.
                x = ResNetUnit(width * 2 ** (s - 1), strides=strides, name=f"block{s}_unit{u}")(x)
        return x

    return stem


def build_hybrid(*, resnet_blocks, resnet_width=1, weights=None, variant=None, **kwargs):
    """`build_vit` with the ResNet stem: checks a checkpoint against the whole architecture, then builds.

    `kwargs` are `build_vit`'s (sizes, head, pooling, dropout, ...); `variant` ("R50+B/16", ...) selects
    the preset table's checkpoints for `weights` (derived from the sizes when None).
    """
    resnet_blocks, width = _check_resnet(resnet_blocks, resnet_width)
    vit_sizes = {k: kwargs[k] for k in ("hidden_size", "depth", "num_heads", "mlp_dim", "patch_size")}
    if variant is None:
        variant = hybrid_variant_name(**vit_sizes, resnet_blocks=resnet_blocks, resnet_width=resnet_width)
    source = load.resolve(weights, presets.checkpoint_finder(variant))
    if source is not None:
        info = load.describe(source)
        if info and "resnet_blocks" not in info:
            raise ValueError(
                "This checkpoint is a plain ViT (it has no `conv_root/kernel`); load it with `keras_vit.ViT` or a "
                f"ViT variant, not a hybrid. Received: weights={weights!r}"
            )
        wanted = dict(
            vit_sizes,
            classifier=kwargs.get("classifier", "token"),
            resnet_blocks=resnet_blocks,
            resnet_width=resnet_width,
        )
        load.check_architecture(info, wanted)
    return build_vit(
        **kwargs,
        weights=source,
        variant=variant,
        stem=resnet_stem(resnet_blocks, width),
        stem_stride=resnet_stride(resnet_blocks),
    )


HYBRID_DEFAULTS = dict(VIT_DEFAULTS, patch_size=1, name="vit_hybrid")
RESNET_DEFAULTS = dict(resnet_blocks=(3, 4, 9), resnet_width=1)

_HYBRID_DOC = """Instantiates a hybrid ResNet + Vision Transformer of any size (arXiv 2010.11929, §3.1).

The ResNet (root: StdConv 7×7/2, GroupNorm, ReLU, max-pool 3×3/2; then bottleneck stages, the first
with stride 1 and the others with stride 2) turns the image into a feature map whose `patch_size`
patches are the tokens. The effective patch in pixels is `patch_size × 4 × 2^(len(resnet_blocks) - 1)`.
The defaults are R50+ViT-B/16.

Args:
    resnet_blocks: bottleneck units per stage, e.g. (3, 4, 9) (R50+B/16), (2, 2, 2, 2) (R26), () for
        the root alone.
    resnet_width: width factor; the root has `64 × resnet_width` channels and must be a multiple of 32.
    image_size, patch_size, hidden_size, depth, num_heads, mlp_dim, classifier, representation_size,
        posemb, posemb_interpolation, dropout, attention_dropout, drop_path, dynamic_image_size,
        attention_implementation, gelu, layer_norm_epsilon, name: as in `ViT`; `image_size` must be
        divisible by the effective patch.
    include_top, weights, input_tensor, input_shape, pooling, classes, classifier_activation:
        as in `keras.applications` (see `ViTR50B16`).

Returns:
    A `keras.Model`.

Example:
    >>> model = keras_vit.ViTHybrid(image_size=32, patch_size=1, hidden_size=64, depth=2, num_heads=4,
    ...                             mlp_dim=128, resnet_blocks=(1, 1), resnet_width=0.5, classes=10)
"""

ViTHybrid = public_builder(
    build_hybrid,
    derived_signature(
        build_vit,
        HYBRID_DEFAULTS,
        hidden=(*FAMILY_ARGUMENTS, "register_tokens"),
        extra=RESNET_DEFAULTS,
        after="mlp_dim",
    ),
    "ViTHybrid",
    _HYBRID_DOC,
    __name__,
)


ViTR50B16 = preset_constructor("vit_r50_b16", build_hybrid)
ViTR50L32 = preset_constructor("vit_r50_l32", build_hybrid)
ViTR26S32 = preset_constructor("vit_r26_s32", build_hybrid)
ViTR26B32 = preset_constructor("vit_r26_b32", build_hybrid)
ViTRTi16 = preset_constructor("vit_rti16", build_hybrid)
