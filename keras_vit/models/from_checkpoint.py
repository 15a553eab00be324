"""`model_from_checkpoint`: the model an official `.npz` describes, built and loaded (`keras-vit convert`).

The architecture is read from the checkpoint itself (its format adapter's `describe`, `keras_vit.weights.formats`): width, depth,
heads, MLP, patch, classifier, pre-logits, classes, resolution, and the ResNet stem of a hybrid.
"""

from keras_vit.models.hybrid import build_hybrid
from keras_vit.models.vit import build_vit
from keras_vit.weights import load


def model_from_checkpoint(path, **kwargs):
    """Builds the model a checkpoint (official or big_vision `.npz`) describes and loads it; `kwargs` go to the
    builder."""
    source = load.Source("npz", str(path))
    info = load.describe(source)
    keys = ("patch_size", "hidden_size", "depth", "num_heads", "mlp_dim", "classifier", "register_tokens")
    config = {k: info[k] for k in keys}
    if info["posemb"] == "none":
        config["posemb"] = "none"
    if "resnet_blocks" in info:  # a hybrid: `conv_root/kernel` and `block{s}/unit{u}/...`
        resnet = dict(resnet_blocks=info["resnet_blocks"], resnet_width=info["resnet_width"])
        return build_hybrid(**config, **resnet, weights=source, name=kwargs.pop("name", "vit_hybrid"), **kwargs)
    return build_vit(**config, weights=source, name=kwargs.pop("name", "vit"), **kwargs)
