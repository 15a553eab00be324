"""timm's (and Facebook DeiT's) PyTorch state dicts of `VisionTransformer` ↔ the canonical layout.

timm names (`timm/models/vision_transformer.py`, `deit.py`): `patch_embed.proj` (a conv, `(out, in, kh, kw)`),
`cls_token`, `dist_token` (DeiT distilled), `reg_token` (register tokens), `pos_embed`, `blocks.{i}.norm1`,
`.attn.qkv` (query, key and value fused along the output rows), `.attn.proj`, `.ls1.gamma` / `.ls2.gamma`
(LayerScale; DeiT III's own files: `.gamma_1` / `.gamma_2`), `.norm2`, `.mlp.fc1`, `.mlp.fc2`, `norm` (before the
pooling), `fc_norm` (after an average pooling, in place of `norm`), `pre_logits.fc` (older representation layer),
`head`, `head_dist` (DeiT distilled). Linear weights are `(out, in)`: the canonical kernels are their transposes.

The position embedding comes with a row per prefix token (class, distillation, register; timm's default) or with
none (`no_embed_class`: DeiT III, the register models). Register tokens get no position embedding in keras_vit, so
their rows, where the file has them, are added to the tokens themselves (the sum the model sees is the same). timm
files store no head count: the attention kernels are given flat, `(hidden, heads * head_dim)`, and the loader
splits them for the model built (`npz.fit_heads`).
"""

import re

import numpy as np

from keras_vit.weights import npz
from keras_vit.weights.posemb import grid_side

BLOCK = re.compile(r"blocks\.(\d+)\.(.+)")
# timm block sub-module → canonical block name (the weights of Linear layers transposed on the way).
BLOCK_NAMES = {
    "norm1.weight": "LayerNorm_0/scale",
    "norm1.bias": "LayerNorm_0/bias",
    "norm2.weight": "LayerNorm_2/scale",
    "norm2.bias": "LayerNorm_2/bias",
    "attn.proj.weight": "MultiHeadDotProductAttention_1/out/kernel",
    "attn.proj.bias": "MultiHeadDotProductAttention_1/out/bias",
    "mlp.fc1.weight": "MlpBlock_3/Dense_0/kernel",
    "mlp.fc1.bias": "MlpBlock_3/Dense_0/bias",
    "mlp.fc2.weight": "MlpBlock_3/Dense_1/kernel",
    "mlp.fc2.bias": "MlpBlock_3/Dense_1/bias",
    "ls1.gamma": "LayerScale_1/scale",
    "ls2.gamma": "LayerScale_3/scale",
    "gamma_1": "LayerScale_1/scale",
    "gamma_2": "LayerScale_3/scale",
}
TOP_NAMES = {
    "patch_embed.proj.bias": "embedding/bias",
    "cls_token": "cls",
    "dist_token": "dist",
    "norm.weight": "Transformer/encoder_norm/scale",
    "norm.bias": "Transformer/encoder_norm/bias",
    "fc_norm.weight": "fc_norm/scale",
    "fc_norm.bias": "fc_norm/bias",
    "pre_logits.fc.weight": "pre_logits/kernel",
    "pre_logits.fc.bias": "pre_logits/bias",
    "head.weight": "head/kernel",
    "head.bias": "head/bias",
    "head_dist.weight": "head_dist/kernel",
    "head_dist.bias": "head_dist/bias",
}
QKV = ("query", "key", "value")
# Parts of timm families that share ViT's names but not its blocks (BEiT's relative position bias and q/v biases).
FOREIGN = ("relative_position_bias_table", "attn.q_bias")
# What a DistributedDataParallel or EMA wrapper puts before every name.
WRAPPER_PREFIXES = ("module.",)


def strip_wrappers(arrays):
    for prefix in WRAPPER_PREFIXES:
        if arrays and all(key.startswith(prefix) for key in arrays):
            arrays = {key[len(prefix) :]: value for key, value in arrays.items()}
    return arrays


def _is_square(n):
    side = int(round(np.sqrt(n))) if n > 0 else 0
    return side > 0 and side * side == n


