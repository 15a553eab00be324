"""keras-hub's ViT: `ViTBackbone` + `ViTImageClassifier` (token pooling, linear head).

keras-hub reads checkpoints from its own hub presets, not official `.npz` files, so the shared
checkpoint is mapped here, tensor by tensor, with a shape check each and every variable assigned.
Its MLP uses exact GELU (`activation="gelu"`); `set_tanh_gelu` switches it for the parity check.
"""

import keras
import numpy as np

from keras_vit.bench.runners.keras_common import KerasRunner, assign


def _block_map(block, prefix):
    attention = block.mha
    table = {
        f"{prefix}/LayerNorm_0/scale": block.layer_norm_1.gamma,
        f"{prefix}/LayerNorm_0/bias": block.layer_norm_1.beta,
        f"{prefix}/LayerNorm_2/scale": block.layer_norm_2.gamma,
        f"{prefix}/LayerNorm_2/bias": block.layer_norm_2.beta,
        f"{prefix}/MlpBlock_3/Dense_0/kernel": block.mlp.dense_1.kernel,
        f"{prefix}/MlpBlock_3/Dense_0/bias": block.mlp.dense_1.bias,
        f"{prefix}/MlpBlock_3/Dense_1/kernel": block.mlp.dense_2.kernel,
        f"{prefix}/MlpBlock_3/Dense_1/bias": block.mlp.dense_2.bias,
    }
    dense = {
        "query": attention._query_dense,
        "key": attention._key_dense,
        "value": attention._value_dense,
        "out": attention._output_dense,
    }
    for name, layer in dense.items():
        table[f"{prefix}/MultiHeadDotProductAttention_1/{name}/kernel"] = layer.kernel
        table[f"{prefix}/MultiHeadDotProductAttention_1/{name}/bias"] = layer.bias
    return table


def load_npz(classifier, path):
    """Assigns every variable of a `ViTImageClassifier` from an official-layout `.npz`; strict both ways."""
    backbone = classifier.backbone
    embedding = backbone.get_layer("vit_patching_and_embedding")
    encoder = backbone.get_layer("vit_encoder")
    table = {
        "embedding/kernel": embedding.patch_embedding.kernel,
        "embedding/bias": embedding.patch_embedding.bias,
        "cls": embedding.class_token,
        "Transformer/posembed_input/pos_embedding": embedding.position_embedding.embeddings,
        "Transformer/encoder_norm/scale": encoder.layer_norm.gamma,
        "Transformer/encoder_norm/bias": encoder.layer_norm.beta,
        "head/kernel": classifier.output_dense.kernel,
        "head/bias": classifier.output_dense.bias,
    }
    for i, block in enumerate(encoder.encoder_layers):
        table.update(_block_map(block, f"Transformer/encoderblock_{i}"))
    with np.load(path) as data:
        params = {k: data[k] for k in data.files}
    unexpected = sorted(set(params) - set(table))
    missing = sorted(set(table) - set(params))
    if unexpected or missing:
        raise ValueError(f"keras-hub map: missing {missing[:5]}, unexpected {unexpected[:5]}")
    for name, variable in table.items():
        value = params[name]
        if name.endswith("pos_embedding"):
            value = value[0]  # keras-hub keeps (tokens, hidden), an Embedding table
        assign(variable, value, name)
    assigned = {id(v) for v in table.values()}
    left = [v.path for v in classifier.weights if id(v) not in assigned]
    if left:
        raise ValueError(f"keras-hub map left variables unassigned: {left}")


class Runner(KerasRunner):
    """Options: `xla` (TensorFlow only)."""

    def build(self, item):
        import keras_hub

        model = item["model"]
        size = model["image_size"]
        backbone = keras_hub.models.ViTBackbone(
            image_shape=(size, size, 3),
            patch_size=model["patch_size"],
            num_layers=model["depth"],
            num_heads=model["num_heads"],
            hidden_dim=model["hidden_size"],
            mlp_dim=model["mlp_dim"],
        )
        classifier = keras_hub.models.ViTImageClassifier(
            backbone=backbone, num_classes=model["classes"], preprocessor=None, activation=None
        )
        load_npz(classifier, item["weights"])
        return classifier

    def set_tanh_gelu(self, model, enabled):
        def gelu(x):
            return keras.activations.gelu(x, approximate=True)

        activation = gelu if enabled else keras.activations.get("gelu")
        for block in model.backbone.get_layer("vit_encoder").encoder_layers:
            block.mlp.dense_1.activation = activation
