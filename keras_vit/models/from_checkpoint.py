"""`model_from_checkpoint`: the model an official `.npz` describes, built and loaded (`keras-vit convert`).

The architecture is read from the checkpoint itself (`keras_vit.weights.npz.infer_config`): width, depth,
heads, MLP, patch, classifier, pre-logits, classes, resolution, and the ResNet stem of a hybrid.
"""

from keras_vit.models.hybrid import build_hybrid
from keras_vit.models.vit import build_vit
from keras_vit.weights import load, npz


def model_from_checkpoint(path, **kwargs):
    """Builds the model an official `.npz` describes and loads it; `kwargs` go to the builder."""
    params = npz.normalize(npz.read_npz(path))
    info = npz.infer_config(params)
    config = {k: info[k] for k in ("patch_size", "hidden_size", "depth", "num_heads", "mlp_dim", "classifier")}
    if info["posemb"] == "none":
        config["posemb"] = "none"
    source = load.Source("npz", str(path), params=params)
    if "resnet_blocks" in info:  # a hybrid: `conv_root/kernel` and `block{s}/unit{u}/...`
        resnet = dict(resnet_blocks=info["resnet_blocks"], resnet_width=info["resnet_width"])
        return build_hybrid(**config, **resnet, weights=source, name=kwargs.pop("name", "vit_hybrid"), **kwargs)
    return build_vit(**config, weights=source, name=kwargs.pop("name", "vit"), **kwargs)
