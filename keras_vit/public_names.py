"""The package's public names and the module that defines each, in one list.

`keras_vit/__init__.py` loads them on first use from here (without importing Keras), and `keras_vit.models`
takes its `__all__` from here, so a new public model name is written once in this table (and imported in
`keras_vit/models/__init__.py`). This module imports nothing.
"""

PUBLIC_NAMES = {
    "keras_vit.fewshot": ("FewShotCallback", "fewshot_evaluate"),
    "keras_vit.preprocessing": ("decode_predictions", "model_class_names", "preprocess_input"),
    # The exporters import TensorFlow's SavedModel machinery or a runtime.
    "keras_vit.deploy": ("export", "export_saved_model"),
    # A model as a timm state dict (`.safetensors`), for PyTorch users.
    "keras_vit.weights.timm_export": ("export_timm",),
    # A model as a transformers `save_pretrained` directory (config.json + model.safetensors).
    "keras_vit.weights.transformers_export": ("export_transformers",),
    "keras_vit.models": (
        "HYBRIDS",
        "VARIANTS",
        "BiTResNet",
        "BiTResNet50x1",
        "BiTResNet50x2",
        "BiTResNet50x3",
        "BiTResNet50x4",
        "BiTResNet101x1",
        "BiTResNet101x2",
        "BiTResNet101x3",
        "BiTResNet101x4",
        "BiTResNet152x1",
        "BiTResNet152x2",
        "BiTResNet152x3",
        "BiTResNet152x4",
        "DeiT3B16",
        "DeiT3H14",
        "DeiT3L16",
        "DeiT3M16",
        "DeiT3S16",
        "DeiTB16",
        "DeiTB16Distilled",
        "DeiTS16",
        "DeiTS16Distilled",
        "DeiTTi16",
        "DeiTTi16Distilled",
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
        "build_bit",
        "build_deit",
        "build_vit",
        "create_model",
        "decode_variant",
        "list_models",
    ),
}
