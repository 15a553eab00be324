"""The `tf.data` input pipeline: cache → shuffle → augment → resize → grey to RGB → batch → normalise → prefetch.

TensorFlow-only (tf.data), but it feeds Keras on every backend: the Keras preprocessing layers used here run
on TensorFlow inside tf.data whatever `KERAS_BACKEND` is.

Images are cached as they come (uint8, native resolution, one channel for grey data) so that the cache stays
small (Fashion-MNIST: 47 MB) and a fine-tune at 384 px does not hold 384-px copies; resizing and the
channel repeat happen after the cache, in the graph.
"""

import keras
import numpy as np
import tensorflow as tf

# Training augmentations by name. All but "inception_crop" are Keras layers; Keras has no Inception-style
# random-resized crop, so that one is `tf.image.sample_distorted_bounding_box` (area 5–100 %, the paper's).
AUGMENTATIONS = ("crop", "flip", "randaugment", "inception_crop")


def _check_augment(augment):
    unknown = [a for a in augment if a not in AUGMENTATIONS]
    if unknown:
        raise ValueError(f"Unknown augmentation; known: {AUGMENTATIONS}. Received: augment={tuple(augment)!r}")


def normalization_layer():
    """`keras_vit.preprocess_input` (x / 127.5 − 1) as a layer that runs inside tf.data on any backend."""
    return keras.layers.Rescaling(1.0 / 127.5, offset=-1.0)


def _as_dataset(data):
    if isinstance(data, tf.data.Dataset):
        return data
    images, labels = data
    images, labels = np.asarray(images), np.asarray(labels)
    if len(images) != len(labels):
        raise ValueError(
            f"Images and labels must be equally many. Received: {len(images)} images and {len(labels)} labels"
        )
    return tf.data.Dataset.from_tensor_slices((images, labels))


def _standardize(image, label):
    if image.shape.rank == 2:
        image = image[..., None]
    return image, tf.cast(label, "int32")


def _inception_crop(image, seed):
    begin, size, _ = tf.image.stateless_sample_distorted_bounding_box(
        tf.shape(image),
        bounding_boxes=tf.constant([0.0, 0.0, 1.0, 1.0], shape=(1, 1, 4)),
        seed=seed,
        area_range=(0.05, 1.0),
        min_object_covered=0.0,
        use_image_if_no_bounding_boxes=True,
    )
    return tf.slice(image, begin, size)


