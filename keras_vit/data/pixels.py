"""Stored images as a served model's input: RGB pixels in [0, 255] at the model's size (backend-neutral)."""

import keras
import numpy as np


def rgb_pixels(images, size):
    """`images` (n, h, w) grey or (n, h, w, c) with c in {1, 3}, as float32 RGB (n, *size, 3), rounded to whole
    pixel values in [0, 255] (bilinear resize, half-pixel centres)."""
    images = np.asarray(images, dtype="float32")
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise ValueError(f"`images` must be (n, h, w), (n, h, w, 1) or (n, h, w, 3). Received: shape={images.shape}")
    if images.shape[-1] == 1:
        images = np.repeat(images, 3, axis=-1)
    if tuple(images.shape[1:3]) != tuple(size):
        images = keras.ops.convert_to_numpy(keras.ops.image.resize(images, size, interpolation="bilinear"))
    return np.clip(np.round(images), 0, 255)
