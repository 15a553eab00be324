"""What every serving export checks of the model: a keras_vit classifier, its head, the size it serves at."""

import dataclasses
import os

import keras

from keras_vit.layers import PatchEncoder
from keras_vit.preprocessing import model_class_names


def _all_layers(layer):
    for sub in getattr(layer, "layers", ()):
        yield sub
        yield from _all_layers(sub)


def check_classifier(model):
    """The head layer and the (height, width) of the model's input; raises for models this export cannot serve."""
    try:
        inputs, outputs = model.inputs or (), model.outputs or ()
    except AttributeError:  # not a Model, or a Sequential model that was never built
        inputs, outputs = (), ()
    if not isinstance(model, keras.Model) or len(inputs) != 1 or len(outputs) != 1:
        raise ValueError(
            "keras_vit's export serves a keras_vit classifier: a built keras.Model with one image input "
            f"and one output. Received: model={getattr(model, 'name', model)!r}"
        )
    shape = tuple(model.inputs[0].shape)
    if len(shape) != 4 or shape[-1] != 3:
        raise ValueError(
            "keras_vit's export serves RGB images: the model input must be (batch, height, width, 3); "
            "rebuild the model with 3 input channels. "
            f"Received: model input shape={shape}"
        )
    if not any(isinstance(layer, PatchEncoder) for layer in _all_layers(model)):
        raise ValueError(
            "keras_vit's export bakes in keras_vit preprocessing ([0, 255] → [-1, 1]), so it only accepts "
            "keras_vit models (with a PatchEncoder `embedding`); export other models with "
            f"`model.export(path)`. Received: model={model.name!r}"
        )
    try:
        head = model.get_layer("head")
    except ValueError:
        head = None
    out_shape = tuple(model.outputs[0].shape)
    if not isinstance(head, keras.layers.Dense) or len(out_shape) != 2 or out_shape[-1] != head.units:
        raise ValueError(
            "keras_vit's export needs a classifier ending in the Dense `head` layer; build the model with "
            f"include_top=True. Received: model output shape={out_shape}"
        )
    return head, shape[1:3]


def serving_size(model_hw, image_size):
    if image_size is not None:
        if isinstance(image_size, int):
            image_size = (image_size, image_size)
        image_size = tuple(image_size)
        if len(image_size) != 2 or not all(isinstance(s, int) and s > 0 for s in image_size):
            raise ValueError(f"`image_size` must be an int or (height, width). Received: image_size={image_size!r}")
    if None in model_hw:
        if image_size is None:
            raise ValueError(
                "The model accepts any image size (dynamic_image_size=True); pass the resolution to serve at, "
                "e.g. image_size=224. Received: image_size=None"
            )
        return image_size
    if image_size is not None and image_size != tuple(model_hw):
        raise ValueError(
            f"The model runs at {tuple(model_hw)}; leave image_size=None (the serving graph resizes any "
            f"incoming image to it) or rebuild the model at the size you want. Received: image_size={image_size}"
        )
    return tuple(model_hw)


def outputs_logits(head):
    """True when the head has no activation (`classifier_activation=None`): the graph adds the softmax."""
    return getattr(head.activation, "__name__", None) == "linear"


@dataclasses.dataclass
class ServingPlan:
    """What an export serves, checked once for every format: the head, the size, the classes, the folder."""

    head: keras.layers.Dense
    size: tuple
    top_k: int
    class_names: list | None
    target: str  # path/model_name/version: the layout of TF Serving and OpenVINO Model Server


def _check_positive(name, value, why=""):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"`{name}` must be a positive integer{why}. Received: {name}={value!r}")


def serving_plan(model, path, image_size=None, top_k=5, class_names=None, version=1, model_name=None):
    """Checks the arguments every serving export shares and says where the export goes (it must not exist)."""
    _check_positive("version", version, " (the version directory of TF Serving / OpenVINO Model Server)")
    _check_positive("top_k", top_k)
    head, model_hw = check_classifier(model)
    size = serving_size(model_hw, image_size)
    if class_names is None:  # the names the model's weights gave it (a transformers id2label), if any
        class_names = model_class_names(model)
    if class_names is not None:
        class_names = [str(name) for name in class_names]
        if len(class_names) != head.units:
            raise ValueError(
                f"`class_names` must have one name per class ({head.units}). Received: {len(class_names)} names"
            )
    model_name = model_name or model.name
    if not model_name or os.sep in model_name or model_name in (".", ".."):
        raise ValueError(f"`model_name` must be a plain directory name. Received: model_name={model_name!r}")
    target = os.path.join(os.fspath(path), model_name, str(version))
    if os.path.exists(target):
        raise FileExistsError(
            f"{target} already exists; served versions are immutable, export with a higher `version` "
            f"or delete it. Received: version={version}"
        )
    return ServingPlan(head, size, min(top_k, head.units), class_names, target)
