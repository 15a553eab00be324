"""`preprocess_input` and `decode_predictions`, as keras.applications users know them."""

import functools
import gzip
import os

import numpy as np
from keras import ops

# Shipped with the package (see its README.md for the source and licence): no download needed. Head size → file:
# ImageNet-1k (ILSVRC-2012) and the ImageNet-21k (fall 2011, 21843 classes) of the official pre-trained heads.
_CLASS_NAMES_DIR = os.path.join(os.path.dirname(__file__), "data", "class_names")
IMAGENET_CLASSES_FILE = os.path.join(_CLASS_NAMES_DIR, "imagenet1k.tsv")
IMAGENET21K_CLASSES_FILE = os.path.join(_CLASS_NAMES_DIR, "imagenet21k.tsv.gz")
IMAGENET_TABLES = {1000: IMAGENET_CLASSES_FILE, 21843: IMAGENET21K_CLASSES_FILE}


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


def model_class_names(model):
    """The class names a model's weights gave it (a transformers checkpoint's `id2label`), or None.

    They are its `head` layer's (`keras_vit.layers.ClassifierHead`), kept through a `.keras` round trip.
    """
    head = next((layer for layer in getattr(model, "layers", ()) if layer.name == "head"), None)
    return getattr(head, "class_names", None)


def decode_predictions(preds, top=5, class_names=None, model=None):
    """Top classes of each prediction as `(class_id, class_name, score)` tuples.

    Args:
        preds: `(batch, classes)` scores.
        top: how many per image.
        class_names: a list of names; without it, the names `model` carries (`model_class_names`), else
            ImageNet-1k (1000) and ImageNet-21k (21843-class) predictions are decoded offline, as
            `keras.applications.imagenet_utils.decode_predictions` does: `(wordnet_id, name, score)`, the name
            being the class's first WordNet lemma with underscores for spaces ("great_white_shark").
        model: the model that made `preds`, for the class names its weights gave it.

    Returns:
        one list of `top` tuples per image, best first: `(class_index, class_names[class_index], score)`, or
        `(wordnet_id, name, score)` for ImageNet without `class_names`.
    """
    preds = np.asarray(preds)
    if preds.ndim != 2:
        raise ValueError(f"`preds` must be (batch, classes). Received: preds.shape={preds.shape}")
    if class_names is None and model is not None:
        class_names = model_class_names(model)
    if class_names is None:
        if preds.shape[1] not in IMAGENET_TABLES:
            raise ValueError(
                "Without `class_names` only ImageNet predictions (1000 or 21843 classes) can be decoded; pass "
                f"class_names=[...]. Received: preds.shape={preds.shape}"
            )
        synsets = imagenet_synsets(preds.shape[1])
        names = [name.replace(" ", "_") for name in imagenet_class_names(preds.shape[1])]
        return [[(synsets[i], names[i], score) for i, _, score in row] for row in _top(preds, top, names)]
    if len(class_names) != preds.shape[1]:
        raise ValueError(
            f"`class_names` must have one name per class ({preds.shape[1]}). Received: {len(class_names)} names"
        )
    return _top(preds, top, class_names)


def _top(preds, top, class_names):
    results = []
    for row in preds:
        order = np.argsort(-row, kind="stable")[:top]  # ties: the lower class index first
        results.append([(int(i), class_names[i], float(row[i])) for i in order])
    return results


@functools.cache
def _imagenet_table(classes):
    path = IMAGENET_TABLES.get(classes)
    if path is None:
        raise ValueError(f"ImageNet has class-name tables for 1000 and 21843 classes. Received: classes={classes}")
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t") for line in f if line.strip()]
    return tuple(synset for synset, _ in rows), tuple(lemmas.split(", ")[0] for _, lemmas in rows)


def imagenet_class_names(classes=1000):
    """The ImageNet class names in head order (1000: ImageNet-1k, 21843: ImageNet-21k): each class's first
    WordNet lemma ("tench", "goldfish")."""
    return _imagenet_table(classes)[1]


def imagenet_synsets(classes=1000):
    """The ImageNet WordNet ids in head order ("n01440764", ...), for 1000 or 21843 classes."""
    return _imagenet_table(classes)[0]