def prefix_rows(arrays):
    """How many prefix rows the file's `pos_embed` has: all its prefix tokens', or none (`no_embed_class`)."""
    tokens = sum(arrays[k].shape[1] for k in ("cls_token", "dist_token", "reg_token") if k in arrays)
    rows = arrays["pos_embed"].shape[1]
    if tokens and _is_square(rows - tokens):
        return tokens
    if _is_square(rows):
        return 0
    raise ValueError(
        f"timm's `pos_embed` must hold a square patch grid after 0 or {tokens} prefix rows (class, distillation, "
        f"register tokens). Received: pos_embed shape={arrays['pos_embed'].shape}"
    )


def _posemb_and_registers(arrays):
    """The canonical posemb (prefix rows of the class and distillation tokens only) and register tokens."""
    posemb, reg = arrays["pos_embed"], arrays.get("reg_token")
    embedded = sum(arrays[k].shape[1] for k in ("cls_token", "dist_token") if k in arrays)
    if prefix_rows(arrays) and reg is not None:  # the registers' rows, after the class token's, into the tokens
        k = reg.shape[1]
        reg = reg + posemb[:, embedded : embedded + k]
        posemb = np.concatenate([posemb[:, :embedded], posemb[:, embedded + k :]], axis=1)
    return posemb, reg


def _block(index, rest, value, out, unknown):
    prefix = f"Transformer/encoderblock_{index}/"
    if rest in ("attn.qkv.weight", "attn.qkv.bias"):
        kind = rest.rsplit(".", 1)[1]
        for name, part in zip(QKV, np.split(value, 3, axis=0)):
            out[f"{prefix}MultiHeadDotProductAttention_1/{name}/{'kernel' if kind == 'weight' else 'bias'}"] = (
                part.T if kind == "weight" else part
            )
    elif rest in BLOCK_NAMES:
        name = BLOCK_NAMES[rest]
        out[prefix + name] = value.T if name.endswith("/kernel") else value
    else:
        unknown.append(f"blocks.{index}.{rest}")


class Timm:
    """timm / DeiT PyTorch state dicts of ViTs (`.safetensors`, `.pth`, `.bin`)."""

    name = "timm/DeiT PyTorch state dict"

    def detect(self, keys):
        keys = set(strip_wrappers(dict.fromkeys(keys)))
        vit = "patch_embed.proj.weight" in keys and "blocks.0.attn.qkv.weight" in keys
        return vit and not any(part in key for key in keys for part in FOREIGN)

    def to_canonical(self, arrays):
        arrays = strip_wrappers(arrays)
        out, unknown = {}, []
        for key, value in arrays.items():
            value = np.asarray(value)
            if match := BLOCK.fullmatch(key):
                _block(int(match.group(1)), match.group(2), value, out, unknown)
            elif key == "patch_embed.proj.weight":
                out["embedding/kernel"] = value.transpose(2, 3, 1, 0)
            elif key in TOP_NAMES:
                name = TOP_NAMES[key]
                out[name] = value.T if name.endswith("/kernel") else value
            elif key not in ("pos_embed", "reg_token"):
                unknown.append(key)
        if unknown:
            raise ValueError(
                "This timm state dict has parts a keras_vit ViT does not have (another timm family, or options such "
                f"as qk_norm or pre_norm); supported: ViT, DeiT, DeiT III, register and GAP models. Received: "
                f"unknown keys {sorted(unknown)[:8]}"
            )
        if "pos_embed" in arrays:
            out[npz.POSEMB_KEY], reg = _posemb_and_registers(arrays)
            if reg is not None:
                out["reg"] = reg
        elif "reg_token" in arrays:
            out["reg"] = arrays["reg_token"]
        return out

    def describe(self, arrays):
        arrays = strip_wrappers(arrays)
        canonical = self.to_canonical(arrays)
        patch = canonical["embedding/kernel"]
        config = dict(
            patch_size=int(patch.shape[0]),
            hidden_size=int(patch.shape[-1]),
            depth=npz.block_count(canonical),
            mlp_dim=int(canonical["Transformer/encoderblock_0/MlpBlock_3/Dense_0/kernel"].shape[1]),
            classifier="gap" if "fc_norm/scale" in canonical or "cls" not in canonical else "token",
            representation_size=int(canonical["pre_logits/kernel"].shape[1])
            if "pre_logits/kernel" in canonical
            else None,
            posemb="learned" if npz.POSEMB_KEY in canonical else "none",
            register_tokens=int(canonical["reg"].shape[1]) if "reg" in canonical else 0,
            # What the canonical names cannot say: the family's variations and the numerics (PyTorch: exact GELU;
            # timm's LayerNorm epsilon 1e-6).
            prefix_tokens={name: 1 for name in ("cls", "dist") if name in canonical},
            distilled="dist" in canonical,
            layer_scale="Transformer/encoderblock_0/LayerScale_1/scale" in canonical,
            fc_norm="fc_norm/scale" in canonical,
            gelu="exact",
            layer_norm_epsilon=1e-6,
            posemb_interpolation="bicubic_antialias",  # timm's resize of a checkpoint's posemb
        )
        if "head/kernel" in canonical:
            config["classes"] = int(canonical["head/kernel"].shape[1])
        if npz.POSEMB_KEY in canonical:
            config["grid_side"] = grid_side(canonical[npz.POSEMB_KEY].shape[1])[0]
        return config


