"""The official `.npz` checkpoint layout ↔ Keras variables: one table, strict.

Official names (google-research/vision_transformer): `embedding/kernel`, `cls`,
`Transformer/posembed_input/pos_embedding`, `Transformer/encoderblock_{i}/...`,
`Transformer/encoder_norm/...`, `pre_logits/...`, `head/...` (and the hybrid ResNet's names).
"""

import collections
import re
import zipfile

import keras
import numpy as np

from keras_vit.layers import AddPositionEmbs, PatchEncoder, PrefixTokens, TransformerBlock
from keras_vit.layers.preact_unit import PreActBottleneck
from keras_vit.layers.resnet_unit import ResNetUnit, resnet_stride
from keras_vit.layers.std_conv import StdConv2D
from keras_vit.weights.posemb import grid_side

POSEMB_KEY = "Transformer/posembed_input/pos_embedding"
# The canonical names' task layers (not the encoder's): left out with include_top=False, kept by the target of
# `transfer_weights`: DeiT's second head `head_dist`; `fc_norm`, the LayerNorm after the average pooling of timm's
# GAP models (in place of `encoder_norm` before it).
HEAD_LAYERS = ("pre_logits", "head", "head_dist", "fc_norm")


def head_layer(key):
    """The head layer a canonical key belongs to, or None for the encoder's."""
    layer = key.split("/", 1)[0]
    return layer if layer in HEAD_LAYERS else None


def is_big_vision_key(key):
    """A name only big_vision's (or a flax train state's) variants of the official layout use."""
    return key.startswith(("params/", "Transformer/encoderblock/")) or key == "pos_embedding" or "/MlpBlock_0/" in key


def read_npz(path):
    """Reads an `.npz` checkpoint into `{name: array}`, with a clear error for a damaged file."""
    try:
        with np.load(path, allow_pickle=False) as data:
            return {key: data[key] for key in data.files}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as error:
        raise ValueError(
            f"Could not read the checkpoint {path!s}: it is corrupt or truncated ({error}). Delete it (and its "
            "cached copy under ~/.keras/models) and download it again."
        ) from error


def fix_official(params):
    """The official layout, with the one quirk of its older files: hybrid GroupNorm scale/bias stored as
    (1, 1, 1, C) (official `_fix_groupnorm`)."""
    out = {}
    for key, value in params.items():
        if re.search(r"(^|/)gn[^/]*/(scale|bias)$", key) and value.ndim == 4:
            value = value.reshape(-1)
        out[key] = value
    return out


def from_big_vision(params):
    """big_vision's (and flax train states') variants of the official layout → the official names."""
    out = {}
    # big_vision numbers the block's sub-modules per type (LayerNorm_0, MHDPA_0, LayerNorm_1, MlpBlock_0),
    # the official files globally (LayerNorm_0, MHDPA_1, LayerNorm_2, MlpBlock_3).
    per_type_numbering = any("/MlpBlock_0/" in key for key in params)
    for key, value in params.items():
        # big_vision / flax train states nest the parameters under `params/`.
        key = key.removeprefix("params/")
        # big_vision puts the posemb at the top, without a class-token row (it is added before the cls).
        if key == "pos_embedding":
            key = POSEMB_KEY
        if per_type_numbering and key.startswith("Transformer/encoderblock"):
            key = key.replace("MultiHeadDotProductAttention_0", "MultiHeadDotProductAttention_1")
            key = key.replace("LayerNorm_1", "LayerNorm_2").replace("MlpBlock_0", "MlpBlock_3")
        # big_vision `scan_layers`: one `encoderblock` whose arrays have a leading depth axis.
        if key.startswith("Transformer/encoderblock/"):
            rest = key.removeprefix("Transformer/encoderblock/")
            for i, block_value in enumerate(value):
                out[f"Transformer/encoderblock_{i}/{rest}"] = block_value
            continue
        out[key] = value
    return fix_official(out)


