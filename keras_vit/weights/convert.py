"""`convert`: official `.npz` → a Keras model built from the checkpoint's own architecture."""

from keras_vit.weights import load, npz


def model_from_checkpoint(path, **kwargs):
    """Builds the model an official `.npz` describes and loads it."""
    from keras_vit.models.vit import build_vit

    params = npz.normalize(npz.read_npz(path))
    info = npz.infer_config(params)
    config = {k: info[k] for k in ("patch_size", "hidden_size", "depth", "num_heads", "mlp_dim", "classifier")}
    if info["posemb"] == "none":
        config["posemb"] = "none"
    source = load.Source("npz", str(path), params=params)
    if "resnet_blocks" in info:  # a hybrid: `conv_root/kernel` and `block{s}/unit{u}/...`
        from keras_vit.models.hybrid import build_hybrid

        resnet = dict(resnet_blocks=info["resnet_blocks"], resnet_width=info["resnet_width"])
        return build_hybrid(**config, **resnet, weights=source, name=kwargs.pop("name", "vit_hybrid"), **kwargs)
    return build_vit(**config, weights=source, name=kwargs.pop("name", "vit"), **kwargs)


def convert(path, output):
    """Writes the checkpoint at `path` as `output` (`.weights.h5` or `.keras`); returns the model."""
    if not str(output).endswith((".weights.h5", ".keras")):
        raise ValueError(f"The output must end in .weights.h5 or .keras. Received: output={output!r}")
    model = model_from_checkpoint(path)
    if str(output).endswith(".keras"):
        model.save(output)
    else:
        model.save_weights(output)
    return model
