"""The functional ViT builder and the named variants of the paper (arXiv 2010.11929)."""

import keras

from keras_vit.layers import AddPositionEmbs, ClassifierHead, PatchEncoder, PrefixTokens, TokenPooling, TransformerBlock
from keras_vit.layers.class_token import prefix_token_layer
from keras_vit.layers.pixel_normalization import PixelNormalization, is_identity, pixel_statistics
from keras_vit.layers.posemb_resample import INTERPOLATIONS
from keras_vit.models import presets
from keras_vit.models.configs import variant_name
from keras_vit.models.signature import KERAS_APPLICATIONS, derived_signature, public_builder, selected_signature
from keras_vit.weights import load

# classifier → the prefix tokens it needs (`PrefixTokens`' `tokens`) and the pooling of the head.
CLASSIFIERS = {"token": {"cls": 1}, "gap": {}}
HEAD_POOLING = {"token": "token", "gap": "avg"}
POOLINGS = (None, "token", "avg")
POSEMBS = ("learned", "learned_2d", "sincos2d", "relative", "none")


def _check_choice(name, value, choices):
    if value not in choices:
        raise ValueError(f"`{name}` must be one of {choices}. Received: {name}={value!r}")


def _image_hw(image_size):
    if isinstance(image_size, int):
        return (image_size, image_size)
    if isinstance(image_size, (tuple, list)) and len(image_size) == 2 and all(isinstance(s, int) for s in image_size):
        return tuple(image_size)
    raise ValueError(f"`image_size` must be an int or (height, width). Received: image_size={image_size!r}")


def _inputs(image_hw, channels, input_tensor, input_shape, dynamic_image_size):
    if input_shape is not None:
        if len(input_shape) != 3:
            raise ValueError(f"`input_shape` must be (height, width, channels). Received: input_shape={input_shape}")
        channels = input_shape[-1]
        if not dynamic_image_size and tuple(input_shape[:2]) != image_hw:
            if None in input_shape[:2]:
                raise ValueError(
                    "A model with unknown height or width needs `dynamic_image_size=True`. "
                    f"Received: input_shape={input_shape}"
                )
            image_hw = tuple(input_shape[:2])
    shape = (None, None, channels) if dynamic_image_size else (*image_hw, channels)
    if input_tensor is None:
        return keras.Input(shape=shape, name="image"), image_hw
    if not keras.backend.is_keras_tensor(input_tensor):
        return keras.Input(tensor=input_tensor, shape=shape, name="image"), image_hw
    return input_tensor, image_hw


def _numerics(source, gelu, layer_norm_epsilon):
    """The GELU form and LayerNorm epsilon: as given, else the checkpoint row's, else the file's (a PyTorch format
    says exact GELU), else the official ones."""
    checkpoint = source.checkpoint if source is not None else None
    found = load.describe(source) if source is not None and checkpoint is None else {}
    if gelu is None:
        gelu = checkpoint.gelu if checkpoint is not None else found.get("gelu", "tanh")
    if layer_norm_epsilon is None:
        layer_norm_epsilon = (
            checkpoint.layer_norm_epsilon if checkpoint is not None else found.get("layer_norm_epsilon", 1e-6)
        )
    return gelu, layer_norm_epsilon


def _pixels(source, pixels, default_pixels):
    """The pixel statistics: as given, else the checkpoint row's, else the file's (a transformers
    `preprocessor_config.json`), else the family's."""
    if pixels is None and source is not None:
        checkpoint = source.checkpoint
        pixels = (checkpoint.pixels or "inception") if checkpoint is not None else load.describe(source).get("pixels")
    pixels = default_pixels if pixels is None else pixels
    pixel_statistics(pixels)  # a clear error for a bad value
    return pixels


def _check_options(
    *, classifier, pooling, posemb, posemb_interpolation, dynamic_image_size, register_tokens, classifier_activation
):
    """A clear error for an option `build_vit` does not know, or two that contradict each other."""
    _check_choice("classifier", classifier, tuple(CLASSIFIERS))
    _check_choice("pooling", pooling, POOLINGS)
    _check_choice("posemb", posemb, POSEMBS)
    _check_choice("posemb_interpolation", posemb_interpolation, INTERPOLATIONS)
    if pooling == "token" and classifier == "gap":
        raise ValueError(
            "A classifier='gap' model has no class token to pool; use pooling='avg'. Received: pooling='token'"
        )
    if posemb == "relative" and dynamic_image_size:
        raise ValueError(
            "Relative position attention is learned for one token count; build the model for one image size "
            "(dynamic_image_size=False). Received: posemb='relative', dynamic_image_size=True"
        )
    if not isinstance(register_tokens, int) or register_tokens < 0:
        raise ValueError(
            f"`register_tokens` must be a number of tokens >= 0. Received: register_tokens={register_tokens!r}"
        )
    if classifier_activation is not None:
        keras.activations.get(classifier_activation)


