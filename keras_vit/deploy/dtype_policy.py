"""A copy of a Keras model under another dtype policy, with the same weights (e.g. float32 → mixed_bfloat16)."""

import keras

# Layers the builders keep in float32 under any policy (float32 logits, as Keras's mixed-precision guide).
FLOAT32_LAYERS = ("head",)
# The policy of bf16 exports: variables stored in bf16 ("bfloat16"), not Keras's training policy "mixed_bfloat16"
# (float32 variables cast to bf16 at every call). The same products of the same bf16-rounded weights, without
# reading and casting every weight on every call: TensorFlow, ViT-B/16, batch 1, an AMX Xeon: 13.8 vs 9.9 images/s
# (S/16 batch 1: 24.1 vs 20.4). LayerNorm still computes in float32 (Keras's `layer_normalization` upcasts).
EXPORT_BFLOAT16 = "bfloat16"


def _replace_policy(config, policy):
    """Every float32 `DTypePolicy` in a serialised model → `policy`, except in `FLOAT32_LAYERS` (input dtypes
    and int layers untouched)."""
    if isinstance(config, dict):
        if isinstance(config.get("config"), dict) and config["config"].get("name") in FLOAT32_LAYERS:
            return config
        if config.get("class_name") == "DTypePolicy" and config.get("config", {}).get("name") == "float32":
            return {**config, "config": {**config["config"], "name": policy}}
        return {key: _replace_policy(value, policy) for key, value in config.items()}
    if isinstance(config, list):
        return [_replace_policy(value, policy) for value in config]
    return config


def with_dtype_policy(model, policy):
    """`model` rebuilt with each float32 layer under `policy`, its weights copied (variables stay float32)."""
    config = _replace_policy(keras.saving.serialize_keras_object(model), policy)
    previous = keras.config.dtype_policy()
    # Sub-layers a layer creates in its __init__ are not in the config: they take the global policy.
    keras.config.set_dtype_policy(policy)
    try:
        copy = keras.saving.deserialize_keras_object(config)
    finally:
        keras.config.set_dtype_policy(previous)
    copy.set_weights(model.get_weights())
    return copy
