"""A copy of a Keras model under another dtype policy, with the same weights (e.g. float32 → mixed_bfloat16)."""

import keras

# Layers the builders keep in float32 under any policy (float32 logits, as Keras's mixed-precision guide).
FLOAT32_LAYERS = ("head",)


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
