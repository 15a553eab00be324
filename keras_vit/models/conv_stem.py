"""A ViT whose tokens are cells of a small convolutional feature map (Xiao et al. 2021, "Early convolutions
help transformers see better"; the paper's hybrid idea, §3.1, with plain convolutions instead of a ResNet)."""

import math

import keras

from keras_vit.models.vit import build_vit


def conv_stem_vit(stem_convs=((32, 1),), **kwargs):
    """A ViT whose patches are cut from a convolutional feature map instead of the pixels.

    `stem_convs` lists the stem's 3×3 convolutions (each followed by ReLU) as `(channels, stride)` pairs; the
    patch size applies to the map they make. Other arguments as in `build_vit`.
    """
    stride = math.prod(s for _, s in stem_convs)

    def stem(x):
        for i, (channels, conv_stride) in enumerate(stem_convs):
            x = keras.layers.Conv2D(channels, 3, strides=conv_stride, padding="same", name=f"stem_conv{i}")(x)
            x = keras.layers.Activation("relu", name=f"stem_relu{i}")(x)
        return x

    return build_vit(stem=stem, stem_stride=stride, **kwargs)
