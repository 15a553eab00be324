"""Datasets and the input pipeline.

`load(dataset)` gives training, validation and test data for "fashion_mnist" (our IDX reader, Debian's
`dataset-fashion-mnist` files), "tfds:NAME" or "folder:PATH" (your own images, one sub-folder per class);
`keras_vit.data.pipeline.make_dataset` turns them into
batches. Importing this package does not import TensorFlow; `pipeline` and `tfds` do.
"""

import dataclasses
import os

import numpy as np

from keras_vit.data import fashion_mnist


@dataclasses.dataclass
class Data:
    """A dataset's splits: `(images, labels)` NumPy arrays or `tf.data` datasets of `(image, label)`."""

    train: object
    val: object | None
    test: object
    num_classes: int
    image_shape: tuple | None  # (h, w, c) of the stored images; None when sizes vary
    class_names: tuple | None
    description: str

    def head(self, train=None, val=None, test=None):
        """A copy with only the first `train` / `val` / `test` examples of those splits (None: the whole split).

        For smoke runs: array splits are sliced, `tf.data` splits (of single examples) `take` them.
        """
        changes, cuts = {}, []
        for split, count in (("train", train), ("val", val), ("test", test)):
            if count is None:
                continue
            if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 1:
                raise ValueError(
                    f"`{split}` must be a whole number of examples, 1 or more. Received: {split}={count!r}"
                )
            split_data = getattr(self, split)
            if split_data is None:
                raise ValueError(f"This Data has no {split} split to cut (load it with val_size > 0 for one).")
            changes[split] = (
                tuple(array[:count] for array in split_data)
                if isinstance(split_data, tuple)
                else split_data.take(count)
            )
            cuts.append(f"{count} {split}")
        if not changes:
            return self
        return dataclasses.replace(
            self, **changes, description=f"{self.description}; cut to the first {', '.join(cuts)}"
        )


def load(dataset="fashion_mnist", data_dir=None, val_size=0, seed=0, holdout=0.2):
    """Training, validation (`val_size` images held out of the training split, chosen by `seed`) and test data.

    Args:
        dataset: "fashion_mnist", "tfds:NAME" (any TensorFlow Datasets image-classification dataset) or
            "folder:PATH" (`PATH/<class>/<image>`, or `PATH/train/<class>/...` with `PATH/val/<class>/...`).
        data_dir: Fashion-MNIST: a folder with its four IDX files (default: Debian's
            /usr/share/datasets/fashion-mnist, else `keras.datasets.fashion_mnist`, which downloads them);
            tfds: the tfds data folder.
        val_size: training images held out for validation (0: no validation data).
        seed: chooses the held-out images.
        holdout: "folder:PATH" without a val/ folder: the fraction of each class held out as the test split.

    Returns:
        `Data`.
    """
    if val_size < 0:
        raise ValueError(f"`val_size` must be 0 or more. Received: val_size={val_size}")
    if dataset in ("fashion_mnist", "fmnist"):
        (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data(data_dir)
        if val_size >= len(x_train):
            raise ValueError(
                f"`val_size` must leave training images (the training split has {len(x_train)}). "
                f"Received: val_size={val_size}"
            )
        order = np.random.default_rng(seed).permutation(len(x_train))
        val_idx, train_idx = np.sort(order[:val_size]), np.sort(order[val_size:])
        val = (x_train[val_idx], y_train[val_idx]) if val_size else None
        source = data_dir or fashion_mnist.DEFAULT_DIR
        return Data(
            train=(x_train[train_idx], y_train[train_idx]),
            val=val,
            test=(x_test, y_test),
            num_classes=10,
            image_shape=(28, 28, 1),
            class_names=fashion_mnist.CLASS_NAMES,
            description=f"Fashion-MNIST ({source}): {len(train_idx)} train, {val_size} val, {len(x_test)} test",
        )
    if dataset.startswith("tfds:"):
        from keras_vit.data import tfds

        splits = tfds.load(dataset, data_dir=data_dir)
        train, val = splits.train, None
        if val_size:
            # Held out before any shuffling: tfds' split order is fixed for a dataset version.
            val, train = train.take(val_size), train.skip(val_size)
        return Data(
            train=train,
            val=val,
            test=splits.test,
            num_classes=splits.num_classes,
            image_shape=splits.image_shape,
            class_names=splits.class_names,
            description=splits.description,
        )
    if dataset.startswith("folder:"):
        return _load_folder(os.path.expanduser(dataset[len("folder:") :]), val_size, seed, holdout)
    raise ValueError(
        "Unknown dataset; use 'fashion_mnist', 'tfds:NAME' (e.g. 'tfds:cifar10') or 'folder:PATH' (one sub-folder "
        f"per class). Received: dataset={dataset!r}"
    )


def _load_folder(root, val_size, seed, holdout):
    from keras_vit.data import folder

    train, val, test, class_names, shape = folder.load(root, val_size, seed, holdout)
    return Data(
        train=folder.as_dataset(*train, shape),
        val=folder.as_dataset(*val, shape) if val else None,
        test=folder.as_dataset(*test, shape),
        num_classes=len(class_names),
        image_shape=shape,
        class_names=class_names,
        description=(
            f"{root}: {len(class_names)} classes, {len(train[0])} train, {len(val[0]) if val else 0} val, "
            f"{len(test[0])} test"
        ),
    )
