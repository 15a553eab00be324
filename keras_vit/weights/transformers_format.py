"""Hugging Face transformers' ViT and DeiT checkpoints (a `save_pretrained` directory) ↔ the canonical layout.

A transformers checkpoint is two files: `config.json` (sizes, head count, activation, LayerNorm epsilon, resolution,
labels) and the weights (`model.safetensors`, older `pytorch_model.bin`). The weights alone cannot be read: they
do not say the head count. The directory reader (`formats.read_arrays`) hands the parsed `config.json` on beside the
arrays, under the name `CONFIG`.

transformers names (`models/vit/modeling_vit.py`, `models/deit/modeling_deit.py`), after the base model's prefix
(`vit.` / `deit.` in the task models, none in `ViTModel` / `DeiTModel`): `embeddings.patch_embeddings.projection`
(a conv, `(out, in, kh, kw)`), `embeddings.cls_token`, `embeddings.distillation_token` (DeiT),
`embeddings.position_embeddings` (a row per prefix token, then the grid), `encoder.layer.{i}.layernorm_before`,
`.attention.attention.query|key|value`, `.attention.output.dense`, `.layernorm_after`, `.intermediate.dense`,
`.output.dense`, `layernorm`, `pooler.dense` (Dense + tanh on the class token: the canonical `pre_logits`); heads
without prefix: `classifier` (`ViTForImageClassification`, `DeiTForImageClassification`), `cls_classifier` and
`distillation_classifier` (`DeiTForImageClassificationWithTeacher`). Linear weights are `(out, in)`.

The inverse, `from_canonical` (the state dict) and `config_for` (the `config.json`), is what
`transformers_export.export_transformers` writes.
"""

import json
import os
import re

import numpy as np

from keras_vit.weights import npz
from keras_vit.weights.hub import CONFIG, PREPROCESSOR
from keras_vit.weights.posemb import grid_side

# The array every transformers ViT-like checkpoint has (after the base model's prefix).
MARKER = "embeddings.patch_embeddings.projection.weight"
# config.json's `model_type` → the base model's prefix in the task models' names.
MODEL_TYPES = {"vit": "vit.", "deit": "deit."}
# config.json's `hidden_act` → keras_vit's GELU form (transformers' ACT2FN: "gelu" is erf, the others tanh's formula).
HIDDEN_ACTS = {"gelu": "exact", "gelu_python": "exact", "gelu_pytorch_tanh": "tanh", "gelu_new": "tanh"}
HIDDEN_ACT_OF = {"exact": "gelu", "tanh": "gelu_pytorch_tanh"}  # what an export writes

BLOCK = re.compile(r"encoder\.layer\.(\d+)\.(.+)\.(weight|bias)")
ATTENTION = {f"attention.attention.{name}": name for name in ("query", "key", "value")}
# Placeholder labels transformers writes for a model given none: not class names.
PLACEHOLDER_LABEL = re.compile(r"LABEL_\d+")
# Parts with no effect on a forward pass: the mask token of masked image modeling (`use_mask_token`).
IGNORED = ("embeddings.mask_token",)


def _linear(name, kind, value):
    """A Linear layer's `weight` `(out, in)` or `bias` → the canonical `kernel` `(in, out)` or `bias`."""
    return {f"{name}/kernel": value.T} if kind == "weight" else {f"{name}/bias": value}


def _norm(name, kind, value):
    return {f"{name}/{'scale' if kind == 'weight' else 'bias'}": value}


def _conv(name, kind, value):
    """The patch embedding's conv: `(out, in, kh, kw)` → the canonical `(kh, kw, in, out)`."""
    return {f"{name}/kernel": value.transpose(2, 3, 1, 0)} if kind == "weight" else {f"{name}/bias": value}