def _check_sizes(sizes, classes, layer_norm_epsilon, rates):
    """A clear error for a size that is not a positive whole number, an epsilon <= 0 or a rate outside [0, 1)."""
    for name, value in {**sizes, "classes": classes}.items():
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise ValueError(f"`{name}` must be a whole number >= 1. Received: {name}={value!r}")
    if layer_norm_epsilon is not None and not layer_norm_epsilon > 0:
        raise ValueError(f"`layer_norm_epsilon` must be > 0. Received: layer_norm_epsilon={layer_norm_epsilon!r}")
    for name, value in rates.items():
        if not 0 <= value < 1:
            raise ValueError(f"`{name}` must be a rate in [0, 1). Received: {name}={value!r}")


def _check_input_size(image_size, input_shape, dynamic_image_size):
    """`image_size` and `input_shape` may both be given only when they agree."""
    if image_size is None or input_shape is None or dynamic_image_size or len(input_shape) != 3:
        return
    if None in tuple(input_shape[:2]):
        return  # `_inputs` says that this needs dynamic_image_size=True
    if tuple(input_shape[:2]) != _image_hw(image_size):
        raise ValueError(
            "`image_size` and `input_shape` name different sizes; give one of them (`input_shape` alone sets the "
            f"size, as in keras.applications). Received: image_size={image_size!r}, input_shape={input_shape!r}"
        )


def _checked_checkpoint(source, wanted):
    """The architecture a checkpoint describes ({} for none), after checking it against the one `wanted`."""
    info = load.describe(source) if source is not None else {}
    if info.get("family") == "bit":
        raise ValueError(
            "This checkpoint is a BiT ResNet (`resnet/root_block/...`), not a ViT; load it with its BiT constructor, "
            f"e.g. keras_vit.BiTResNet50x1(weights=...). Received: blocks={info['blocks']}, "
            f"width_factor={info['width_factor']}"
        )
    if info:
        load.check_architecture(info, wanted)
    return info


def build_encoder(
    inputs,
    grid_size,
    *,
    patch_size,
    hidden_size,
    depth,
    num_heads,
    mlp_dim,
    prefix_tokens=None,
    register_tokens=0,
    posemb="learned",
    posemb_interpolation="linear",
    dropout=0.0,
    attention_dropout=0.0,
    drop_path=0.0,
    attention_implementation="auto",
    gelu="tanh",
    layer_norm_epsilon=1e-6,
    stem=None,
    layer_scale=None,
    final_norm=True,
):
    """The encoder (Eq. 1–4 up to `encoder_norm`) as layers of the caller's functional graph; no head, no weights.

    Args:
        inputs: the image tensor `(batch, H, W, C)`.
        grid_size: `(gh, gw)`, the patch grid the position embedding is learned for.
        prefix_tokens: `{variable name: count}` of the learned tokens before the patches, which get position
            embedding rows (`{"cls": 1}` the class token, layer `cls`); None or {} for none.
        register_tokens: learned tokens (layer `registers`, variable `reg`) after the prefix tokens, without
            position embedding.
        stem: `stem(inputs) -> feature map` before the patch embedding (hybrids), or None.
        layer_scale: None, or the initial value of a `LayerScale` on each block's branches (DeiT III).
        final_norm: False leaves `encoder_norm` out (timm's GAP models normalise after the pooling: `fc_norm`).
        Others: as `ViT`.

    Returns:
        `(batch, prefix + registers + patches, hidden)`, the output of `encoder_norm`.
    """
    prefix_tokens = dict(prefix_tokens or {})
    embedded = sum(prefix_tokens.values())
    x = inputs if stem is None else stem(inputs)
    grid = PatchEncoder(patch_size, hidden_size, flatten=False, name="embedding")(x)
    x = keras.layers.Reshape((-1, hidden_size), name="tokens")(grid)
    if prefix_tokens:
        x = prefix_token_layer(prefix_tokens, name="cls")(x)
    if posemb not in ("none", "relative"):
        x = AddPositionEmbs(
            grid_size, embedded, kind=posemb, interpolation=posemb_interpolation, name="posembed_input"
        )(x, grid=grid)
    if register_tokens:
        x = PrefixTokens({"reg": register_tokens}, position=embedded, name="registers")(x)
    x = keras.layers.Dropout(dropout, name="posemb_dropout")(x)
    relative = embedded + register_tokens + grid_size[0] * grid_size[1] if posemb == "relative" else 0
    for i in range(depth):
        x = TransformerBlock(
            num_heads,
            mlp_dim,
            dropout=dropout,
            attention_dropout=attention_dropout,
            drop_path=drop_path * i / max(depth - 1, 1),
            attention_implementation=attention_implementation,
            relative_positions=relative,
            gelu=gelu,
            layer_norm_epsilon=layer_norm_epsilon,
            layer_scale=layer_scale,
            name=f"encoderblock_{i}",
        )(x)
    if not final_norm:
        return x
    return keras.layers.LayerNormalization(epsilon=layer_norm_epsilon, name="encoder_norm")(x)


