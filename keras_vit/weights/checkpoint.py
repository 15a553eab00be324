"""`Checkpoint`: one downloadable weights file and what the loader must know about it.

The rows themselves (the official files) are data of the models layer: `keras_vit.models.presets.CHECKPOINTS`.
"""

import dataclasses

from keras_vit.layers.transformer_block import GELUS

# File format → the extension its URL ends with. "npz": the official flattened `.npz` of
# google-research/vision_transformer (big_vision's layouts of it are normalised on read); "pth" and "safetensors":
# PyTorch state dicts (timm's and Facebook DeiT's layout, `timm_format.py`).
# "bit": BiT's `.npz` (google-research/big_transfer; `weights/bit_format.py`).
FORMATS = {"npz": ".npz", "pth": ".pth", "safetensors": ".safetensors", "bit": ".npz"}
__all__ = ["FORMATS", "GELUS", "Checkpoint"]


@dataclasses.dataclass(frozen=True)
class Checkpoint:
    """One downloadable checkpoint of a named model.

    Attributes:
        model: the preset name of the architecture it fits ("vit_b16", "vit_r50_b16", ...).
        name: the `weights=` name ("imagenet21k", "augreg_in21k_ft_in1k", ...).
        url: the full URL.
        sha256: the file's SHA-256, or None where none is known (then the download is not checked).
        image_size: the resolution it was trained at.
        classes: the size of its head.
        pre_logits: the width of its `pre_logits` (Dense + tanh) layer, or None for none.
        format: the file format, a key of `FORMATS`.
        gelu: the GELU form it was trained with: "tanh" (the approximation JAX's `nn.gelu` uses) or "exact".
        layer_norm_epsilon: the epsilon of its LayerNorms.
        timm: timm's `architecture_resolution.tag` for the same file, or None.
        source: paper and data set, for people.
        pixels: the pixel statistics it was trained with, a name of `keras_vit.layers.PIXEL_STATISTICS`; None is
            "inception" (pixels / 127.5 - 1, `preprocess_input`'s). Others put a `PixelNormalization` first.
    """

    model: str
    name: str
    url: str
    sha256: str | None
    image_size: int
    classes: int
    pre_logits: int | None
    format: str
    gelu: str
    layer_norm_epsilon: float
    timm: str | None
    source: str
    pixels: str | None = None
