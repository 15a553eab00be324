"""The masked-patch-prediction model: a ViT's own layers with corruption before and a colour head after."""

import keras
from keras import ops

from keras_vit.layers import PatchEncoder
from keras_vit.pretraining.corruption import INTACT, PatchCorruption
from keras_vit.pretraining.targets import MeanColourTargets, num_target_classes


class PatchCrossEntropy(keras.losses.Loss):
    """Softmax cross-entropy per patch, reduced as the mean over the patches of weight 1 (the corrupted ones).

    As a `keras.losses.Loss`, its mean is divided by the replica count under `tf.distribute`, like Keras's own
    losses: the strategy sums the replicas' gradients. Log-softmax and a gather rather than the sparse
    cross-entropy op, whose label check XLA drops noisily.
    """

    def __init__(self, name="patch_cross_entropy"):
        super().__init__(name=name, reduction="mean_with_sample_weight")

    def call(self, y_true, y_pred):
        targets = ops.expand_dims(ops.cast(y_true, "int32"), -1)
        return -ops.take_along_axis(ops.log_softmax(y_pred, axis=-1), targets, axis=-1)[..., 0]


@keras.saving.register_keras_serializable(package="keras_vit")
class MaskedPatchPredictor(keras.Model):
    """A functional model whose outputs are `{"logits", "targets", "mode"}`, with its own loss and metric.

    The loss is the softmax cross-entropy of the mean-colour class of every corrupted patch (mode other than
    `INTACT`), averaged over those patches only; the metric `patch_accuracy` is the top-1 accuracy over the
    same patches. So `compile(optimizer)` needs no `loss`, and `fit` takes images alone. Build one with
    `masked_patch_predictor`.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.patch_accuracy = keras.metrics.Mean(name="patch_accuracy")
        self.patch_cross_entropy = PatchCrossEntropy()

    def _weights_and_logits(self, y_pred):
        weight = ops.cast(ops.not_equal(y_pred["mode"], INTACT), "float32")
        return weight, ops.cast(y_pred["logits"], "float32")

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        if self._compile_loss is not None:
            raise ValueError(
                "MaskedPatchPredictor computes its own loss (cross-entropy over the corrupted patches); "
                "compile it without `loss`: `model.compile(optimizer)`."
            )
        weight, logits = self._weights_and_logits(y_pred)
        loss = self.patch_cross_entropy(y_pred["targets"], logits, sample_weight=weight)
        if self.losses:  # regularisers and `add_loss` terms, summed (and scaled per replica) by Keras
            loss = loss + super().compute_loss(x, y, y_pred, sample_weight, training=training)
        return loss

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        weight, logits = self._weights_and_logits(y_pred)
        correct = ops.cast(ops.equal(ops.argmax(logits, axis=-1), ops.cast(y_pred["targets"], "int32")), "float32")
        self.patch_accuracy.update_state(correct, sample_weight=weight)
        return self.get_metrics_result()


def _blocks(encoder):
    blocks = [layer for layer in encoder.layers if layer.name.startswith("encoderblock_")]
    return sorted(blocks, key=lambda layer: int(layer.name.rsplit("_", 1)[1]))


def _optional(encoder, name):
    names = {layer.name for layer in encoder.layers}
    return encoder.get_layer(name) if name in names else None


def masked_patch_predictor(
    encoder,
    bits=3,
    corrupt_rate=0.5,
    mask_rate=0.8,
    random_rate=0.1,
    value_range=(-1.0, 1.0),
    seed=None,
    name="mpp",
):
    """Masked patch prediction (paper §4.6, Appendix B.1.2) around the layers of a plain ViT.

    The ViT's patch embeddings are corrupted (`PatchCorruption`: 50 % of the patches; of those, 80 % get a
    learned [mask] embedding, 10 % another patch's embedding, 10 % stay), then the class token, position
    embedding, blocks and final norm run as in the ViT, and a dense head `mpp_head` predicts each patch's
    mean colour at `bits` bits per channel (512 classes for RGB at 3 bits) from that patch's output token.
    The layers are the encoder's own (shared, not copied): after pre-training, `encoder` holds the trained
    weights; a saved model's weights go into a classifier with `keras_vit.weights.transfer.transfer_weights`.

    Args:
        encoder: a plain keras_vit ViT (`keras_vit.ViT`, a named variant or a small model of
            `keras_vit.training.recipes.MODELS` without a stem), with or without its top; fixed image size.
        bits: bits per channel of the mean-colour target.
        corrupt_rate, mask_rate, random_rate: as `PatchCorruption`.
        value_range: pixel range of the inputs (keras_vit's preprocessing: (-1, 1)).
        seed: seed of the corruption.
        name: model name.

    Returns:
        A `MaskedPatchPredictor`: `compile(optimizer)`, then `fit` on batches of preprocessed images.

    Example:
        >>> encoder = keras_vit.ViT(image_size=32, patch_size=4, hidden_size=64, depth=4, num_heads=4, mlp_dim=128)
        >>> mpp = masked_patch_predictor(encoder)
        >>> mpp.compile(keras.optimizers.AdamW(2e-4))
        >>> mpp.fit(images, epochs=1)
    """
    embedding = _optional(encoder, "embedding")
    if not isinstance(embedding, PatchEncoder) or embedding.input is not encoder.inputs[0]:
        raise ValueError(
            "Masked patch prediction needs a plain ViT whose patch embedding ('embedding') reads the image "
            "(no hybrid or convolutional stem: its target is the mean colour of each image patch). "
            f"Received: encoder={encoder.name!r}"
        )
    image_shape = tuple(encoder.inputs[0].shape[1:])
    if None in image_shape:
        raise ValueError(
            "Masked patch prediction needs a fixed image size; build the ViT without dynamic_image_size. "
            f"Received: input shape={image_shape}"
        )
    cls_token = _optional(encoder, "cls")
    posemb = _optional(encoder, "posembed_input")
    dropout = _optional(encoder, "posemb_dropout")

    images = keras.Input(shape=image_shape, name="image")
    targets = MeanColourTargets(embedding.patch_size, bits, value_range, name="targets")(images)
    grid = embedding(images)
    tokens = encoder.get_layer("tokens")(grid)
    x, mode = PatchCorruption(corrupt_rate, mask_rate, random_rate, seed=seed, name="corruption")(tokens)
    if cls_token is not None:
        x = cls_token(x)
    if posemb is not None:
        x = posemb(x, grid=grid)
    if dropout is not None:
        x = dropout(x)
    for block in _blocks(encoder):
        x = block(x)
    x = encoder.get_layer("encoder_norm")(x)
    if cls_token is not None:
        x = keras.layers.Cropping1D((1, 0), name="patch_tokens")(x)
    classes = num_target_classes(bits, image_shape[-1])
    logits = keras.layers.Dense(classes, kernel_initializer="zeros", name="mpp_head", dtype="float32")(x)
    return MaskedPatchPredictor(inputs=images, outputs={"logits": logits, "targets": targets, "mode": mode}, name=name)