def build_head(
    encoded, *, pooling="token", num_prefix_tokens=1, representation_size=None, classes=1000, classifier_activation=None
):
    """The classification head on the encoder's output: `pool`, `pre_logits` (Dense + tanh, or identity), `head`.

    Args:
        encoded: `(batch, tokens, hidden)`.
        pooling: "token" (the class token, index 0) or "avg" (mean of the patch tokens).
        num_prefix_tokens: the tokens before the patches (class and register tokens), left out of "avg".
        representation_size: width of `pre_logits`, or None for an identity.
        classes, classifier_activation: the `head` Dense layer's units and activation.

    Returns:
        `(batch, classes)` in float32.
    """
    x = TokenPooling(pooling, num_prefix_tokens, name="pool")(encoded)
    if representation_size:
        x = keras.layers.Dense(representation_size, activation="tanh", name="pre_logits")(x)
    else:
        x = keras.layers.Identity(name="pre_logits")(x)
    # float32 logits whatever the dtype policy (mixed precision).
    return ClassifierHead(
        classes, activation=classifier_activation, kernel_initializer="zeros", name="head", dtype="float32"
    )(x)


def build_vit(
    *,
    image_size=None,
    patch_size,
    hidden_size,
    depth,
    num_heads,
    mlp_dim,
    classifier="token",
    representation_size=None,
    posemb="learned",
    posemb_interpolation="linear",
    dropout=0.0,
    attention_dropout=0.0,
    drop_path=0.0,
    dynamic_image_size=False,
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=None,
    classifier_activation="softmax",
    attention_implementation="auto",
    gelu=None,
    layer_norm_epsilon=None,
    name="vit",
    variant=None,
    stem=None,
    stem_stride=1,
    register_tokens=0,
    prefix_tokens=None,
    head=None,
    layer_scale=None,
    final_norm=True,
    pixels=None,
    default_pixels="inception",
):
    """The one builder behind `ViT`, the named variants and the hybrids.

    `stem(inputs) -> feature map` (hybrids) runs before the patch embedding and downsamples by
    `stem_stride`. `variant` ("B/16", "R50+B/16", ...) selects the preset table's checkpoints for `weights`.
    `gelu` and `layer_norm_epsilon` None: the checkpoint row's numerics, else the official "tanh" and 1e-6.
    The family's variations are arguments: `prefix_tokens` (`{name: count}`, default the `classifier`'s:
    `{"cls": 1}` or none; DeiT's would be `{"cls": 1, "dist": 1}`), `register_tokens` (k register tokens after
    them, with no position embedding, left out of the pooling, as timm's `reg_tokens`) and `head`
    (`head(encoded, *, pooling, num_prefix_tokens, representation_size, classes, classifier_activation)`,
    default `build_head`), `layer_scale` and `final_norm` (as `build_encoder`'s).
    `pixels`: the pixel statistics the weights expect ("inception", "imagenet" or a `(mean, std)` pair); None: the
    checkpoint's, else `default_pixels` (the family's). The model always takes `preprocess_input`'s [-1, 1]
    pixels; other statistics put a `PixelNormalization` first, which maps them.
    """
    _check_options(
        classifier=classifier,
        pooling=pooling,
        posemb=posemb,
        posemb_interpolation=posemb_interpolation,
        dynamic_image_size=dynamic_image_size,
        register_tokens=register_tokens,
        classifier_activation=classifier_activation,
    )
    _check_sizes(
        dict(patch_size=patch_size, hidden_size=hidden_size, depth=depth, num_heads=num_heads, mlp_dim=mlp_dim),
        classes,
        layer_norm_epsilon,
        dict(dropout=dropout, attention_dropout=attention_dropout, drop_path=drop_path),
    )
    _check_input_size(image_size, input_shape, dynamic_image_size)
    if variant is None:
        variant = variant_name(hidden_size, depth, num_heads, mlp_dim, patch_size)

    source = load.resolve(weights, presets.checkpoint_finder(variant))
    gelu, layer_norm_epsilon = _numerics(source, gelu, layer_norm_epsilon)
    sizes = dict(patch_size=patch_size, hidden_size=hidden_size, depth=depth, num_heads=num_heads, mlp_dim=mlp_dim)
    info = _checked_checkpoint(
        source,
        dict(
            sizes,
            classifier=classifier,
            posemb=posemb,
            representation_size=representation_size,
            register_tokens=register_tokens,
        ),
    )
    representation_size = info.get("representation_size", representation_size)
    if classes is None:
        classes = info.get("classes") or 1000
    if image_size is None:
        image_size = info.get("image_size") or 224
    image_hw = _image_hw(image_size)
    stride = stem_stride * patch_size
    if image_hw[0] % stride or image_hw[1] % stride:
        raise ValueError(
            f"The image size must be divisible by the patch size{' × the stem stride' if stem_stride > 1 else ''} "
            f"({stride}); try {max(stride, image_hw[0] // stride * stride)}. Received: image_size={image_size!r}"
        )

    pixels = _pixels(source, pixels, default_pixels)
    inputs, image_hw = _inputs(image_hw, 3, input_tensor, input_shape, dynamic_image_size)
    if source is not None and inputs.shape[-1] != 3:
        raise ValueError(
            "Pretrained weights expect 3-channel (RGB) images; convert grey images with "
            f"`keras.ops.repeat(x, 3, axis=-1)` or use weights=None. Received: input_shape={inputs.shape[1:]}"
        )
    grid_size = (image_hw[0] // stride, image_hw[1] // stride)
    if prefix_tokens is None:
        prefix_tokens = CLASSIFIERS[classifier]
    encoder = dict(
        sizes,
        prefix_tokens=prefix_tokens,
        register_tokens=register_tokens,
        posemb=posemb,
        posemb_interpolation=posemb_interpolation,
        dropout=dropout,
        attention_dropout=attention_dropout,
        drop_path=drop_path,
        attention_implementation=attention_implementation,
        gelu=gelu,
        layer_norm_epsilon=layer_norm_epsilon,
        stem=stem,
        layer_scale=layer_scale,
        final_norm=final_norm,
    )
    x = inputs if is_identity(pixels) else PixelNormalization(*pixel_statistics(pixels), name="pixels")(inputs)
    x = build_encoder(x, grid_size, **encoder)
    num_prefix_tokens = sum(prefix_tokens.values()) + register_tokens
    if include_top:
        x = (head or build_head)(
            x,
            pooling=HEAD_POOLING[classifier],
            num_prefix_tokens=num_prefix_tokens,
            representation_size=representation_size,
            classes=classes,
            classifier_activation=classifier_activation,
        )
    elif pooling is not None:
        x = TokenPooling(pooling, num_prefix_tokens, name="pool")(x)

    model = keras.Model(inputs, x, name=name)
    if source is not None:
        load.load_into(model, source, interpolation=posemb_interpolation)
        _name_classes(model, info)
    return model


def _name_classes(model, info):
    """The checkpoint's class names (a transformers `id2label`) on the `head`, where it kept the checkpoint's."""
    names = info.get("class_names")
    head = next((layer for layer in model.layers if layer.name == "head"), None)
    if names and head is not None and head.units == info.get("classes"):
        head.class_names = names


_DOC = """Instantiates the {variant} Vision Transformer (arXiv 2010.11929).

    Args:
        include_top: whether to include the pooling, `pre_logits` and `head` layers.
        weights: None (random), a registered name ({names}), a path to a checkpoint (official `.npz`,
            timm `.safetensors`/`.pth`, a transformers `save_pretrained` directory), a Hugging Face Hub name
            (`"hf://google/vit-base-patch16-224"`, optionally `@revision`), or a `.weights.h5` / `.keras` file.
        input_tensor: optional Keras tensor to use as the image input.
        input_shape: optional `(height, width, 3)`; overrides `image_size`.
        pooling: with `include_top=False`: None (the token sequence `(batch, tokens, hidden)`),
            "token" (class token) or "avg" (mean of the patch tokens).
        classes: head size; default the checkpoint's classes with weights, else 1000. A value
            different from the checkpoint's re-initialises the head (with a warning).
        classifier_activation: activation of the head (None for logits).
        image_size: int or (height, width); default the checkpoint's resolution, else 224. Loading
            at another size resizes the position embedding.
        dropout: dropout rate (after the position embedding and every dense layer but q, k, v).
        name: model name.
        **kwargs: any other `ViT` argument (`attention_dropout`, `drop_path`, `dynamic_image_size`,
            `posemb`, `posemb_interpolation`, `representation_size`, `attention_implementation`, `gelu`,
            `layer_norm_epsilon`, `register_tokens`).

    Returns:
        A `keras.Model`.

    Example:
        >>> model = keras_vit.{fn}(weights=None, classes=10, image_size=64)
"""


# A named model's constructor takes keras.applications' arguments, in their order, then these two; `**kwargs`
# passes any other `ViT` argument on.
APPLICATION_ARGUMENTS = (*KERAS_APPLICATIONS, "image_size", "dropout", "name")


def preset_constructor(preset_name, builder=None):
    """A keras.applications-style constructor for a named model of `presets.MODELS`; hybrids pass their builder."""
    preset = presets.MODELS[preset_name]
    builder = build_vit if builder is None else builder

    def build(name=None, **arguments):
        return builder(**preset.arguments, **arguments, name=name or preset_name, variant=preset.variant)

    signature = selected_signature(build_vit, APPLICATION_ARGUMENTS, defaults=dict(name=None))
    doc = _DOC.format(variant=preset.title, fn=preset.constructor, names=presets.names_doc(preset.variant))
    constructor = public_builder(build, signature, preset.constructor, doc, __name__)
    constructor.variant = preset.variant
    return constructor


# The builder's arguments that only the family builders set.
FAMILY_ARGUMENTS = ("variant", "stem", "stem_stride", "prefix_tokens", "head", "layer_scale", "final_norm")
VIT_DEFAULTS = dict(image_size=None, patch_size=16, hidden_size=768, depth=12, num_heads=12, mlp_dim=3072)

_VIT_DOC = """Instantiates a Vision Transformer of any size (arXiv 2010.11929).

Args:
    image_size: int or (height, width): the resolution the position embedding is built for (default: the
        checkpoint's with `weights`, else 224; `input_shape` alone also sets it).
    patch_size: side of the square patches.
    hidden_size, depth, num_heads, mlp_dim: width, number of blocks, heads, MLP width.
    classifier: "token" (class token) or "gap" (global average of the patch tokens).
    representation_size: width of a `pre_logits` Dense + tanh before the head (the original
        ImageNet-21k checkpoints); None for none.
    posemb: "learned" (1-D, the paper's default), "learned_2d", "sincos2d", "relative" (1-D relative
        position attention in every block, paper Appendix D.4; fixed image size) or "none".
    posemb_interpolation: "linear" (official, corner-aligned) or "bicubic" (timm) for resizing it.
    dropout, attention_dropout, drop_path: regularisation rates (drop path grows linearly with depth).
    dynamic_image_size: input `(None, None, 3)`; the position embedding is resized in the graph to
        the incoming patch grid.
    include_top, weights, input_tensor, input_shape, pooling, classes, classifier_activation:
        as in `keras.applications` (see `ViTB16`).
    attention_implementation: "auto", "einsum" or "fused".
    gelu: "tanh" (the official JAX models) or "exact" (erf; PyTorch-trained models); None: the registered
        checkpoint's form, else "tanh".
    layer_norm_epsilon: epsilon of every LayerNorm; None: the registered checkpoint's, else 1e-6.
    register_tokens: learned register tokens after the class token (Darcet et al. 2023, arXiv 2309.16588;
        timm's `reg_tokens`): no position embedding, left out of the pooling; 0 for none (the paper).
    name: model name.

Returns:
    A `keras.Model`.

Example:
    >>> model = keras_vit.ViT(image_size=28, patch_size=4, hidden_size=64, depth=6, num_heads=4,
    ...                       mlp_dim=128, classes=10)
"""

ViT = public_builder(
    build_vit,
    derived_signature(build_vit, VIT_DEFAULTS, hidden=FAMILY_ARGUMENTS),
    "ViT",
    _VIT_DOC,
    __name__,
)


ViTTi16 = preset_constructor("vit_ti16")
ViTS16 = preset_constructor("vit_s16")
ViTS32 = preset_constructor("vit_s32")
ViTB8 = preset_constructor("vit_b8")
ViTB16 = preset_constructor("vit_b16")
ViTB32 = preset_constructor("vit_b32")
ViTL16 = preset_constructor("vit_l16")
ViTL32 = preset_constructor("vit_l32")
ViTH14 = preset_constructor("vit_h14")
