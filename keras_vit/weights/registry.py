"""Registered official checkpoints: names → URL, hash, resolution, classes, source.

Every entry is a file of the public `vit_models` bucket of google-research/vision_transformer:

- `imagenet21k`: the original ViT paper's ImageNet-21k pre-trained files (224 px, 21843 classes, with the
  `pre_logits` representation layer, width = hidden size).
- `imagenet21k+imagenet2012`: the same models fine-tuned on ImageNet-1k (384 px, 1000 classes, no pre_logits);
  `imagenet21k+imagenet2012_224` is the 224 px fine-tune, released for B/16 and L/16 only.
- `augreg_in21k`: the AugReg ("How to train your ViT?") ImageNet-21k checkpoints recommended in the official
  README (B/8: timm's; 224 px, 21843 classes, no pre_logits); `augreg_in21k_ft_in1k_384` its ImageNet-1k
  fine-tune from that README table, `augreg_in21k_ft_in1k` the 224 px ImageNet-1k fine-tune timm uses (for S/32,
  B/32, L/16 and R26+S/32 that one starts from another AugReg ImageNet-21k run; see the URL).
- `imagenet` is an alias: `augreg_in21k_ft_in1k` where it exists, else `imagenet21k+imagenet2012`.

No SHA-256 of these files is published, so `file_hash` is None for all of them. `register` adds or replaces
entries, e.g. a private mirror: `register(dataclasses.replace(get("B/16", "imagenet"), url=..., file_hash=...))`.
Note that the two original directories share basenames (`ViT-B_16.npz`), so cache by full URL, not basename.
"""

import dataclasses

BASE_URL = "https://storage.googleapis.com/vit_models/"


@dataclasses.dataclass(frozen=True)
class Checkpoint:
    """One downloadable checkpoint of a variant."""

    variant: str  # "B/16", "R50+B/16", "R26+S/32", "R+Ti/16", "R50+L/32", ...
    name: str  # "imagenet21k", "imagenet21k+imagenet2012", "augreg_in21k", "augreg_in21k_ft_in1k", ...
    url: str  # full URL
    file_hash: str | None  # sha256 or None
    image_size: int
    classes: int
    representation_size: int | None  # pre_logits width or None
    source: str  # short human description incl. paper


# A name that stands for the first of its targets registered for the variant.
ALIASES = {"imagenet": ("augreg_in21k_ft_in1k", "imagenet21k+imagenet2012")}

_VIT = "ViT, Dosovitskiy et al. 2020, arXiv 2010.11929"
_AUGREG = "AugReg, Steiner et al. 2021, arXiv 2106.10270"
_IN21K, _IN1K = 21843, 1000

# File names: `gsutil ls gs://vit_models/imagenet*` output in google-research/vision_transformer vit_jax.ipynb;
# pre_logits widths: timm vision_transformer.py / vision_transformer_hybrid.py `*_in21k` defs (2020-2021).
# variant, file stem, pre_logits width of the ImageNet-21k file, fine-tuned resolutions released
_ORIGINAL = (
    ("B/16", "ViT-B_16", 768, (384, 224)),
    ("B/32", "ViT-B_32", 768, (384,)),
    ("L/16", "ViT-L_16", 1024, (384, 224)),
    ("L/32", "ViT-L_32", 1024, (384,)),
    ("H/14", "ViT-H_14", 1280, ()),
    ("R50+B/16", "R50+ViT-B_16", 768, (384,)),
)
# ImageNet-21k files whose 21843-class head is all zeros (timm vision_transformer.py notes, 2021): features only.
_ZERO_HEAD = ("L/32", "H/14")

# File names: google-research/vision_transformer README.md "Available ViT models" table (ImageNet-21k file and
# its res_384 fine-tune); res_224 fine-tunes (and all of B/8): timm vision_transformer{,_hybrid}.py `augreg_*` cfgs.
# variant, ImageNet-21k stem, res_384 fine-tune lr (None: not released), res_224 fine-tune lr
_FT = "--imagenet2012-steps_20k-lr_{}-res_{}"
_AUGREG_FILES = (
    ("Ti/16", "Ti_16-i21k-300ep-lr_0.001-aug_none-wd_0.03-do_0.0-sd_0.0", "0.03", "0.03"),
    ("S/16", "S_16-i21k-300ep-lr_0.001-aug_light1-wd_0.03-do_0.0-sd_0.0", "0.03", "0.03"),
    ("S/32", "S_32-i21k-300ep-lr_0.001-aug_none-wd_0.1-do_0.0-sd_0.0", "0.01", "0.03"),
    ("B/8", "B_8-i21k-300ep-lr_0.001-aug_medium1-wd_0.1-do_0.0-sd_0.0", None, "0.01"),
    ("B/16", "B_16-i21k-300ep-lr_0.001-aug_medium1-wd_0.1-do_0.0-sd_0.0", "0.03", "0.01"),
    ("B/32", "B_32-i21k-300ep-lr_0.001-aug_light1-wd_0.1-do_0.0-sd_0.0", "0.01", "0.03"),
    ("L/16", "L_16-i21k-300ep-lr_0.001-aug_strong1-wd_0.1-do_0.0-sd_0.0", "0.01", "0.01"),
    ("R+Ti/16", "R_Ti_16-i21k-300ep-lr_0.001-aug_none-wd_0.03-do_0.0-sd_0.0", "0.03", "0.03"),
    ("R26+S/32", "R26_S_32-i21k-300ep-lr_0.001-aug_light1-wd_0.1-do_0.0-sd_0.0", "0.01", "0.03"),
    ("R50+L/32", "R50_L_32-i21k-300ep-lr_0.001-aug_medium1-wd_0.1-do_0.1-sd_0.1", "0.01", "0.01"),
)
# timm's res_224 fine-tunes that start from another ImageNet-21k run than the README's recommended one.
_AUGREG_224_STEMS = {
    "S/32": "S_32-i21k-300ep-lr_0.001-aug_light1-wd_0.03-do_0.0-sd_0.0",
    "B/32": "B_32-i21k-300ep-lr_0.001-aug_medium1-wd_0.03-do_0.0-sd_0.0",
    "L/16": "L_16-i21k-300ep-lr_0.001-aug_medium1-wd_0.1-do_0.1-sd_0.1",
    "R26+S/32": "R26_S_32-i21k-300ep-lr_0.001-aug_light0-wd_0.03-do_0.1-sd_0.1",
}