# Block sub-modules without heads to split → (canonical name in the block, converter).
BLOCK_NAMES = {
    "layernorm_before": ("LayerNorm_0", _norm),
    "layernorm_after": ("LayerNorm_2", _norm),
    "intermediate.dense": ("MlpBlock_3/Dense_0", _linear),
    "output.dense": ("MlpBlock_3/Dense_1", _linear),
}
# Modules outside the blocks (after the base model's prefix; the heads have none) → (canonical name, converter).
MODULES = {
    "embeddings.patch_embeddings.projection": ("embedding", _conv),
    "layernorm": ("Transformer/encoder_norm", _norm),
    "pooler.dense": ("pre_logits", _linear),
    "classifier": ("head", _linear),
    "cls_classifier": ("head", _linear),
    "distillation_classifier": ("head_dist", _linear),
}
TOKENS = {"embeddings.cls_token": "cls", "embeddings.distillation_token": "dist"}


def _block(index, module, kind, value, heads):
    """The canonical arrays of one array of `encoder.layer.{index}`; None for a name the block does not have."""
    prefix = f"Transformer/encoderblock_{index}/"
    attention = prefix + "MultiHeadDotProductAttention_1/"
    if module in ATTENTION:  # (heads * head_dim, hidden) → (hidden, heads, head_dim)
        name = attention + ATTENTION[module]
        if kind == "weight":
            return {f"{name}/kernel": value.T.reshape(value.shape[1], heads, -1)}
        return {f"{name}/bias": value.reshape(heads, -1)}
    if module == "attention.output.dense":  # (hidden, heads * head_dim) → (heads, head_dim, hidden)
        if kind == "weight":
            return {f"{attention}out/kernel": value.T.reshape(heads, -1, value.shape[0])}
        return {f"{attention}out/bias": value}
    if module in BLOCK_NAMES:
        name, convert = BLOCK_NAMES[module]
        return convert(prefix + name, kind, value)
    return None


def _convert(key, value, heads):
    """The canonical arrays of one transformers array (its name without the base model's prefix), or None."""
    module, _, kind = key.rpartition(".")
    if match := BLOCK.fullmatch(key):
        return _block(int(match.group(1)), match.group(2), kind, value, heads)
    if module in MODULES:
        name, convert = MODULES[module]
        return convert(name, kind, value)
    if key in TOKENS:
        return {TOKENS[key]: value}
    if key == "embeddings.position_embeddings":
        return {npz.POSEMB_KEY: value}
    return None


def _zero_qkv_biases(out, config):
    """`qkv_bias=False` models have no query/key/value biases: zeros are the same model."""
    if config.get("qkv_bias", True):
        return
    heads = config["num_attention_heads"]
    head_dim = config["hidden_size"] // heads
    for i in range(config["num_hidden_layers"]):
        for name in ("query", "key", "value"):
            out[f"Transformer/encoderblock_{i}/MultiHeadDotProductAttention_1/{name}/bias"] = np.zeros(
                (heads, head_dim), "float32"
            )


def check_config(config, where):
    """Raises for a config.json that is not one of a transformers ViT or DeiT."""
    model_type = config.get("model_type")
    if model_type is None:
        raise ValueError(f"{where} is not a transformers config.json: it has no `model_type`. Received: {where}")
    if model_type not in MODEL_TYPES:
        raise ValueError(
            f"{where} is a Hugging Face transformers `{model_type}` model; keras_vit reads transformers ViT "
            f"(model_type 'vit') and DeiT ('deit') checkpoints. Received: model_type={model_type!r}"
        )
    act = config.get("hidden_act", "gelu")
    if act not in HIDDEN_ACTS:
        raise ValueError(
            f"{where}: a keras_vit ViT has a GELU MLP; transformers' hidden_act must be one of {sorted(HIDDEN_ACTS)}. "
            f"Received: hidden_act={act!r}"
        )
    if config.get("pooler_act", "tanh") != "tanh":
        raise ValueError(
            f"{where}: keras_vit's `pre_logits` is Dense + tanh, as transformers' default pooler. "
            f"Received: pooler_act={config['pooler_act']!r}"
        )


