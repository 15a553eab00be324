"""BiT's `.npz` (google-research/big_transfer, `https://storage.googleapis.com/bit_models/BiT-{S,M}-R*.npz`) →
the canonical names of a keras_vit BiT model.

BiT's layout, as its loaders read it (`bit_pytorch/models.py:load_from`, `bit_jax/tf2jax.py`):

    resnet/root_block/standardized_conv2d/kernel                       (7, 7, 3, 64·w)
    resnet/block{s}/unit{uu}/{a,b,c}/standardized_conv2d/kernel        conv1 1×1, conv2 3×3, conv3 1×1
    resnet/block{s}/unit{uu}/{a,b,c}/group_norm/{gamma,beta}           gn1 (before conv1), gn2, gn3
    resnet/block{s}/unit{uu}/a/proj/standardized_conv2d/kernel         the projection shortcut (first units)
    resnet/group_norm/{gamma,beta}                                     the pre-head GroupNorm
    resnet/head/conv2d/{kernel (1, 1, C, classes), bias}               the head, a 1×1 convolution

The canonical names are the model's layers' (`npz.layer_variables`): `root_block/kernel`,
`block{s}/unit{uu}/{conv1,gn1,...,conv_proj}/...` (BiT-JAX's names, GroupNorm `scale`/`bias`),
`norm_pre_head/{scale,bias}` and `head/{kernel (C, classes), bias}`. A key this layout does not know is passed
on unchanged, so loading names it as unexpected.
"""

import re

ROOT_KEY = "resnet/root_block/standardized_conv2d/kernel"
_GROUPS = {"a": "1", "b": "2", "c": "3"}
_NORM = {"gamma": "scale", "beta": "bias"}
_UNIT = re.compile(r"resnet/(block\d+)/(unit\d+)/(.+)")


def _unit_key(rest):
    """`a/standardized_conv2d/kernel` → `conv1/kernel`, ...; None for a name BiT units do not have."""
    if rest == "a/proj/standardized_conv2d/kernel":
        return "conv_proj/kernel"
    if m := re.fullmatch(r"([abc])/standardized_conv2d/kernel", rest):
        return f"conv{_GROUPS[m.group(1)]}/kernel"
    if m := re.fullmatch(r"([abc])/group_norm/(gamma|beta)", rest):
        return f"gn{_GROUPS[m.group(1)]}/{_NORM[m.group(2)]}"
    return None


def canonical_key(key):
    """BiT's name of one array → the canonical name (None for a name outside BiT's layout)."""
    if key == ROOT_KEY:
        return "root_block/kernel"
    if m := re.fullmatch(r"resnet/group_norm/(gamma|beta)", key):
        return f"norm_pre_head/{_NORM[m.group(1)]}"
    if m := re.fullmatch(r"resnet/head/conv2d/(kernel|bias)", key):
        return f"head/{m.group(1)}"
    if (m := _UNIT.fullmatch(key)) and (rest := _unit_key(m.group(3))):
        return f"{m.group(1)}/{m.group(2)}/{rest}"
    return None


def stage_units(keys):
    """Units per stage, `(3, 4, 6, 3)`, from the `block{s}/unit{uu}/` names (BiT's or the canonical ones)."""
    units = {}
    for key in keys:
        if m := re.match(r"(?:resnet/)?block(\d+)/unit(\d+)/", key):
            stage, unit = int(m.group(1)), int(m.group(2))
            units[stage] = max(units.get(stage, 0), unit)
    return tuple(units[s] for s in sorted(units))


class BiT:
    """The `.npz` of BiT-S / BiT-M and their fine-tunes (pre-activation ResNet v2, GroupNorm, weight standardisation)."""

    name = "BiT .npz"

    def detect(self, keys):
        return ROOT_KEY in keys

    def to_canonical(self, arrays):
        out = {}
        for key, value in arrays.items():
            name = canonical_key(key)
            if name == "head/kernel" and value.ndim == 4:  # the 1×1 convolution as the Dense kernel it equals
                value = value.reshape(value.shape[-2], value.shape[-1])
            out[name or key] = value
        return out

    def describe(self, arrays):
        """`family` "bit", `blocks` (units per stage), `depth` (3 convolutions a unit + the root + the head: 50, 101,
        152), `width_factor` (root channels / 64), `root_kernel_size`, and `classes` when the file has a head."""
        root = arrays[ROOT_KEY]
        blocks = stage_units(arrays)
        width = root.shape[-1] / 64
        info = dict(
            family="bit",
            blocks=blocks,
            depth=3 * sum(blocks) + 2,
            width_factor=int(width) if width == int(width) else width,
            root_kernel_size=int(root.shape[0]),
        )
        if "resnet/head/conv2d/kernel" in arrays:
            info["classes"] = int(arrays["resnet/head/conv2d/kernel"].shape[-1])
        return info


ADAPTER = BiT()
