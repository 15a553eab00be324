"""Any TensorFlow Datasets image-classification dataset by name (`--dataset tfds:cifar10`)."""

import dataclasses

import tensorflow as tf

PREFIX = "tfds:"
# Evaluation split, in order of preference, when the caller does not name one.
_EVAL_SPLITS = ("test", "validation", "val")


@dataclasses.dataclass
class Splits:
    """Training and evaluation data of one dataset: `(images, labels)` arrays or tf.data datasets."""

    train: object
    test: object
    num_classes: int
    image_shape: tuple  # (h, w, c); None for sizes that vary
    class_names: tuple | None = None
    description: str = ""


def load(name, train_split="train", test_split=None, data_dir=None, download=True):
    """Loads `name` from TensorFlow Datasets as `(image, label)` pairs.

    Args:
        name: a tfds name ("cifar10", "oxford_flowers102", "imagenette/320px-v2", ...), with or without
            the "tfds:" prefix.
        train_split: the split to train on (any tfds split expression, e.g. "train[:90%]").
        test_split: the split to evaluate on; default the first of "test", "validation", "val" that exists.
        data_dir: tfds data folder (default: tfds's own, `~/tensorflow_datasets`).
        download: let tfds download and prepare the dataset when missing.

    Returns:
        `Splits` with tf.data datasets of uint8 images and int labels.
    """
    import tensorflow_datasets as tfds

    name = name[len(PREFIX) :] if name.startswith(PREFIX) else name
    builder = tfds.builder(name, data_dir=data_dir)
    info = builder.info
    image_key, label_key = _supervised_keys(info, name)
    label_feature = info.features[label_key]
    if not hasattr(label_feature, "num_classes"):
        raise ValueError(
            f"tfds dataset {name!r} has no class label under '{label_key}'; pick an image-classification dataset. "
            f"Received: dataset={PREFIX}{name}"
        )
    if test_split is None:
        available = tuple(info.splits.keys())
        test_split = next((s for s in _EVAL_SPLITS if s in available), None)
        if test_split is None:
            # tfds' mock data and some builders list no splits until prepared; "test" is the common name.
            test_split = "test" if not available else None
        if test_split is None:
            raise ValueError(
                f"tfds dataset {name!r} has no test or validation split; name one, e.g. test_split='train[90%:]'. "
                f"Received: splits={available}"
            )
    if download:
        builder.download_and_prepare()

    def supervised(split):
        ds = builder.as_dataset(split=split, shuffle_files=False)
        return ds.map(lambda ex: (ex[image_key], ex[label_key]), num_parallel_calls=tf.data.AUTOTUNE)

    shape = info.features[image_key].shape
    return Splits(
        train=supervised(train_split),
        test=supervised(test_split),
        num_classes=int(label_feature.num_classes),
        image_shape=tuple(shape) if None not in shape[:2] else None,
        class_names=tuple(label_feature.names) if getattr(label_feature, "names", None) else None,
        description=f"tfds:{name} ({train_split} / {test_split})",
    )


def _supervised_keys(info, name):
    keys = info.supervised_keys
    if keys and len(keys) == 2 and all(isinstance(k, str) for k in keys):
        return keys
    features = info.features
    if "image" in features and "label" in features:
        return "image", "label"
    raise ValueError(
        f"tfds dataset {name!r} has no (image, label) pair; pick an image-classification dataset. "
        f"Received: features={list(features.keys())}"
    )
