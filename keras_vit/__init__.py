"""keras_vit: the Vision Transformer (arXiv 2010.11929) as Keras 3 applications."""

from keras_vit import layers
from keras_vit.fewshot import FewShotCallback, fewshot_evaluate
from keras_vit.models import (
    HYBRIDS,
    VARIANTS,
    ViT,
    ViTB8,
    ViTB16,
    ViTB32,
    ViTH14,
    ViTHybrid,
    ViTL16,
    ViTL32,
    ViTR26B32,
    ViTR26S32,
    ViTR50B16,
    ViTR50L32,
    ViTRTi16,
    ViTS16,
    ViTS32,
    ViTTi16,
    create_model,
    decode_variant,
    list_models,
)
from keras_vit.preprocessing import decode_predictions, preprocess_input

__version__ = "0.1.0"

__all__ = [
    "FewShotCallback",
    "HYBRIDS",
    "VARIANTS",
    "ViT",
    "ViTB8",
    "ViTB16",
    "ViTB32",
    "ViTH14",
    "ViTHybrid",
    "ViTL16",
    "ViTL32",
    "ViTR26B32",
    "ViTR26S32",
    "ViTR50B16",
    "ViTR50L32",
    "ViTRTi16",
    "ViTS16",
    "ViTS32",
    "ViTTi16",
    "create_model",
    "decode_predictions",
    "decode_variant",
    "export",
    "export_saved_model",
    "fewshot_evaluate",
    "layers",
    "list_models",
    "preprocess_input",
]


def __getattr__(name):
    # The exporters import TensorFlow's SavedModel machinery or a runtime: load them on first use, not on
    # `import keras_vit`.
    if name in ("export", "export_saved_model"):
        from keras_vit import deploy

        return getattr(deploy, name)
    raise AttributeError(f"module 'keras_vit' has no attribute {name!r}")
