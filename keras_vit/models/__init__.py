from keras_vit.models.bit import (
    BiTResNet,
    BiTResNet50x1,
    BiTResNet50x2,
    BiTResNet50x3,
    BiTResNet50x4,
    BiTResNet101x1,
    BiTResNet101x2,
    BiTResNet101x3,
    BiTResNet101x4,
    BiTResNet152x1,
    BiTResNet152x2,
    BiTResNet152x3,
    BiTResNet152x4,
    build_bit,
)
from keras_vit.models.configs import VARIANTS, decode_variant
from keras_vit.models.deit import (
    DeiT3B16,
    DeiT3H14,
    DeiT3L16,
    DeiT3M16,
    DeiT3S16,
    DeiTB16,
    DeiTB16Distilled,
    DeiTS16,
    DeiTS16Distilled,
    DeiTTi16,
    DeiTTi16Distilled,
    build_deit,
)
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
from keras_vit.public_names import PUBLIC_NAMES

__all__ = list(PUBLIC_NAMES["keras_vit.models"])
