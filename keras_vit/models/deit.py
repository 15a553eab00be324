"""DeiT (Touvron et al. 2020, arXiv 2012.12877) and DeiT III (Touvron et al. 2022, arXiv 2204.07118): ViTs trained
in PyTorch, with their variations as `build_vit` arguments.

- DeiT: the paper's ViT (exact GELU, LayerNorm epsilon 1e-6, as every PyTorch-trained checkpoint here).
- DeiT distilled: a second prefix token `dist` after the class token, with a position-embedding row, and a second
  head `head_dist` on it; the logits are the mean of the two heads' (timm's `VisionTransformerDistilled` at
  inference; distillation training reads the two apart). `include_top=False` with `pooling="token"` gives the
  class token.
- DeiT III: LayerScale on each block's branches (`layer_scale`, initialised at 1e-6), no position embedding for
  the class token (timm's `no_embed_class`: its row is zero here, which adds nothing).
- timm's GAP models (`fc_norm`): no `encoder_norm` before the average pooling, a LayerNorm `fc_norm` after it.

Names are timm's (`deit_small_distilled_patch16_224`, `deit3_base_patch16_384`) through `create_model`; the
checkpoints are Facebook's files that timm registers (`fb_in1k`, `fb_in22k_ft_in1k`). A position embedding is
resized as timm does when it loads one at another size (`posemb_interpolation="bicubic_antialias"`).
"""

import keras

from keras_vit.layers import ClassifierHead, TokenPooling
from keras_vit.models.vit import build_vit, preset_constructor

DISTILLED_TOKENS = {"cls": 1, "dist": 1}


def _classifier(x, classes, name):
    # float32 logits whatever the dtype policy (mixed precision); zeros as `build_head`'s head.
    # A ClassifierHead, as `build_head`'s: it keeps the class names a checkpoint gives (`head`'s are read).
    return ClassifierHead(classes, kernel_initializer="zeros", name=name, dtype="float32")(x)


def _activation(logits, classifier_activation):
    if classifier_activation is None:
        return logits
    return keras.layers.Activation(classifier_activation, name="predictions", dtype="float32")(logits)


def distilled_head(
    encoded, *, pooling="token", num_prefix_tokens=2, representation_size=None, classes=1000, classifier_activation=None
):
    """DeiT's two heads: `head` on the class token (index 0), `head_dist` on the distillation token (index 1), and
    the mean of their logits, then `classifier_activation` (timm's `VisionTransformerDistilled.forward_head`)."""
    if representation_size:
        raise ValueError(
            f"A distilled DeiT has no pre_logits layer; build it with representation_size=None. Received: "
            f"representation_size={representation_size}"
        )
    token = TokenPooling("token", num_prefix_tokens, index=0, name="pool")(encoded)
    dist = TokenPooling("token", num_prefix_tokens, index=1, name="pool_dist")(encoded)
    logits = [_classifier(token, classes, "head"), _classifier(dist, classes, "head_dist")]
    return _activation(keras.layers.Average(name="head_mean", dtype="float32")(logits), classifier_activation)


def fc_norm_head(layer_norm_epsilon):
    """timm's head of an average-pooled model: `pool` (mean past the prefix tokens) → `fc_norm` (LayerNorm) →
    `pre_logits` → `head`; for a model built with `final_norm=False`."""

    def head(
        encoded,
        *,
        pooling="avg",
        num_prefix_tokens=0,
        representation_size=None,
        classes=1000,
        classifier_activation=None,
    ):
        x = TokenPooling("avg", num_prefix_tokens, name="pool")(encoded)
        x = keras.layers.LayerNormalization(epsilon=layer_norm_epsilon, name="fc_norm")(x)
        if representation_size:
            x = keras.layers.Dense(representation_size, activation="tanh", name="pre_logits")(x)
        else:
            x = keras.layers.Identity(name="pre_logits")(x)
        return _activation(_classifier(x, classes, "head"), classifier_activation)

    return head


def build_deit(
    *,
    distilled=False,
    layer_scale=None,
    fc_norm=False,
    class_token=True,
    posemb_interpolation="bicubic_antialias",
    gelu=None,
    layer_norm_epsilon=None,
    pixels=None,
    **kwargs,
):
    """`build_vit` with DeiT's, DeiT III's and timm's GAP variations.

    Args:
        distilled: the distillation token and its head (`dist`, `head_dist`); logits the mean of the two heads.
        layer_scale: None, or the initial value of the LayerScale on each block's branches (DeiT III: 1e-6).
        fc_norm: average pooling with the LayerNorm after it (`fc_norm`, timm's `global_pool="avg"`) in place of
            `encoder_norm` before it.
        class_token: with `fc_norm`, whether the model still has a class token (left out of the average).
        posemb_interpolation: how a checkpoint's position embedding is resized to another image size; timm's own
            resize by default.
        gelu: None is "exact": every DeiT was trained in PyTorch.
        layer_norm_epsilon: None is the checkpoint's (1e-6 for timm's and Facebook's files).
        pixels: the pixel statistics of the weights; None is the checkpoint's, else ImageNet's mean and std, as
            every DeiT was trained with (a `PixelNormalization` first maps `preprocess_input`'s [-1, 1] to them).
        **kwargs: any `build_vit` argument (sizes, `weights`, `include_top`, `register_tokens`, `gelu`, ...).

    Returns:
        A `keras.Model`.
    """
    if distilled and fc_norm:
        raise ValueError(
            "A distilled DeiT reads its class and distillation tokens, not an average; choose one of "
            "distilled=True and fc_norm=True. Received: distilled=True, fc_norm=True"
        )
    family = dict(
        layer_scale=layer_scale,
        posemb_interpolation=posemb_interpolation,
        gelu=gelu or "exact",
        pixels=pixels,
        default_pixels="imagenet",
    )
    if distilled:
        family.update(prefix_tokens=DISTILLED_TOKENS, head=distilled_head)
    if fc_norm:
        family.update(
            classifier="gap",
            prefix_tokens={"cls": 1} if class_token else {},
            head=fc_norm_head(1e-6 if layer_norm_epsilon is None else layer_norm_epsilon),
            final_norm=False,
        )
    return build_vit(**family, layer_norm_epsilon=layer_norm_epsilon, **kwargs)


def _deit_constructor(preset_name):
    return preset_constructor(preset_name, builder=build_deit)


DeiTTi16 = _deit_constructor("deit_ti16")
DeiTS16 = _deit_constructor("deit_s16")
DeiTB16 = _deit_constructor("deit_b16")
DeiTTi16Distilled = _deit_constructor("deit_ti16_distilled")
DeiTS16Distilled = _deit_constructor("deit_s16_distilled")
DeiTB16Distilled = _deit_constructor("deit_b16_distilled")
DeiT3S16 = _deit_constructor("deit3_s16")
DeiT3M16 = _deit_constructor("deit3_m16")
DeiT3B16 = _deit_constructor("deit3_b16")
DeiT3L16 = _deit_constructor("deit3_l16")
DeiT3H14 = _deit_constructor("deit3_h14")
