"""The named models and their checkpoints: one table as data, `presets.toml` beside this file (as keras-hub's
`*_presets.py`, timm's `default_cfgs`), read once at import; this module holds the lookups over it.

`MODELS`: every model name → its builder and arguments. `kind` "paper" (the variants of the paper's Table 1,
arXiv 2010.11929, with their `keras.applications`-style constructor), "hybrid" (ResNet + ViT, official
`configs/models.py`) or "small" (the 28-px Fashion-MNIST models of the training recipes) or "deit" (DeiT, DeiT III); `family` the builder:
"vit" (`build_vit` / `ViT`), "hybrid" (`build_hybrid` / `ViTHybrid`), "conv_stem" (`conv_stem_vit`), "deit"
(`deit.build_deit`), "bit" (`bit.build_bit` / `BiTResNet`; kind "bit": BiT's ResNet v2, the paper's CNN baseline);
`timm` the
timm architecture name without its resolution.

`CHECKPOINTS`: every downloadable checkpoint, a file of the public `vit_models` bucket of
google-research/vision_transformer:

- `imagenet21k`: the original ViT paper's ImageNet-21k pre-trained files (224 px, 21843 classes, with the
  `pre_logits` representation layer, width = hidden size). File names: `gsutil ls gs://vit_models/imagenet*` in
  google-research/vision_transformer vit_jax.ipynb; pre_logits widths: timm's `*_in21k` defs (2020-2021).
  The L/32 and H/14 files have a 21843-class head of zeros (timm vision_transformer.py notes): features only.
- `imagenet21k+imagenet2012`: the same models fine-tuned on ImageNet-1k (384 px, 1000 classes, no pre_logits);
  `imagenet21k+imagenet2012_224` is the 224 px fine-tune, released for B/16 and L/16 only.
- `augreg_in21k`: the AugReg ("How to train your ViT?") ImageNet-21k checkpoints recommended in the official
  README (B/8: timm's; 224 px, 21843 classes, no pre_logits); `augreg_in21k_ft_in1k_384` its ImageNet-1k
  fine-tune from that README table, `augreg_in21k_ft_in1k` the 224 px ImageNet-1k fine-tune timm uses (for S/32,
  B/32, L/16 and R26+S/32 that one starts from another AugReg ImageNet-21k run; see the URL).
- BiT rows (format "bit", google-research/big_transfer's `bit_models` bucket): `imagenet2012` BiT-S,
  `imagenet21k` BiT-M, `imagenet21k+imagenet2012` BiT-M fine-tuned on ILSVRC-2012 (see presets.toml).
- `imagenet` is an alias (`ALIASES`): `augreg_in21k_ft_in1k` where it exists, else `imagenet21k+imagenet2012`.

No SHA-256 of these files is published, so `sha256` is None for all of them. All are JAX-trained: tanh GELU,
LayerNorm epsilon 1e-6. The two original directories share basenames (`ViT-B_16.npz`), so the loader caches by
folder and basename. Adding a checkpoint is adding one `[[checkpoints]]` block to `presets.toml`; `register` adds or replaces one at run time, e.g. a
private mirror: `register(dataclasses.replace(get_checkpoint("B/16", "imagenet"), url=..., sha256=...))`.
"""

import dataclasses
import tomllib
from importlib import resources

from keras_vit.weights.checkpoint import Checkpoint

KINDS = ("paper", "hybrid", "small", "deit", "bit")
FAMILIES = ("vit", "hybrid", "conv_stem", "deit", "bit")
TABLE = "presets.toml"


@dataclasses.dataclass(frozen=True)
class ModelPreset:
    """One named model: its builder `family` and the `arguments` that make it (sizes, stem, classifier)."""

    kind: str
    family: str
    arguments: dict
    variant: str | None = None  # "B/16", "R50+B/16"; the key of its checkpoints
    title: str | None = None  # "ViT-B/16", for docstrings
    constructor: str | None = None  # the public constructor, `keras_vit.ViTB16`
    timm: str | None = None  # timm's architecture name without the resolution: "vit_base_patch16"


