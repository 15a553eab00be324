"""Checkpoint formats as adapters: each reads its layout into the canonical one and describes the architecture.

The canonical layout is the official `.npz` names (google-research/vision_transformer) that
`npz.variable_table` assigns to a model. An adapter has

    name                       for people and error messages
    detect(keys) -> bool       whether a file with these array names is in its layout
    to_canonical(arrays)       {name: array} in its layout → {canonical name: array}
    describe(arrays)           {name: array} in its layout → the architecture it implies (`npz.infer_config`)

and is one row of `ADAPTERS`, tried in order (the most specific first). Adding a format (timm, Hugging Face) is one
module with such an object, one row here and, for a new file type, one row of `READERS`.
"""

import os

from keras_vit.weights import hub, npz
from keras_vit.weights.bit_format import ADAPTER as BIT
from keras_vit.weights.safetensors_file import read_safetensors
from keras_vit.weights.timm_format import TIMM
from keras_vit.weights.torch_file import read_torch
from keras_vit.weights.transformers_format import TRANSFORMERS, with_config


class _Npz:
    """Shared by the layouts of the official `.npz`: describe = infer the config of the canonical arrays."""

    def describe(self, arrays):
        return npz.infer_config(self.to_canonical(arrays))


class BigVision(_Npz):
    """big_vision's (and flax train states') variants of the official layout, normalised one rule per quirk."""

    name = "big_vision .npz"

    def detect(self, keys):
        return any(npz.is_big_vision_key(key) for key in keys)

    def to_canonical(self, arrays):
        return npz.from_big_vision(arrays)


class Official(_Npz):
    """The official `.npz` of google-research/vision_transformer (older hybrid files' GroupNorm shapes fixed)."""

    name = "official .npz"

    def detect(self, keys):
        return "embedding/kernel" in keys

    def to_canonical(self, arrays):
        return npz.fix_official(arrays)


ADAPTERS = (TRANSFORMERS, BigVision(), Official(), TIMM, BIT)

# File suffix → reader `path -> {name: array}` (none imports torch: `torch_file` unpickles without it).
READERS = {".npz": npz.read_npz, ".safetensors": read_safetensors, ".pth": read_torch, ".bin": read_torch}

# Layouts recognised but not read yet: (name, a key that gives them away).
LOOKALIKES = (
    ("a Swin Transformer state dict", "layers.0.blocks.0.attn.relative_position_bias_table"),
    ("a Swin Transformer V2 state dict", "layers.0.blocks.0.attn.cpb_mlp.0.weight"),
    ("a BEiT state dict", "blocks.0.attn.relative_position_bias_table"),
    ("a timm ConvNeXt state dict", "stages.0.blocks.0.conv_dw.weight"),
    ("a Facebook ConvNeXt state dict", "downsample_layers.0.0.weight"),
    ("a ResNet state dict", "layer1.0.conv1.weight"),
    ("an OpenAI CLIP state dict", "visual.class_embedding"),
    ("a keras-hub ViT", "vit_backbone"),
)


def adapter_for(keys):
    """The adapter whose layout the array names `keys` are in; a clear error naming a known lookalike otherwise."""
    keys = list(keys)
    for adapter in ADAPTERS:
        if adapter.detect(keys):
            return adapter
    shown = ", ".join(repr(k) for k in sorted(keys)[:3])
    for name, marker in LOOKALIKES:
        if any(k == marker or k.endswith("." + marker) or k.startswith(marker + "/") for k in keys):
            raise ValueError(
                f"This checkpoint looks like {name} (keys {shown}, ...): not supported yet. Convert it to the "
                f"official ViT `.npz` layout, or load it into the model it was made for. Received: keys={shown}, ..."
            )
    raise ValueError(
        f"This is not a ViT checkpoint keras_vit reads (formats: {', '.join(a.name for a in ADAPTERS)}); it has no "
        f"`embedding/kernel`. Received: keys={shown}, ..."
    )


def read_arrays(path):
    """`{name: array}` of a checkpoint file or model directory, as stored (its format's layout).

    A directory (`save_pretrained`'s, a downloaded Hub repository) is read as its weights file; a transformers
    `config.json` beside the weights comes with them (`transformers_format.with_config`).
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        path = hub.weights_file(path)
    suffix = os.path.splitext(path)[1]
    if suffix not in READERS:
        raise ValueError(f"Checkpoint files must end in {', '.join(READERS)}. Received: path={path!r}")
    return with_config(READERS[suffix](path), os.path.dirname(path))
