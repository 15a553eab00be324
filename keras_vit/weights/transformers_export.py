"""`export_transformers`: a keras_vit ViT or DeiT as a Hugging Face transformers directory (`save_pretrained`'s).

The directory (`config.json` + `model.safetensors`) loads with `ViTForImageClassification.from_pretrained(path)`
(DeiT: `DeiTForImageClassification(WithTeacher)`; a model without its head: `ViTModel`) and gives the same logits:
the config carries the model's GELU form and LayerNorm epsilon, its resolution and its class names (`id2label`).
"""

import json
import os

from keras import ops

from keras_vit.layers import TransformerBlock
from keras_vit.layers.pixel_normalization import PIXEL_STATISTICS
from keras_vit.preprocessing import model_class_names
from keras_vit.weights import npz
from keras_vit.weights.hub import CONFIG, PREPROCESSOR, WEIGHTS_FILES
from keras_vit.weights.safetensors_file import write_safetensors
from keras_vit.weights.transformers_format import config_for, from_canonical


def _numerics(model):
    """The one GELU form and LayerNorm epsilon of the model (transformers' config has one of each)."""
    forms = {(layer.gelu, layer.layer_norm_epsilon) for layer in model.layers if isinstance(layer, TransformerBlock)}
    norms = {layer.epsilon for layer in model.layers if layer.name == "encoder_norm"}
    if len(forms) != 1 or not norms <= {next(iter(forms))[1]}:
        raise ValueError(
            "transformers' config has one activation and one LayerNorm epsilon for the whole model; this model's "
            f"blocks and encoder_norm differ. Received: blocks (gelu, epsilon)={sorted(forms)}, encoder_norm={norms}"
        )
    return next(iter(forms))


def _image_size(model):
    """The resolution the model's position embedding is learned for (transformers resizes it for others)."""
    posemb = next((layer for layer in model.layers if layer.name == "posembed_input"), None)
    if posemb is None or getattr(posemb, "kind", None) != "learned":
        raise ValueError(
            "transformers' ViT has a learned 1-D position embedding; export a model built with posemb='learned'. "
            f"Received: posemb={getattr(posemb, 'kind', 'none')!r}"
        )
    patch = model.get_layer("embedding").patch_size
    height, width = (side * patch for side in posemb.grid_size)
    return height if height == width else [height, width]


def preprocessor_config(model, config):
    """transformers' `preprocessor_config.json` (a dict): resize to the model's resolution, pixels / 255, then the
    statistics the model's weights expect (its `PixelNormalization`'s, else keras_vit's [-1, 1]: 0.5 and 0.5)."""
    layer = next((layer for layer in model.layers if layer.name == "pixels"), None)
    mean, std = (layer.mean, layer.std) if layer is not None else PIXEL_STATISTICS["inception"]
    size = config["image_size"]
    height, width = (size, size) if isinstance(size, int) else size
    return dict(
        image_processor_type="DeiTImageProcessor" if config["model_type"] == "deit" else "ViTImageProcessor",
        do_resize=True,
        size={"height": height, "width": width},
        resample=2,  # bilinear
        do_rescale=True,
        rescale_factor=1 / 255,
        do_normalize=True,
        image_mean=list(mean),
        image_std=list(std),
    )


def export_transformers(model, path, class_names=None):
    """Writes `model` as a transformers `save_pretrained` directory: `config.json`, `preprocessor_config.json` (the
    pixel statistics the weights expect) and `model.safetensors` (float32).

    Args:
        model: a keras_vit ViT (class token, learned 1-D position embedding, no `pre_logits` before the head) or
            DeiT (distilled too); a model built with `include_top=False` becomes a `ViTModel`.
        path: the directory to write (created; files in it are replaced).
        class_names: one name per class for `id2label`; None: the names the model carries
            (`keras_vit.model_class_names`), else transformers' `LABEL_{i}`.

    Returns:
        The directory written.

    Example:
        >>> keras_vit.export_transformers(model, "my-vit")
        >>> transformers.ViTForImageClassification.from_pretrained("my-vit")
    """
    params = {key: ops.convert_to_numpy(variable) for key, variable in npz.variable_table(model).items()}
    state_dict = from_canonical(params)  # first: it names what transformers' ViT cannot hold
    gelu, epsilon = _numerics(model)
    if class_names is None:
        class_names = model_class_names(model)
    if class_names is not None and "head/kernel" in params and len(class_names) != params["head/kernel"].shape[1]:
        raise ValueError(
            f"`class_names` must have one name per class ({params['head/kernel'].shape[1]}). "
            f"Received: {len(class_names)} names"
        )
    config = config_for(
        params, gelu=gelu, layer_norm_epsilon=epsilon, image_size=_image_size(model), class_names=class_names
    )
    path = os.fspath(path)
    os.makedirs(path, exist_ok=True)
    for name, content in ((CONFIG, config), (PREPROCESSOR, preprocessor_config(model, config))):
        with open(os.path.join(path, name), "w", encoding="utf-8") as f:
            json.dump(content, f, indent=2)
    write_safetensors(state_dict, os.path.join(path, WEIGHTS_FILES[0]), metadata={"format": "pt"})
    return path
