"""keras_vit: the Vision Transformer (arXiv 2010.11929) as Keras 3 applications."""

from keras_vit import layers
from keras_vit.models import (
    VARIANTS,
    ViT,
    ViTB8,
    ViTB16,
    ViTB32,
    ViTH14,
    ViTL16,
    ViTL32,
    ViTS16,
    ViTS32,
    ViTTi16,
    decode_variant,
)
from keras_vit.preprocessing import decode_predictions, preprocess_input

__version__ = "0.1.0"

__all__ = [
    "VARIANTS",
    "ViT",
    "ViTB8",
    "ViTB16",
    "ViTB32",
    "ViTH14",
    "ViTL16",
    "ViTL32",
    "ViTS16",
    "ViTS32",
    "ViTTi16",
    "decode_predictions",
    "decode_variant",
    "layers",
    "preprocess_input",
]


def __getattr__(name):
    # `export_saved_model` imports TensorFlow's SavedModel machinery: load it on first use, not on `import keras_vit`.
    if name == "export_saved_model":
        from keras_vit.export import export_saved_model

        return export_saved_model
    raise AttributeError(f"module 'keras_vit' has no attribute {name!r}")