def class_names(config, classes):
    """The head's class names from `id2label`, or None where the file has none (or only `LABEL_{i}`)."""
    labels = config.get("id2label") or {}
    names = [labels.get(str(i), labels.get(i)) for i in range(classes)]
    if None in names or all(PLACEHOLDER_LABEL.fullmatch(str(name)) for name in names):
        return None
    return tuple(str(name) for name in names)


class Transformers:
    """Hugging Face transformers `ViTModel` / `ViTForImageClassification` / `DeiTModel` /
    `DeiTForImageClassification(WithTeacher)` checkpoints (config.json + weights)."""

    name = "Hugging Face transformers ViT/DeiT"

    def detect(self, keys):
        return CONFIG in keys

    def to_canonical(self, arrays):
        config = arrays[CONFIG]
        prefix, heads = MODEL_TYPES[config["model_type"]], config["num_attention_heads"]
        out, unknown = {}, []
        for key, value in arrays.items():
            if key == CONFIG or key.removeprefix(prefix) in IGNORED:
                continue
            converted = _convert(key.removeprefix(prefix), np.asarray(value), heads)
            if converted is None:
                unknown.append(key)
            else:
                out.update(converted)
        if unknown:
            raise ValueError(
                "This transformers checkpoint has parts a keras_vit ViT does not have (another task head or model "
                f"family); supported: ViTModel, ViTForImageClassification, DeiTModel, DeiTForImageClassification"
                f"(WithTeacher). Received: unknown keys {sorted(unknown)[:8]}"
            )
        _zero_qkv_biases(out, config)
        return out

    def describe(self, arrays):
        config = arrays[CONFIG]
        canonical = self.to_canonical(arrays)
        image_size, pooler = config.get("image_size", 224), canonical.get("pre_logits/kernel")
        info = dict(
            patch_size=int(config["patch_size"]),
            hidden_size=int(config["hidden_size"]),
            depth=int(config["num_hidden_layers"]),
            num_heads=int(config["num_attention_heads"]),
            mlp_dim=int(config["intermediate_size"]),
            classifier="token",
            representation_size=pooler.shape[1] if pooler is not None else None,
            posemb="learned",
            register_tokens=0,
            # What the canonical names cannot say: the family, the numerics, the resolution, the labels.
            prefix_tokens={name: 1 for name in ("cls", "dist") if name in canonical},
            distilled="head_dist/kernel" in canonical,
            layer_scale=False,
            fc_norm=False,
            gelu=HIDDEN_ACTS[config.get("hidden_act", "gelu")],
            layer_norm_epsilon=float(config.get("layer_norm_eps", 1e-12)),
            image_size=tuple(image_size) if isinstance(image_size, (list, tuple)) else int(image_size),
            # transformers' own resize (`interpolate_pos_encoding`): torch's bicubic, align_corners=False.
            posemb_interpolation="bicubic",
            pixels=pixels_of(config),
            grid_side=grid_side(canonical[npz.POSEMB_KEY].shape[1])[0],
        )
        if "head/kernel" in canonical:
            info["classes"] = int(canonical["head/kernel"].shape[1])
            info["class_names"] = class_names(config, info["classes"])
        return info


TRANSFORMERS = Transformers()


def _read_config(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{path} is not a readable config.json ({error}); download it again.") from error


def with_config(arrays, folder):
    """transformers weights with the `config.json` of their `folder` beside them; other arrays as they are.

    transformers weights cannot be read without it (it alone gives the head count), so its absence is an error
    naming the file. A `config.json` beside other weights (a timm Hub repository's) is not theirs.
    """
    if not any(key.endswith(MARKER) for key in arrays):
        return arrays
    path = os.path.join(folder, CONFIG)
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"These are Hugging Face transformers weights, which need their {CONFIG} (head count, activation, "
            f"LayerNorm epsilon, resolution, labels) in the same directory; {folder or '.'} has none. Download it "
            f"from the model's Hub repository beside the weights, or pass weights='hf://ORG/NAME'. "
            f"Received: directory={folder!r}"
        )
    config = _read_config(path)
    check_config(config, path)
    return {**arrays, CONFIG: {**config, **_image_statistics(folder)}}


