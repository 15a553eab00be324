"""Where a run's model comes from: a saved `.keras` file, a small model of the recipes, or a catalog / timm name.

`load_or_build_model` is the one resolver of a `--model` value: `train`, `pretrain-mpp` and the commands that
take `--model` (fewshot, analyze, export) all call it.
"""

import keras

from keras_vit.models.factory import UnknownModelError, create_model
from keras_vit.training import recipes


def load_or_build_model(model, *, weights=None, image_size=None, classes=None, **kwargs):
    """The model that `model` names: a `.keras` file (loaded uncompiled), a small model of `recipes.MODELS`, or a
    catalog / timm name (`create_model`). `kwargs` (dropout, drop_path, ...) go to the builder.

    `classes=None` keeps a saved model's head and a checkpoint's class count; a saved model whose head has another
    size is refused (a new head needs a built model: a name with `weights`, or `init_from` in training).
    """
    if model.endswith(".keras"):
        return _load_saved_model(model, classes)
    if model in recipes.MODELS:
        return _build_small_model(model, weights=weights, image_size=image_size, classes=classes, **kwargs)
    try:
        return create_model(model, weights=weights, image_size=image_size, classes=classes, **kwargs)
    except UnknownModelError as error:
        raise UnknownModelError(f"{error}. The recipes' small models: {sorted(recipes.MODELS)}") from None


def build_model(config, num_classes):
    """The model a `TrainConfig` names, with `num_classes` outputs, started from `config.init_from` when set."""
    if config.init_from and (config.weights is not None or config.model.endswith(".keras")):
        raise ValueError(
            "`init_from` starts a newly built model; it cannot be combined with `weights` or a `.keras` model. "
            f"Received: init_from={config.init_from!r}, model={config.model!r}, weights={config.weights!r}"
        )
    model = load_or_build_model(
        config.model,
        weights=config.weights,
        image_size=config.image_size,
        classes=num_classes,
        dropout=config.dropout,
        drop_path=config.drop_path,
    )
    if config.init_from:
        from keras_vit.weights.transfer import transfer_weights

        source = keras.saving.load_model(config.init_from, compile=False)
        copied = transfer_weights(source, model)
        print(f"Started {len(copied)} layers of {model.name} from {config.init_from} (the head is new).")
    return model


def _load_saved_model(path, classes):
    model = keras.saving.load_model(path, compile=False)
    if classes is not None and model.output_shape[-1] != classes:
        raise ValueError(
            f"The saved model predicts {model.output_shape[-1]} classes but {classes} are needed (the dataset's); "
            f"start a named model with --weights (or --init-from) instead. Received: model={path!r}, classes={classes}"
        )
    return model


def _build_small_model(name, *, weights, image_size, classes, **kwargs):
    if weights is not None:
        raise ValueError(
            f"{name!r} is defined here and has no released weights; use a catalog model (vit_b16, ...) "
            f"with --weights. Received: weights={weights!r}"
        )
    build, arguments = recipes.MODELS[name]
    arguments = dict(arguments, **kwargs)
    if image_size is not None:
        arguments["image_size"] = image_size
    return build(classes=classes, name=name, **arguments)
