from keras_vit.models.configs import VARIANTS, decode_variant
from keras_vit.models.factory import create_model, list_models
from keras_vit.models.hybrid import HYBRIDS, ViTHybrid, ViTR26B32, ViTR26S32, ViTR50B16, ViTR50L32, ViTRTi16
from keras_vit.models.vit import (
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
    build_vit,
)

__all__ = [
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
    "build_vit",
    "create_model",
    "decode_variant",
    "list_models",
]
