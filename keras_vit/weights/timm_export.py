"""`export_timm`: a keras_vit model as a timm state dict, so that a model trained here can be published for PyTorch.

The file loads with `timm.create_model(name, pretrained=True, pretrained_cfg_overlay=dict(file=path))` (timm's
architecture of the same sizes and options: e.g. `vit_small_patch16_224`, `deit_tiny_distilled_patch16_224`,
`deit3_base_patch16_224`, with `num_classes` set when the head is not 1000 wide) and gives the same logits.
A state dict holds no pixel statistics: timm's transforms take them from the architecture's `pretrained_cfg`
(mean = std = 0.5 for ViTs, ImageNet's for DeiTs). A model whose statistics differ from its architecture's
(`model.get_layer("pixels")`, a `keras_vit.layers.PixelNormalization`; none: 0.5 and 0.5) needs
`pretrained_cfg_overlay=dict(file=path, mean=..., std=...)`.
"""

import os

from keras import ops

from keras_vit.layers import PrefixTokens, TransformerBlock
from keras_vit.weights import npz
from keras_vit.weights.safetensors_file import write_safetensors
from keras_vit.weights.timm_format import from_canonical


def _uses_no_embed_class(model):
    """timm's DeiT III and register-token ViTs keep no position-embedding rows for their prefix tokens."""
    layer_scaled = any(isinstance(layer, TransformerBlock) and layer.scales for layer in model.layers)
    registers = any(isinstance(layer, PrefixTokens) and "reg" in layer.tokens for layer in model.layers)
    return layer_scaled or registers


def _check_exportable(model):
    kinds = {getattr(layer, "kind", None) for layer in model.layers if layer.name == "posembed_input"}
    if kinds - {"learned"}:
        raise ValueError(
            f"timm's ViT has a learned 1-D position embedding only; export a model built with posemb='learned'. "
            f"Received: posemb={sorted(kinds - {'learned'})[0]!r}"
        )
    if any(isinstance(layer, TransformerBlock) and layer.relative_positions for layer in model.layers):
        raise ValueError("timm's ViT has no relative position attention. Received: posemb='relative'")
    if any(layer.name.startswith(("conv_root", "block")) and layer.weights for layer in model.layers):
        raise ValueError(f"export_timm writes ViTs and DeiTs, not hybrids. Received: model={model.name!r}")


def export_timm(model, path, no_embed_class=None):
    """Writes `model`'s weights as a timm `VisionTransformer` state dict (`.safetensors`, float32).

    Args:
        model: a keras_vit ViT, DeiT (distilled too), DeiT III, register-token or GAP model (learned 1-D
            position embedding, no hybrid stem).
        path: the `.safetensors` file to write.
        no_embed_class: the timm model's `no_embed_class` (no position-embedding rows for the class/distillation
            tokens; the rows are folded into the tokens, which gives the same sums). None: True for models with
            LayerScale or register tokens (timm's DeiT III and register models), False otherwise.

    Returns:
        The path written.

    Example:
        >>> keras_vit.export_timm(model, "model.safetensors")
        >>> timm.create_model("vit_small_patch16_224", pretrained=True,
        ...                   pretrained_cfg_overlay=dict(file="model.safetensors"))
    """
    path = os.fspath(path)
    if not path.endswith(".safetensors"):
        raise ValueError(f"export_timm writes a .safetensors file. Received: path={path!r}")
    _check_exportable(model)
    if no_embed_class is None:
        no_embed_class = _uses_no_embed_class(model)
    params = {key: ops.convert_to_numpy(variable) for key, variable in npz.variable_table(model).items()}
    state_dict = from_canonical(params, no_embed_class=no_embed_class)
    write_safetensors(state_dict, path, metadata={"format": "pt"})
    return path