_REGISTRY: dict[str, dict[str, Checkpoint]] = {}


def register(checkpoint: Checkpoint) -> None:
    """Adds `checkpoint`, replacing any registered under the same variant and name."""
    if not isinstance(checkpoint, Checkpoint):
        raise TypeError(f"register() expects a Checkpoint. Received: checkpoint={checkpoint!r}")
    _REGISTRY.setdefault(checkpoint.variant, {})[checkpoint.name] = checkpoint


def _resolve(variant: str, name: str) -> Checkpoint | None:
    table = _REGISTRY.get(variant, {})
    if name in table:
        return table[name]
    for target in ALIASES.get(name, ()):
        if target in table:
            return table[target]
    return None


def names(variant: str) -> list[str]:
    """The names `get` accepts for `variant` (registered names, then aliases); [] if none."""
    registered = list(_REGISTRY.get(variant, {}))
    return registered + [a for a in ALIASES if a not in registered and _resolve(variant, a) is not None]


def variants() -> list[str]:
    """The variants with at least one registered checkpoint."""
    return [variant for variant, table in _REGISTRY.items() if table]


def get(variant: str, name: str) -> Checkpoint:
    """The checkpoint registered as `name` (or the alias `name`) for `variant`; ValueError if there is none."""
    checkpoint = _resolve(variant, name)
    if checkpoint is not None:
        return checkpoint
    known = names(variant)
    if known:
        message = f"Unknown weights name for variant {variant!r}. Known names: {known}. "
    else:
        message = f"No checkpoints are registered for variant {variant!r}; variants with checkpoints: {variants()}. "
    raise ValueError(message + f"Received: weights={name!r}")


def all_checkpoints() -> list[Checkpoint]:
    """Every registered checkpoint (aliases not repeated)."""
    return [checkpoint for table in _REGISTRY.values() for checkpoint in table.values()]


def _add(variant, name, path, image_size, classes, representation_size, source):
    register(Checkpoint(variant, name, BASE_URL + path, None, image_size, classes, representation_size, source))


def _register_official() -> None:
    for variant, stem, width, fine_tuned in _ORIGINAL:
        note = "; head is zeros (features only)" if variant in _ZERO_HEAD else ""
        _add(variant, "imagenet21k", f"imagenet21k/{stem}.npz", 224, _IN21K, width, f"{_VIT}; ImageNet-21k{note}")
        for res in fine_tuned:
            name, suffix = (
                ("imagenet21k+imagenet2012", "") if res == 384 else (f"imagenet21k+imagenet2012_{res}", f"-{res}")
            )
            path = f"imagenet21k+imagenet2012/{stem}{suffix}.npz"
            _add(variant, name, path, res, _IN1K, None, f"{_VIT}; ImageNet-21k, fine-tuned on ImageNet-1k at {res} px")
    for variant, stem, lr_384, lr_224 in _AUGREG_FILES:
        _add(variant, "augreg_in21k", f"augreg/{stem}.npz", 224, _IN21K, None, f"{_AUGREG}; ImageNet-21k, 300 epochs")
        path = f"augreg/{_AUGREG_224_STEMS.get(variant, stem)}{_FT.format(lr_224, 224)}.npz"
        source = f"{_AUGREG}; ImageNet-21k, fine-tuned on ImageNet-1k at {{}} px"
        _add(variant, "augreg_in21k_ft_in1k", path, 224, _IN1K, None, source.format(224))
        if lr_384 is not None:
            path = f"augreg/{stem}{_FT.format(lr_384, 384)}.npz"
            _add(variant, "augreg_in21k_ft_in1k_384", path, 384, _IN1K, None, source.format(384))


_register_official()
