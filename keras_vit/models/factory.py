"""`create_model` and `list_models`: models by name, as timm users know them.

Names are the catalog's (`vit_b16`, `vit_r50_b16`, ...) or timm's (`vit_base_patch16_384.augreg_in21k_ft_in1k`,
`vit_base_r50_s16_384.orig_in21k_ft_in1k`): a timm name sets the resolution, and its pretrained tag picks the
checkpoint of that resolution. Both come from the preset table: a model's `timm` architecture name, a
checkpoint's `timm` name with its tag. A Hugging Face Hub name (`hf://google/vit-base-patch16-224`) or a model
directory (`save_pretrained`'s) is built as its `config.json` describes it, as keras-hub's `from_preset` does.
"""

import fnmatch
import os
import re

from keras_vit.models import presets
from keras_vit.models.catalog import CONSTRUCTORS
from keras_vit.models.from_checkpoint import model_from_checkpoint
from keras_vit.weights import hub


class UnknownModelError(ValueError):
    """A name that is neither in the catalog nor a timm name of a catalog model."""


def _from_timm(base):
    """`(catalog name, image size)` of a timm architecture name (`vit_base_patch16_384`,
    `deit_small_distilled_patch16_224`, `deit3_base_patch16_384`), or None."""
    match = re.fullmatch(r"((?:vit|deit3?)_[a-z0-9_]+?)_(\d+)", base)
    if not match:
        return None
    stem, size = match.group(1), int(match.group(2))
    name = next((n for n, preset in presets.MODELS.items() if preset.timm == stem and n in CONSTRUCTORS), None)
    return None if name is None else (name, size)


def _timm_tag(checkpoint):
    return (checkpoint.timm or "").partition(".")[2]


def _weights_for_tag(name, catalog_name, tag, image_size):
    """The checkpoint name of `catalog_name` that timm's `tag` at `image_size` stands for."""
    known_tags = sorted({_timm_tag(c) for c in presets.CHECKPOINTS} - {""})
    if tag not in known_tags:
        raise ValueError(f"Unknown pretrained tag in {name!r}; known tags: {known_tags}")
    variant = CONSTRUCTORS[catalog_name].variant
    family = [c for c in presets.checkpoints_of(variant) if _timm_tag(c) == tag]
    for checkpoint in family:
        if checkpoint.image_size == image_size:
            return checkpoint.name
    if not family:
        raise ValueError(f"No {tag} checkpoint is registered for {variant}. Received: name={name!r}")
    released = ", ".join(f"{c.image_size} px" for c in family)
    raise ValueError(
        f"No {tag} checkpoint of {variant} at {image_size} px (released: {released}). To start from one at another "
        f"resolution (position embedding resampled): create_model({catalog_name!r}, weights={family[0].name!r}, "
        f"image_size={image_size}). Received: name={name!r}"
    )


def create_model(name, weights=None, **kwargs):
    """Builds a named model; any other keyword goes to its constructor (`classes=10`, `include_top=False`, ...).

    Args:
        name: a catalog name (`"vit_b16"`, `"vit_r50_b16"`; `list_models()`), or a timm name with its resolution
            and optional pretrained tag (`"vit_base_patch16_384.augreg_in21k_ft_in1k"`), which sets
            `image_size` and `weights` (the registered checkpoint of that resolution); or a Hugging Face Hub name
            `hf://ORG/NAME[@REVISION]` or a model directory (config.json and weights), whose architecture,
            numerics, resolution and class names the model takes (`weights` then stays None).
        weights: as for the constructors (`None`, a registered name, a file path, `hf://ORG/NAME`); not with a
            tagged timm name.

    Returns:
        The Keras model, as `keras_vit.ViTB16(...)` etc. would build it.

    Example:
        >>> model = keras_vit.create_model("hf://google/vit-base-patch16-224")
    """
    if hub.is_hub_name(name) or os.path.isdir(name):
        if weights is not None:
            raise ValueError(
                f"{name!r} names its weights already; drop `weights={weights!r}`, or build a named model with "
                f"create_model('vit_b16', weights={name!r}). Received: weights={weights!r}"
            )
        return model_from_checkpoint(name, **kwargs)
    base, _, tag = name.partition(".")
    if base in CONSTRUCTORS:
        if tag:
            raise ValueError(
                f"Catalog names take weights by keyword: create_model({base!r}, weights=...). Received: name={name!r}"
            )
        return CONSTRUCTORS[base](weights=weights, **kwargs)
    timm = _from_timm(base)
    if timm is None:
        raise UnknownModelError(
            f"Unknown model name. Known: {sorted(CONSTRUCTORS)}, or timm's names of these "
            f"(e.g. 'vit_base_patch16_224', 'vit_base_r50_s16_384.orig_in21k_ft_in1k'). Received: name={name!r}"
        )
    catalog_name, size = timm
    if tag:
        if weights is not None:
            raise ValueError(f"{name!r} names its weights already; drop either the tag or `weights={weights!r}`")
        weights = _weights_for_tag(name, catalog_name, tag, size)
    image_size = kwargs.pop("image_size", None)
    if image_size not in (None, size):
        raise ValueError(
            f"{name!r} is a {size}-px model; for another resolution use create_model({catalog_name!r}, "
            f"image_size=...). Received: image_size={image_size}"
        )
    return CONSTRUCTORS[catalog_name](weights=weights, image_size=size, **kwargs)


def list_models(pattern="*", pretrained=False):
    """Catalog names matching the shell-style `pattern`; with `pretrained`, only those with registered weights."""
    names = sorted(n for n in CONSTRUCTORS if fnmatch.fnmatch(n, pattern))
    if pretrained:
        names = [n for n in names if presets.weights_names(getattr(CONSTRUCTORS[n], "variant", None))]
    return names
