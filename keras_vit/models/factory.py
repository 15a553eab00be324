"""`create_model` and `list_models`: models by name, as timm users know them.

Names are the catalog's (`vit_b16`, `vit_r50_b16`, ...) or timm's (`vit_base_patch16_384.augreg_in21k_ft_in1k`,
`vit_base_r50_s16_384.orig_in21k_ft_in1k`): a timm name sets the resolution, and its pretrained tag picks the
registered checkpoint of that resolution.
"""

import fnmatch
import re

from keras_vit.models.catalog import CONSTRUCTORS
from keras_vit.weights import registry

_TIMM_WIDTHS = {"tiny": "ti", "small": "s", "base": "b", "large": "l", "huge": "h"}
_TIMM_HYBRIDS = {
    "vit_tiny_r_s16_p8": "vit_rti16",
    "vit_small_r26_s32": "vit_r26_s32",
    "vit_base_r26_s32": "vit_r26_b32",
    "vit_base_r50_s16": "vit_r50_b16",
    "vit_large_r50_s32": "vit_r50_l32",
}
# timm's pretrained tag → the registered names it covers (one per released resolution).
_TIMM_TAGS = {
    "orig_in21k": ("imagenet21k",),
    "orig_in21k_ft_in1k": ("imagenet21k+imagenet2012", "imagenet21k+imagenet2012_224"),
    "augreg_in21k": ("augreg_in21k",),
    "augreg_in21k_ft_in1k": ("augreg_in21k_ft_in1k", "augreg_in21k_ft_in1k_384"),
}


class UnknownModelError(ValueError):
    """A name that is neither in the catalog nor a timm name of a catalog model."""


def _from_timm(base):
    """`(catalog name, image size)` of a timm architecture name, or None."""
    match = re.fullmatch(r"(vit_[a-z0-9_]+?)_(\d+)", base)
    if not match:
        return None
    stem, size = match.group(1), int(match.group(2))
    if stem in _TIMM_HYBRIDS:
        return _TIMM_HYBRIDS[stem], size
    match = re.fullmatch(r"vit_(tiny|small|base|large|huge)_patch(\d+)", stem)
    if match and f"vit_{_TIMM_WIDTHS[match.group(1)]}{match.group(2)}" in CONSTRUCTORS:
        return f"vit_{_TIMM_WIDTHS[match.group(1)]}{match.group(2)}", size
    return None


def _weights_for_tag(name, catalog_name, tag, image_size):
    if tag not in _TIMM_TAGS:
        raise ValueError(f"Unknown pretrained tag in {name!r}; known tags: {sorted(_TIMM_TAGS)}")
    variant = CONSTRUCTORS[catalog_name].variant
    family = [c for c in _TIMM_TAGS[tag] if c in registry.names(variant)]
    for candidate in family:
        if registry.get(variant, candidate).image_size == image_size:
            return candidate
    if not family:
        raise ValueError(f"No {tag} checkpoint is registered for {variant}. Received: name={name!r}")
    released = ", ".join(f"{registry.get(variant, c).image_size} px" for c in family)
    raise ValueError(
        f"No {tag} checkpoint of {variant} at {image_size} px (released: {released}). To start from one at another "
        f"resolution (position embedding resampled): create_model({catalog_name!r}, weights={family[0]!r}, "
        f"image_size={image_size}). Received: name={name!r}"
    )


def create_model(name, weights=None, **kwargs):
    """Builds a named model; any other keyword goes to its constructor (`classes=10`, `include_top=False`, ...).

    Args:
        name: a catalog name (`"vit_b16"`, `"vit_r50_b16"`; `list_models()`), or a timm name with its resolution
            and optional pretrained tag (`"vit_base_patch16_384.augreg_in21k_ft_in1k"`), which sets
            `image_size` and `weights` (the registered checkpoint of that resolution).
        weights: as for the constructors (`None`, a registered name, a file path); not with a tagged timm name.

    Returns:
        The Keras model, as `keras_vit.ViTB16(...)` etc. would build it.
    """
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
        names = [n for n in names if registry.names(getattr(CONSTRUCTORS[n], "variant", ""))]
    return names
