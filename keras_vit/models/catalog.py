"""Model names (`vit_b16`, `vit_r50_b16`, ...) → constructors and builders, read from the preset table."""

from keras_vit.models import bit, conv_stem, deit, hybrid, presets, vit

# A preset's `family` → the public builder its `arguments` go to.
BUILDERS = {
    "vit": vit.ViT,
    "hybrid": hybrid.ViTHybrid,
    "conv_stem": conv_stem.conv_stem_vit,
    "deit": deit.build_deit,
    "bit": bit.BiTResNet,
}
# A preset's `family` → the module of its named constructors (`vit` for the others).
CONSTRUCTOR_MODULES = {"hybrid": hybrid, "deit": deit, "bit": bit}

# The named models with a keras.applications-style constructor (the paper's variants, the hybrids, DeiT, BiT).
CONSTRUCTORS = {
    name: getattr(CONSTRUCTOR_MODULES.get(preset.family, vit), preset.constructor)
    for name, preset in presets.MODELS.items()
    if preset.constructor
}


def register(name, constructor):
    """Adds a named constructor at run time (experiments register their own variants)."""
    CONSTRUCTORS[name] = constructor


def get_constructor(name):
    if name not in CONSTRUCTORS:
        raise ValueError(f"Unknown model name; known: {sorted(CONSTRUCTORS)}. Received: model={name!r}")
    return CONSTRUCTORS[name]


def small_models():
    """The small 28-px models of the training recipes: name → (builder, its arguments)."""
    return {name: (BUILDERS[preset.family], dict(preset.arguments)) for name, preset in presets.named("small").items()}
