"""`preprocess_input` and `decode_predictions`, as keras.applications users know them."""

import numpy as np
from keras import ops


def preprocess_input(x, data_format=None):
    """Scales pixels in [0, 255] to [-1, 1], the official ViT normalisation (keras "tf" mode).

    Args:
        x: images `(..., height, width, 3)`, uint8 or float, NumPy or tensor.
        data_format: accepted for keras.applications compatibility; only "channels_last".

    Returns:
        float32 images in [-1, 1] (a NumPy array for NumPy input).
    """
    if data_format not in (None, "channels_last"):
        raise ValueError(f"keras_vit models are channels_last. Received: data_format={data_format!r}")
    if isinstance(x, np.ndarray):
        return x.astype("float32") / 127.5 - 1.0
    return ops.cast(x, "float32") / 127.5 - 1.0


def decode_predictions(preds, top=5, class_names=None):
    """Top classes of each prediction as `(class_id, class_name, score)` tuples.

    Args:
        preds: `(batch, classes)` scores.
        top: how many per image.
        class_names: a list of names; without it, 1000-class ImageNet predictions are decoded by
            `keras.applications.imagenet_utils.decode_predictions` (which downloads the index once).
    """
    preds = np.asarray(preds)
    if preds.ndim != 2:
        raise ValueError(f"`preds` must be (batch, classes). Received: preds.shape={preds.shape}")
    if class_names is None:
        if preds.shape[1] != 1000:
            raise ValueError(
                "Without `class_names` only 1000-class ImageNet predictions can be decoded; pass class_names=[...]. "
                f"Received: preds.shape={preds.shape}"
            )
        from keras.applications import imagenet_utils

        return imagenet_utils.decode_predictions(preds, top=top)
    if len(class_names) != preds.shape[1]:
        raise ValueError(
            f"`class_names` must have one name per class ({preds.shape[1]}). Received: {len(class_names)} names"
        )
    results = []
    for row in preds:
        order = np.argsort(row)[::-1][:top]
        results.append([(int(i), class_names[i], float(row[i])) for i in order])
    return results