def make_dataset(
    data,
    *,
    image_size,
    num_classes,
    batch_size,
    training=False,
    augment=(),
    mixup_alpha=0.0,
    cutmix_alpha=0.0,
    seed=0,
    cache=True,
    shuffle_buffer=None,
    repeat=None,
):
    """A batched, preprocessed `tf.data.Dataset` of `(images, one-hot labels)` for `model.fit`/`evaluate`.

    Args:
        data: `(images, labels)` NumPy arrays (`(n, h, w)` grey or `(n, h, w, c)` uint8) or a
            `tf.data.Dataset` of `(image, label)` pairs (e.g. from `keras_vit.data.tfds.load`).
        image_size: int or (height, width): the model's resolution; images are resized to it (bilinear)
            when they differ.
        num_classes: size of the one-hot labels.
        batch_size: images per batch (the global batch under a distribution strategy).
        training: shuffle (seeded, reshuffled every epoch), augment, drop the last partial batch and repeat.
        augment: training augmentations, any of `AUGMENTATIONS`: "crop" (pad by 1/8 of the side, then
            `keras.layers.RandomCrop` back, per image), "flip" (`keras.layers.RandomFlip("horizontal")`),
            "randaugment" (`keras.layers.RandAugment`), "inception_crop" (random area 5–100 %, resized).
        mixup_alpha, cutmix_alpha: > 0 applies `keras.layers.MixUp` / `keras.layers.CutMix` to training batches.
        seed: seed of the shuffle and the augmentations.
        cache: cache the decoded images in memory (True), in a file (a path) or not (False).
        shuffle_buffer: default: the whole dataset when its size is known, else 10,000.
        repeat: repeat forever (default: same as `training`).

    Returns:
        A `tf.data.Dataset` of `(float32 images in [-1, 1] of shape (batch, h, w, 3), float32 one-hot labels)`.
    """
    augment = tuple(augment)
    _check_augment(augment)
    height, width = (image_size, image_size) if isinstance(image_size, int) else tuple(image_size)
    repeat = training if repeat is None else repeat
    autotune = tf.data.AUTOTUNE

    ds = _as_dataset(data).map(_standardize, num_parallel_calls=autotune)
    if cache:
        ds = ds.cache() if cache is True else ds.cache(str(cache))
    if training:
        size = int(ds.cardinality())
        buffer = shuffle_buffer or (size if size > 0 else 10_000)
        ds = ds.shuffle(buffer, seed=seed, reshuffle_each_iteration=True)
    if repeat:
        ds = ds.repeat()

    use = set(augment) if training else set()
    crop = flip = randaugment = None
    source_hw = tuple(ds.element_spec[0].shape[:2])
    if "crop" in use:
        if None in source_hw:
            raise ValueError(
                "The 'crop' augmentation pads and crops at the images' own size, which must be fixed; use "
                f"'inception_crop' for images of varying size. Received: image shape={ds.element_spec[0].shape}"
            )
        crop = keras.layers.RandomCrop(*source_hw, seed=seed)
    if "flip" in use:
        flip = keras.layers.RandomFlip("horizontal", seed=seed + 1)
    if "randaugment" in use:
        randaugment = keras.layers.RandAugment(value_range=(0, 255), seed=seed + 2)

    def to_float_rgb(images):
        # One image (h, w, c) or a batch (n, h, w, c): resize to the model's resolution, float, grey → RGB.
        channels = images.shape[-1]
        if tuple(images.shape[-3:-1]) != (height, width):
            images = tf.image.resize(images, (height, width))
        images = tf.cast(images, "float32")
        return tf.image.grayscale_to_rgb(images) if channels == 1 else images

    def per_image(image, label, index_seed):
        if crop is not None:
            pad = max(1, source_hw[0] // 8)
            image = crop(tf.pad(image, [[pad, pad], [pad, pad], [0, 0]]), training=True)
        if "inception_crop" in use:
            image = _inception_crop(image, index_seed)
        image = to_float_rgb(image)
        if randaugment is not None:
            image = randaugment(image, training=True)
        return image, label

    # Images of one fixed size with no per-image augmentation are batched first and converted a batch at a
    # time: a few large ops instead of one small op per image.
    per_image_work = crop is not None or randaugment is not None or "inception_crop" in use or None in source_hw
    if "inception_crop" in use:
        seeds = tf.data.Dataset.random(seed=seed).batch(2)
        ds = tf.data.Dataset.zip(ds, seeds).map(lambda pair, s: per_image(*pair, s), num_parallel_calls=autotune)
    elif per_image_work:
        ds = ds.map(lambda image, label: per_image(image, label, None), num_parallel_calls=autotune)
    ds = ds.batch(batch_size, drop_remainder=training, num_parallel_calls=autotune)

    normalize = normalization_layer()
    mixup = keras.layers.MixUp(alpha=mixup_alpha, seed=seed + 3) if training and mixup_alpha > 0 else None
    cutmix = keras.layers.CutMix(factor=cutmix_alpha, seed=seed + 4) if training and cutmix_alpha > 0 else None

    def per_batch(images, labels):
        if not per_image_work:
            images = to_float_rgb(images)
        if flip is not None:
            images = flip(images, training=True)
        labels = tf.one_hot(labels, num_classes)
        if mixup is not None or cutmix is not None:
            # MixUp and CutMix mix pixel values, so they act before the normalisation (any order is the same).
            batch = {"images": images, "labels": labels}
            for layer in (mixup, cutmix):
                if layer is not None:
                    batch = layer(batch, training=True)
            images, labels = batch["images"], batch["labels"]
        return normalize(images), labels

    ds = ds.map(per_batch, num_parallel_calls=autotune)
    return ds.prefetch(autotune)


def images_only(ds):
    """The images of a `(images, labels)` dataset (for `model.predict`)."""
    return ds.map(lambda images, labels: images)


def as_arrays(data, image_size, limit):
    """At most `limit` `(images, labels)` of a tf.data dataset as NumPy arrays, resized to `image_size` (uint8)."""

    def resize(image, label):
        image = image if image.shape.rank == 3 else image[..., None]
        image = tf.cast(tf.image.resize(image, image_size), "uint8")
        return image, label

    images, labels = [], []
    for image, label in data.take(limit).map(resize).batch(256).as_numpy_iterator():
        images.append(image)
        labels.append(label)
    return np.concatenate(images), np.concatenate(labels)
