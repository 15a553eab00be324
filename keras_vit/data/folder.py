"""Your own images: a folder with one sub-folder per class (`--dataset folder:PATH`).

The layout of `keras.utils.image_dataset_from_directory`: `PATH/<class>/<image>`, classes in sorted order of
their folder names, images (JPEG, PNG, BMP, GIF; grey or colour, any size) found at any depth below their class
folder. The evaluation split is `PATH/val` (or `PATH/validation`, `PATH/test`) when `PATH/train` holds the
training classes, else a seeded `holdout` fraction of each class. Every file is checked before training starts
(Pillow reads its header), so a corrupt or mislabelled file is named at once instead of failing an epoch later.
"""

import os

import numpy as np

PREFIX = "folder:"
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif")
PIL_FORMATS = {"JPEG", "PNG", "BMP", "GIF", "MPO"}  # MPO: a multi-picture JPEG, as some cameras write
EVAL_FOLDERS = ("val", "validation", "test")


def class_folders(root):
    """The sorted class sub-folders of `root`; a clear error when there are fewer than two."""
    if not os.path.isdir(root):
        raise ValueError(f"The image folder does not exist; check the path. Received: --dataset {PREFIX}{root}")
    names = sorted(e.name for e in os.scandir(root) if e.is_dir() and not e.name.startswith("."))
    if len(names) < 2:
        raise ValueError(
            "An image folder needs one sub-folder per class (at least two), as "
            f"keras.utils.image_dataset_from_directory reads it: PATH/<class>/<image>. Received: {root} with "
            f"sub-folders {names}"
        )
    return names


def list_images(root, class_names):
    """`(paths, labels)`: every image file below each class folder, in sorted order."""
    paths, labels = [], []
    for label, name in enumerate(class_names):
        found = sorted(
            os.path.join(directory, file)
            for directory, _, files in os.walk(os.path.join(root, name))
            for file in files
            if file.lower().endswith(IMAGE_EXTENSIONS)
        )
        if not found:
            raise ValueError(
                f"Class folder {os.path.join(root, name)!r} holds no images ({', '.join(IMAGE_EXTENSIONS)}); "
                "remove it or add images."
            )
        paths += found
        labels += [label] * len(found)
    return paths, np.asarray(labels, "int32")


def image_size_of(path):
    """`(height, width)` of one image file, read from its header; a clear error naming a file that is not one."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            if image.format not in PIL_FORMATS:
                raise ValueError(f"it is {image.format}, not JPEG, PNG, BMP or GIF")
            return image.size[1], image.size[0]
    except (OSError, UnidentifiedImageError, ValueError) as error:
        raise ValueError(
            f"Cannot read image {path!r} ({error}); delete or replace the file, or move it out of the class folder."
        ) from None


def common_shape(paths):
    """`(h, w, 3)` when every image has one size, else None (the pipeline then resizes image by image)."""
    sizes = {image_size_of(path) for path in paths}
    return (*sizes.pop(), 3) if len(sizes) == 1 else None


def split_holdout(labels, fraction, seed):
    """Indices `(kept, held_out)`: a seeded `fraction` of each class held out (at least one image per class)."""
    if not 0 < fraction < 1:
        raise ValueError(f"The held-out fraction must be between 0 and 1. Received: holdout={fraction}")
    rng = np.random.default_rng(seed)
    held = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        if len(members) < 2:
            raise ValueError(
                f"Class {label} has {len(members)} image; holding some out needs two or more per class, "
                "or give PATH/train and PATH/val folders."
            )
        count = min(len(members) - 1, max(1, round(fraction * len(members))))
        held += list(rng.choice(members, count, replace=False))
    held = np.sort(np.asarray(held, int))
    return np.setdiff1d(np.arange(len(labels)), held), held


def as_dataset(paths, labels, shape):
    """A `tf.data` dataset of `(uint8 image (h, w, 3), label)`, decoded lazily from the files."""
    import tensorflow as tf

    def decode(path, label):
        image = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
        return tf.ensure_shape(image, shape or (None, None, 3)), label

    ds = tf.data.Dataset.from_tensor_slices((np.asarray(paths), labels))
    return ds.map(decode, num_parallel_calls=tf.data.AUTOTUNE)


def eval_folder(root):
    """`PATH/val` (or `validation`, `test`) beside `PATH/train`, or None for a flat class folder."""
    if not os.path.isdir(os.path.join(root, "train")):
        return None
    for name in EVAL_FOLDERS:
        if os.path.isdir(os.path.join(root, name)):
            return os.path.join(root, name)
    raise ValueError(
        f"{root!r} has a train/ folder but no {'/, '.join(EVAL_FOLDERS)}/ beside it; add one with the same class "
        "folders, or put the class folders directly in PATH (a fraction is then held out)."
    )


def load(root, val_size=0, seed=0, holdout=0.2):
    """`(train, val, test)` as `(paths, labels)` pairs, the class names and the common image shape (or None)."""
    evaluation = eval_folder(root)
    train_root = os.path.join(root, "train") if evaluation else root
    class_names = class_folders(train_root)
    paths, labels = list_images(train_root, class_names)
    if evaluation:
        if class_folders(evaluation) != class_names:
            raise ValueError(
                f"{evaluation!r} must have the same class folders as {train_root!r}. Received: "
                f"{class_folders(evaluation)} and {class_names}"
            )
        test = list_images(evaluation, class_names)
    else:
        kept, held = split_holdout(labels, holdout, seed)
        test = ([paths[i] for i in held], labels[held])
        paths, labels = [paths[i] for i in kept], labels[kept]
    val = None
    if val_size:
        if val_size >= len(paths):
            raise ValueError(f"`val_size` must leave training images ({len(paths)}). Received: val_size={val_size}")
        order = np.random.default_rng(seed + 1).permutation(len(paths))
        val_idx, train_idx = np.sort(order[:val_size]), np.sort(order[val_size:])
        val = ([paths[i] for i in val_idx], labels[val_idx])
        paths, labels = [paths[i] for i in train_idx], labels[train_idx]
    shape = common_shape(paths + test[0] + (val[0] if val else []))
    return (paths, labels), val, test, tuple(class_names), shape