def fit_heads(key, value, shape):
    """An attention array given with its heads folded → the model's `shape` (heads split), else `value` as is.

    Formats that store no head count (timm's fused `qkv`) give `query/key/value` kernels `(hidden, heads *
    head_dim)`, biases `(heads * head_dim,)` and the `out` kernel `(heads * head_dim, hidden)`; both sides order the
    folded axis head-major, so it is a reshape.
    """
    shape = tuple(shape)
    folded = value.ndim < len(shape) and value.size == int(np.prod(shape))
    return value.reshape(shape) if folded and "/MultiHeadDotProductAttention_1/" in key else value


def block_count(params):
    return len({m.group(1) for k in params if (m := re.match(r"Transformer/encoderblock_(\d+)/", k))})


def _most_common(params, *patterns):
    """The most common size among the tensors matching each `(name pattern, axis)`: one mis-shaped tensor is then
    reported as mis-shaped by the loader, not taken for a checkpoint of another width."""
    sizes = [
        int(value.shape[axis])
        for pattern, axis in patterns
        for key, value in params.items()
        if re.match(pattern, key) and value.ndim > max(axis, -axis - 1)
    ]
    return collections.Counter(sizes).most_common(1)[0][0]


def infer_config(params):
    """The architecture a (normalised) checkpoint was trained with."""
    if "embedding/kernel" not in params:
        raise ValueError(
            "This is not an official ViT checkpoint: it has no `embedding/kernel`. "
            f"Received keys: {sorted(params)[:8]}..."
        )
    patch = params["embedding/kernel"].shape[0]
    config = dict(
        patch_size=int(patch),
        hidden_size=_most_common(params, (r"(embedding/kernel|encoder_norm/scale|.*/LayerNorm_\d/scale)$", -1)),
        depth=block_count(params),
        num_heads=_most_common(
            params,
            (r".*/MultiHeadDotProductAttention_1/(query|key|value)/kernel$", 1),
            (r".*/(query|key|value)/bias$", 0),
        ),
        mlp_dim=_most_common(
            params, (r".*/MlpBlock_3/Dense_0/(kernel|bias)$", -1), (r".*/MlpBlock_3/Dense_1/kernel$", 0)
        ),
        classifier="token" if "cls" in params else "gap",
        representation_size=int(params["pre_logits/kernel"].shape[1]) if "pre_logits/kernel" in params else None,
        posemb="learned" if POSEMB_KEY in params else "none",
    )
    if "Transformer/encoderblock_0/MultiHeadDotProductAttention_1/relative_embedding" in params:
        config["posemb"] = "relative"
    # Register tokens (timm's `reg_token`) are the canonical `reg`, `(1, k, hidden)`.
    config["register_tokens"] = int(params["reg"].shape[1]) if "reg" in params else 0
    if "head/kernel" in params:
        config["classes"] = int(params["head/kernel"].shape[1])
    if "conv_root/kernel" in params:  # hybrid: units per stage from `block{s}/unit{u}/...`, width from the root
        units = {}
        for key in params:
            if m := re.match(r"block(\d+)/unit(\d+)/", key):
                stage, unit = int(m.group(1)), int(m.group(2))
                units[stage] = max(units.get(stage, 0), unit)
        config["resnet_blocks"] = tuple(units[s] for s in sorted(units))
        width = params["conv_root/kernel"].shape[-1] / 64
        config["resnet_width"] = int(width) if width == int(width) else width
        config["stem_stride"] = resnet_stride(config["resnet_blocks"])
    if POSEMB_KEY in params:
        config["grid_side"] = grid_side(params[POSEMB_KEY].shape[1])[0]
    return config


def _norm(layer):
    return {"scale": layer.gamma, "bias": layer.beta}


def _dense(layer):
    return {"kernel": layer.kernel, "bias": layer.bias}