def _image_statistics(folder):
    """`image_mean` and `image_std` of the `preprocessor_config.json` beside the weights, where there is one."""
    path = os.path.join(folder, PREPROCESSOR)
    if not os.path.isfile(path):
        return {}
    preprocessor = _read_config(path)
    if not preprocessor.get("do_normalize", True):
        return {"image_mean": [0.0] * 3, "image_std": [1.0] * 3}
    return {key: preprocessor[key] for key in ("image_mean", "image_std") if key in preprocessor}


def pixels_of(config):
    """The pixel statistics the weights were trained with: the preprocessor's `image_mean`/`image_std`, else the
    image processors' defaults, 0.5 and 0.5 (`IMAGENET_STANDARD_*` in transformers' `ViTImageProcessor` and
    `DeiTImageProcessor` alike; Facebook's DeiT repositories say ImageNet's in their preprocessor_config.json)."""
    if "image_mean" in config and "image_std" in config:
        return (tuple(config["image_mean"]), tuple(config["image_std"]))
    return "inception"


# The inverse tables, for `from_canonical`.
_BLOCK_MODULES = {name: (module, convert) for module, (name, convert) in BLOCK_NAMES.items()}
_TOP_MODULES = {
    "embedding": "embeddings.patch_embeddings.projection",
    "Transformer/encoder_norm": "layernorm",
    "pre_logits": "pooler.dense",
}
_TOKEN_NAMES = {name: key for key, name in TOKENS.items()}
# The task model of each head layout: (architecture, model_type, {canonical head: transformers head}).
TASK_MODELS = {
    ("head",): ("ViTForImageClassification", "vit", {"head": "classifier"}),
    ("dist", "head"): ("DeiTForImageClassification", "deit", {"head": "classifier"}),
    ("dist", "head", "head_dist"): (
        "DeiTForImageClassificationWithTeacher",
        "deit",
        {"head": "cls_classifier", "head_dist": "distillation_classifier"},
    ),
    (): ("ViTModel", "vit", {}),
    ("dist",): ("DeiTModel", "deit", {}),
}


def _to_torch(name, value):
    """A canonical `name` (`.../kernel`, `/bias`, `/scale`) and array → transformers' (`weight` or `bias`, array)."""
    layer, _, kind = name.rpartition("/")
    if kind == "kernel":
        return layer, "weight", value.transpose(3, 2, 0, 1) if value.ndim == 4 else value.T
    return layer, "weight" if kind == "scale" else "bias", value


def _block_to_torch(rest, value, out, layer):
    """One canonical array of a block (`rest` after `Transformer/encoderblock_{i}/`) into `out`; False if none."""
    attention = "MultiHeadDotProductAttention_1/"
    if rest.startswith(attention):
        name, _, kind = rest.removeprefix(attention).partition("/")
        if name in ("query", "key", "value"):  # (hidden, heads, head_dim) → (heads * head_dim, hidden)
            value = value.reshape(value.shape[0], -1).T if kind == "kernel" else value.reshape(-1)
            out[f"{layer}attention.attention.{name}.{'weight' if kind == 'kernel' else 'bias'}"] = value
            return True
        if name == "out":  # (heads, head_dim, hidden) → (hidden, heads * head_dim)
            value = value.reshape(-1, value.shape[-1]).T if kind == "kernel" else value
            out[f"{layer}attention.output.dense.{'weight' if kind == 'kernel' else 'bias'}"] = value
            return True
        return False
    module, kind, value = _to_torch(rest, value)
    if module not in _BLOCK_MODULES:
        return False
    out[f"{layer}{_BLOCK_MODULES[module][0]}.{kind}"] = value
    return True


