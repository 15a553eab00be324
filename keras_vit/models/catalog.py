"""Model names for the command line and configs (`vit_b16`, `vit_r50_b16`, ...) → constructors."""

from keras_vit.models import hybrid, vit

CONSTRUCTORS = {
    "vit_ti16": vit.ViTTi16,
    "vit_s16": vit.ViTS16,
    "vit_s32": vit.ViTS32,
    "vit_b8": vit.ViTB8,
    "vit_b16": vit.ViTB16,
    "vit_b32": vit.ViTB32,
    "vit_l16": vit.ViTL16,
    "vit_l32": vit.ViTL32,
    "vit_h14": vit.ViTH14,
    "vit_r50_b16": hybrid.ViTR50B16,
    "vit_r50_l32": hybrid.ViTR50L32,
    "vit_r26_s32": hybrid.ViTR26S32,
    "vit_r26_b32": hybrid.ViTR26B32,
    "vit_rti16": hybrid.ViTRTi16,
}


def register(name, constructor):
    """Adds a named constructor (the hybrid module registers its own)."""
    CONSTRUCTORS[name] = constructor


def get_constructor(name):
    if name not in CONSTRUCTORS:
        raise ValueError(f"Unknown model name; known: {sorted(CONSTRUCTORS)}. Received: model={name!r}")
    return CONSTRUCTORS[name]