def from_canonical(params, no_embed_class=False):
    """The canonical arrays of a model → a timm state dict (`{name: array}`, float32).

    `no_embed_class`: timm's layout without position-embedding rows for the prefix tokens (DeiT III, register
    models); the model's rows are then added to the tokens themselves (the sum the model sees is the same).
    Register tokens have no rows in keras_vit: they get zero rows in the other layout.
    """
    out = {}
    block_names = {canonical: timm for timm, canonical in BLOCK_NAMES.items() if not timm.startswith("gamma_")}
    top_names = {canonical: timm for timm, canonical in TOP_NAMES.items()}
    for key, value in params.items():
        value = np.asarray(value, dtype="float32")
        if match := re.fullmatch(r"Transformer/encoderblock_(\d+)/(.+)", key):
            index, rest = match.groups()
            if rest.startswith("MultiHeadDotProductAttention_1/") and rest.split("/")[1] in QKV:
                continue  # fused below
            if rest.endswith("/kernel"):
                value = value.reshape(-1, value.shape[-1]).T if "out/" in rest else value.reshape(value.shape[0], -1).T
            elif rest == "MultiHeadDotProductAttention_1/out/bias":
                value = value.reshape(-1)
            if rest not in block_names:
                raise ValueError(f"timm's ViT block has no place for {key!r}; export a ViT, DeiT or DeiT III model.")
            out[f"blocks.{index}.{block_names[rest]}"] = value
        elif key == "embedding/kernel":
            out["patch_embed.proj.weight"] = value.transpose(3, 2, 0, 1)
        elif key in top_names:
            out[top_names[key]] = value.T if key.endswith("/kernel") else value
        elif key == "reg":
            out["reg_token"] = value
        elif key != npz.POSEMB_KEY:
            raise ValueError(f"timm's ViT has no place for {key!r}; export a ViT, DeiT or DeiT III model.")
    for index in range(npz.block_count(params)):
        attention = f"Transformer/encoderblock_{index}/MultiHeadDotProductAttention_1/"
        kernels = [np.asarray(params[f"{attention}{n}/kernel"], "float32") for n in QKV]
        biases = [np.asarray(params[f"{attention}{n}/bias"], "float32") for n in QKV]
        out[f"blocks.{index}.attn.qkv.weight"] = np.concatenate([k.reshape(k.shape[0], -1).T for k in kernels])
        out[f"blocks.{index}.attn.qkv.bias"] = np.concatenate([b.reshape(-1) for b in biases])
    if npz.POSEMB_KEY in params:
        _export_posemb(np.asarray(params[npz.POSEMB_KEY], "float32"), out, no_embed_class)
    return out


def _export_posemb(posemb, out, no_embed_class):
    tokens = [name for name in ("cls_token", "dist_token") if name in out]
    embedded = len(tokens)
    if no_embed_class:
        for row, name in enumerate(tokens):
            out[name] = out[name] + posemb[:, row : row + 1]
        out["pos_embed"] = posemb[:, embedded:]
        return
    registers = out["reg_token"].shape[1] if "reg_token" in out else 0
    zeros = np.zeros((1, registers, posemb.shape[-1]), "float32")
    out["pos_embed"] = np.concatenate([posemb[:, :embedded], zeros, posemb[:, embedded:]], axis=1)


TIMM = Timm()