def _arguments(row):
    """A row's builder arguments, TOML's arrays as the tuples the builders take (`resnet_blocks`)."""
    return {key: tuple(value) if isinstance(value, list) else value for key, value in row.items()}


def _read_table():
    """`MODELS` and `CHECKPOINTS` from `presets.toml`; a field a row leaves out is None."""
    text = resources.files(__package__).joinpath(TABLE).read_text(encoding="utf-8")
    table = tomllib.loads(text)
    models = {
        name: ModelPreset(**{**row, "arguments": _arguments(row["arguments"])}) for name, row in table["models"].items()
    }
    fields = [field.name for field in dataclasses.fields(Checkpoint)]
    checkpoints = [Checkpoint(**{name: row.get(name) for name in fields}) for row in table["checkpoints"]]
    return models, checkpoints


MODELS, CHECKPOINTS = _read_table()


# A name that stands for the first of its targets released for the variant.
ALIASES = {"imagenet": ("augreg_in21k_ft_in1k", "imagenet21k+imagenet2012", "fb_in22k_ft_in1k", "fb_in1k")}


def named(kind):
    """The presets of one `kind` ("paper", "hybrid", "small" or "deit"), in table order."""
    return {name: preset for name, preset in MODELS.items() if preset.kind == kind}


def model_of_variant(variant):
    """The preset name of a variant ("B/16" → "vit_b16"), or None."""
    return next((name for name, preset in MODELS.items() if variant and preset.variant == variant), None)


def checkpoints_of(variant):
    """The checkpoints of `variant`, in table order."""
    model = model_of_variant(variant)
    return [checkpoint for checkpoint in CHECKPOINTS if model is not None and checkpoint.model == model]


def _resolve(variant, name):
    table = {checkpoint.name: checkpoint for checkpoint in checkpoints_of(variant)}
    if name in table:
        return table[name]
    return next((table[target] for target in ALIASES.get(name, ()) if target in table), None)


def weights_names(variant):
    """The names `get_checkpoint` accepts for `variant` (its checkpoints, then aliases); [] if none."""
    names = [checkpoint.name for checkpoint in checkpoints_of(variant)]
    return names + [alias for alias in ALIASES if alias not in names and _resolve(variant, alias) is not None]


def variants_with_checkpoints():
    """The variants with at least one checkpoint."""
    return [preset.variant for preset in MODELS.values() if preset.variant and checkpoints_of(preset.variant)]


def get_checkpoint(variant, name):
    """The checkpoint `name` (or the alias `name`) of `variant`; ValueError naming the known ones if there is none."""
    checkpoint = _resolve(variant, name)
    if checkpoint is not None:
        return checkpoint
    known = weights_names(variant)
    if known:
        message = f"Unknown weights name for variant {variant!r}. Known names: {known}. "
    else:
        message = (
            f"No checkpoints are registered for variant {variant!r}; variants with checkpoints: "
            f"{variants_with_checkpoints()}. "
        )
    raise ValueError(message + f"Received: weights={name!r}")


def checkpoint_finder(variant):
    """`name → Checkpoint` of `variant`, what `weights.load.resolve` calls; None for a custom model."""
    if variant is None:
        return None
    return lambda name: get_checkpoint(variant, name)


def names_doc(variant):
    """The weights names of `variant` for a docstring."""
    names = weights_names(variant) if variant else []
    return ", ".join(repr(n) for n in names) if names else "none registered for this variant"


def register(checkpoint):
    """Adds `checkpoint` to `CHECKPOINTS`, replacing the row of the same model and name."""
    if not isinstance(checkpoint, Checkpoint) or checkpoint.model not in MODELS:
        raise TypeError(
            f"register() expects a Checkpoint whose `model` is a name of MODELS. Received: checkpoint={checkpoint!r}"
        )
    for i, row in enumerate(CHECKPOINTS):
        if (row.model, row.name) == (checkpoint.model, checkpoint.name):
            CHECKPOINTS[i] = checkpoint
            return
    CHECKPOINTS.append(checkpoint)