def task_model(params):
    """`(architecture, model_type, heads)` of transformers' task model for these canonical arrays."""
    if "cls" not in params:
        raise ValueError(
            "transformers' ViT and DeiT classify from a class token; a classifier='gap' model has none. Received: "
            "classifier='gap'"
        )
    layout = tuple(name for name in ("dist", "head", "head_dist") if f"{name}/kernel" in params or name in params)
    if layout not in TASK_MODELS:
        raise ValueError(f"transformers has no ViT or DeiT model with these heads. Received: {layout}")
    if "pre_logits/kernel" in params and "head/kernel" in params:
        raise ValueError(
            "transformers' ViTForImageClassification has no pre_logits layer before its classifier; export a model "
            "built with representation_size=None. Received: a pre_logits layer"
        )
    return TASK_MODELS[layout]


def from_canonical(params):
    """The canonical arrays of a ViT or DeiT → a transformers state dict (`{name: float32 array}`), as its task
    model (`task_model`) names them."""
    _, model_type, heads = task_model(params)
    base = MODEL_TYPES[model_type] if heads else ""  # the task models nest the base model under its prefix
    out, unplaced = {}, []
    for key, value in params.items():
        value = np.asarray(value, dtype="float32")
        if match := re.fullmatch(r"Transformer/encoderblock_(\d+)/(.+)", key):
            if not _block_to_torch(match.group(2), value, out, f"{base}encoder.layer.{match.group(1)}."):
                unplaced.append(key)
        elif key in _TOKEN_NAMES:
            out[base + _TOKEN_NAMES[key]] = value
        elif key == npz.POSEMB_KEY:
            out[f"{base}embeddings.position_embeddings"] = value
        elif (layer := key.rpartition("/")[0]) in _TOP_MODULES or layer in heads:
            layer, kind, value = _to_torch(key, value)
            out[f"{base}{_TOP_MODULES[layer]}.{kind}" if layer in _TOP_MODULES else f"{heads[layer]}.{kind}"] = value
        else:
            unplaced.append(key)
    if unplaced:
        raise ValueError(
            "transformers' ViT and DeiT have no place for these parts (LayerScale, register tokens, fc_norm, a "
            f"hybrid stem, relative position attention); export a ViT or DeiT. Received: {sorted(unplaced)[:6]}"
        )
    return {key: np.ascontiguousarray(value) for key, value in out.items()}


def config_for(params, *, gelu, layer_norm_epsilon, image_size, class_names=None):
    """transformers' `config.json` (a dict) for the canonical arrays and the numerics of the model they came from."""
    architecture, model_type, _ = task_model(params)
    kernel = params["embedding/kernel"]
    query = params["Transformer/encoderblock_0/MultiHeadDotProductAttention_1/query/kernel"]
    config = dict(
        architectures=[architecture],
        model_type=model_type,
        image_size=image_size,
        patch_size=int(kernel.shape[0]),
        num_channels=int(kernel.shape[2]),
        hidden_size=int(kernel.shape[-1]),
        num_hidden_layers=npz.block_count(params),
        num_attention_heads=int(query.shape[1]),
        intermediate_size=int(params["Transformer/encoderblock_0/MlpBlock_3/Dense_0/kernel"].shape[1]),
        hidden_act=HIDDEN_ACT_OF[gelu],
        layer_norm_eps=layer_norm_epsilon,
        qkv_bias=True,
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
        initializer_range=0.02,
        encoder_stride=int(kernel.shape[0]),
    )
    if "pre_logits/kernel" in params:
        config["pooler_output_size"] = int(params["pre_logits/kernel"].shape[1])
    if "head/kernel" in params:
        classes = int(params["head/kernel"].shape[1])
        names = list(class_names) if class_names is not None else [f"LABEL_{i}" for i in range(classes)]
        config["id2label"] = {str(i): name for i, name in enumerate(names)}
        config["label2id"] = {name: i for i, name in enumerate(names)}
    return config
