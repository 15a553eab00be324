"""`model_from_checkpoint`: the model a checkpoint describes, built and loaded (`keras-vit convert`, `create_model`
of a Hub name or directory).

The architecture is read from the checkpoint itself (its format adapter's `describe`, `keras_vit.weights.formats`):
width, depth, heads, MLP, patch, classifier, pre-logits, classes, resolution, the ResNet stem of a hybrid, DeiT's
distillation token and second head; a transformers `config.json` adds the numerics, the labels and its resize.
"""

from keras_vit.models.bit import build_bit
from keras_vit.models.deit import DISTILLED_TOKENS, build_deit
from keras_vit.models.hybrid import build_hybrid
from keras_vit.models.vit import build_vit
from keras_vit.weights import load

# timm files store no head count: timm's widths and their heads (head width 64; H/14: 80).
TIMM_HEADS = {192: 3, 384: 6, 512: 8, 768: 12, 1024: 16, 1280: 16}


def _num_heads(info, kwargs):
    """The checkpoint's head count, else the one passed (`num_heads=`), else timm's for the width."""
    heads = kwargs.pop("num_heads", None)
    if "num_heads" in info:
        return info["num_heads"]
    heads = heads or TIMM_HEADS.get(info["hidden_size"])
    if heads is None:
        raise ValueError(
            "This checkpoint does not store its number of attention heads (timm's fused qkv); pass it: "
            f"model_from_checkpoint(path, num_heads=...). Received: hidden_size={info['hidden_size']}"
        )
    return heads


def _deit_family(info):
    """`build_deit`'s arguments for a timm/DeiT file with DeiT's variations, or None for a plain ViT."""
    if not (info.get("distilled") or info.get("layer_scale") or info.get("fc_norm")):
        return None
    return dict(
        distilled=info["distilled"],
        layer_scale=1e-6 if info["layer_scale"] else None,  # the file has the trained scales; DeiT III's start
        fc_norm=info["fc_norm"],
        class_token="cls" in info["prefix_tokens"],
    )


def _file_pixels(info):
    """The pixel statistics of a file that does not say (a PyTorch state dict): ImageNet's for DeiT's families
    (a distillation token, LayerScale: DeiT, DeiT III), else [-1, 1] (timm's and Google's ViTs, mean = std = 0.5)."""
    return "imagenet" if info.get("distilled") or info.get("layer_scale") else "inception"


def model_from_checkpoint(path, **kwargs):
    """Builds the model a checkpoint describes and loads it.

    Args:
        path: a checkpoint file (official or big_vision `.npz`, timm/DeiT `.safetensors`/`.pth`, ...), a model
            directory (`config.json` and weights, as transformers' `save_pretrained` writes it) or a Hugging Face Hub
            name `hf://ORG/NAME[@REVISION]`.
        **kwargs: any builder argument (`image_size`, `classes`, `include_top`, `gelu`, ...); the checkpoint's
            where not given; `num_heads` for a timm file of a width timm's models do not have; `pixels` for a
            PyTorch file trained on other pixel statistics than `_file_pixels` assumes (a state dict does not say;
            e.g. `pixels="imagenet"` for a plain DeiT's `.pth`).

    Returns:
        The `keras.Model`, its weights loaded.
    """
    source = load.resolve(path)
    if source.kind != "npz":
        raise ValueError(
            f"A .keras or .weights.h5 file holds no description of its model: load it with keras.saving.load_model, "
            f"or pass its weights to the model's constructor. Received: path={source.path!r}"
        )
    info = load.describe(source)
    if (
        info.get("family") == "bit"
    ):  # BiT's ResNet: stages, width and root from the file (a small root's stride: kwargs)
        bit = dict(blocks=info["blocks"], width_factor=info["width_factor"], root_kernel_size=info["root_kernel_size"])
        return build_bit(**bit, weights=source, name=kwargs.pop("name", "bit"), **kwargs)
    keys = ("patch_size", "hidden_size", "depth", "mlp_dim", "classifier", "register_tokens")
    config = {k: info[k] for k in keys}
    config["num_heads"] = _num_heads(info, kwargs)
    if info["posemb"] == "none":
        config["posemb"] = "none"
    # The source framework's own resize, and the file's numerics where a family builder has defaults of its own.
    for option in ("posemb_interpolation", "gelu", "layer_norm_epsilon"):
        if option in info:
            kwargs.setdefault(option, info[option])
    kwargs.setdefault("pixels", info.get("pixels") or _file_pixels(info))
    if "resnet_blocks" in info:  # a hybrid: `conv_root/kernel` and `block{s}/unit{u}/...`
        resnet = dict(resnet_blocks=info["resnet_blocks"], resnet_width=info["resnet_width"])
        return build_hybrid(**config, **resnet, weights=source, name=kwargs.pop("name", "vit_hybrid"), **kwargs)
    family = _deit_family(info)
    if family is not None:  # DeiT's two heads, DeiT III's LayerScale, timm's fc_norm
        config.pop("classifier")
        return build_deit(**config, **family, weights=source, name=kwargs.pop("name", "deit"), **kwargs)
    if info.get("prefix_tokens") == DISTILLED_TOKENS:  # transformers' DeiTForImageClassification: one head
        config["prefix_tokens"] = DISTILLED_TOKENS
    return build_vit(**config, weights=source, name=kwargs.pop("name", "vit"), **kwargs)