def _block(block):
    att = block.attention
    table = {f"LayerNorm_0/{k}": v for k, v in _norm(block.norm1).items()}
    table.update({f"LayerNorm_2/{k}": v for k, v in _norm(block.norm2).items()})
    for name in ("query", "key", "value", "out"):
        prefix = f"MultiHeadDotProductAttention_1/{name}"
        table[f"{prefix}/kernel"] = getattr(att, f"{name}_kernel")
        table[f"{prefix}/bias"] = getattr(att, f"{name}_bias")
    if att.relative_positions:
        table["MultiHeadDotProductAttention_1/relative_embedding"] = att.relative_embedding
    table.update({f"MlpBlock_3/Dense_0/{k}": v for k, v in _dense(block.mlp_dense_0).items()})
    table.update({f"MlpBlock_3/Dense_1/{k}": v for k, v in _dense(block.mlp_dense_1).items()})
    table.update({f"{scale.name}/scale": scale.scale for scale in block.scales})  # LayerScale_1, LayerScale_3
    return table


def _resnet_unit(unit):
    # Keras names cannot hold "/": the layer `block{s}_unit{u}` is the checkpoint's `block{s}/unit{u}`.
    prefix = re.sub(r"^(block\d+)_(unit\d+)$", r"\1/\2", unit.name)
    table = {}
    for conv, norm in (("conv1", "gn1"), ("conv2", "gn2"), ("conv3", "gn3"), ("conv_proj", "gn_proj")):
        if getattr(unit, conv) is None:
            continue  # no projection when the unit keeps the shape
        table[f"{prefix}/{conv}/kernel"] = getattr(unit, conv).kernel
        table.update({f"{prefix}/{norm}/{k}": v for k, v in _norm(getattr(unit, norm)).items()})
    return table


def _preact_unit(unit):
    # BiT's units: `block{s}_unit{uu}` is `block{s}/unit{uu}`; the projection has no GroupNorm of its own.
    prefix = re.sub(r"^(block\d+)_(unit\d+)$", r"\1/\2", unit.name)
    table = {}
    for conv, norm in (("conv1", "gn1"), ("conv2", "gn2"), ("conv3", "gn3")):
        table[f"{prefix}/{conv}/kernel"] = getattr(unit, conv).kernel
        table.update({f"{prefix}/{norm}/{k}": v for k, v in _norm(getattr(unit, norm)).items()})
    if unit.conv_proj is not None:
        table[f"{prefix}/conv_proj/kernel"] = unit.conv_proj.kernel
    return table


def layer_variables(layer):
    """`{official name: variable}` for one layer of a keras_vit model (empty when it has none)."""
    name = layer.name
    if isinstance(layer, ResNetUnit):
        return _resnet_unit(layer)
    if isinstance(layer, PreActBottleneck):
        return _preact_unit(layer)
    if isinstance(layer, StdConv2D):
        return {f"{name}/kernel": layer.kernel}
    if isinstance(layer, keras.layers.GroupNormalization):
        return {f"{name}/{k}": v for k, v in _norm(layer).items()}
    if isinstance(layer, PatchEncoder):
        return {f"{name}/kernel": layer.kernel, f"{name}/bias": layer.bias}
    if isinstance(layer, PrefixTokens):  # `cls` (official), and e.g. `reg` (register tokens), `dist` (DeiT)
        return {token: getattr(layer, token) for token in layer.tokens}
    if isinstance(layer, AddPositionEmbs):
        if layer.kind != "learned":
            return {f"Transformer/{name}/{v.name}": v for v in layer.weights}
        return {POSEMB_KEY: layer.pos_embedding}
    if isinstance(layer, TransformerBlock):
        return {f"Transformer/{name}/{k}": v for k, v in _block(layer).items()}
    if name == "encoder_norm":
        return {f"Transformer/{name}/{k}": v for k, v in _norm(layer).items()}
    if name == "fc_norm":
        return {f"{name}/{k}": v for k, v in _norm(layer).items()}
    if name in HEAD_LAYERS and layer.weights:
        return {f"{name}/{k}": v for k, v in _dense(layer).items()}
    return {}


def variable_table(model):
    """`{official name: variable}` for the whole model."""
    table = {}
    for layer in model.layers:
        table.update(layer_variables(layer))
    return table
