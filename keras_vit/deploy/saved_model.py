"""SavedModel export for TensorFlow Serving: preprocessing, softmax and top-k baked into `serving_default`.

A client sends raw pixels (float32 or uint8 in [0, 255], any size) or encoded JPEG/PNG bytes; the graph
checks the input, decodes, resizes to the model's resolution, scales to [-1, 1] and returns
`probabilities`, `top_k_indices`, `top_k_scores` (and `top_k_classes` when class names are given).
TensorFlow backend only: this module imports TensorFlow.
"""

import os
import shutil

import keras
import tensorflow as tf

from keras_vit.deploy.classifier import outputs_logits, serving_plan
from keras_vit.preprocessing import preprocess_input

INPUTS = ("float", "uint8", "bytes")
INPUT_NAMES = {"float": "images", "uint8": "images", "bytes": "image_bytes"}


def _resize(images, size):
    """Bilinear resize (half-pixel centres, `tf.image.resize`) to `size` only when the size differs."""
    hw = tf.shape(images)[-3:-1]
    same = tf.reduce_all(tf.equal(hw, size))
    images = tf.cond(same, lambda: images, lambda: tf.image.resize(images, size, method="bilinear"))
    return tf.ensure_shape(images, [*images.shape[:-3], *size, 3])


def _check_input(images, input):
    """In-graph checks, so that a wrong input fails with an error instead of returning a wrong answer.

    The signature declares the shape, but TF Serving feeds tensors to the graph without checking it;
    `ensure_shape` is a runtime op that does.
    """
    if input == "bytes":
        return tf.ensure_shape(images, [None], name="check_image_bytes_shape")
    images = tf.ensure_shape(images, [None, None, None, 3], name="check_images_shape")
    if input == "float":
        message = "float images must be raw pixels in [0, 255], not preprocessed ones"
        checks = [
            tf.debugging.assert_all_finite(images, message),
            tf.debugging.assert_greater_equal(tf.reduce_min(images), 0.0, message=message),
            tf.debugging.assert_less_equal(tf.reduce_max(images), 255.0, message=message),
        ]
        with tf.control_dependencies([c for c in checks if c is not None]):
            images = tf.identity(images)
    return images


def _serving_fn(model, input, size, apply_softmax, top_k, class_names):
    def decode(data):
        image = tf.io.decode_image(data, channels=3, expand_animations=False)
        return _resize(tf.cast(image, tf.float32), size)

    def serve(images):
        images = _check_input(images, input)
        if input == "bytes":
            pixels = tf.map_fn(decode, images, fn_output_signature=tf.TensorSpec((*size, 3), tf.float32))
        else:
            pixels = _resize(tf.cast(images, tf.float32), size)
        outputs = model(preprocess_input(pixels), training=False)
        outputs = tf.cast(outputs, tf.float32)
        probabilities = tf.nn.softmax(outputs, axis=-1) if apply_softmax else outputs
        scores, indices = tf.math.top_k(probabilities, k=top_k)
        result = {"probabilities": probabilities, "top_k_indices": indices, "top_k_scores": scores}
        if class_names is not None:
            result["top_k_classes"] = tf.gather(tf.constant(class_names, dtype=tf.string), indices)
        return result

    return serve


def export_saved_model(
    model, path, image_size=None, input="float", top_k=5, class_names=None, version=1, model_name=None
):
    """Writes `model` as a TensorFlow Serving SavedModel at `path/model_name/version/`.

    The `serving_default` signature takes a batch of any size and returns float32 `probabilities`
    (softmax applied when the head outputs logits), `top_k_indices`, `top_k_scores` and, with
    `class_names`, `top_k_classes`. Preprocessing is in the graph: clients send raw images.

    Args:
        model: a keras_vit classifier (`include_top=True`), built in code or loaded from `.keras`;
            any image size, any dtype policy (the signature is float32 under mixed precision).
        path: the model base path TF Serving watches (`--model_base_path`).
        image_size: the resolution to serve at; only needed for `dynamic_image_size=True` models
            (default: the model's input size). Incoming images of another size are resized
            (bilinear, `tf.image.resize`).
        input: "float" (float32 pixels in [0, 255], `(batch, h, w, 3)`), "uint8" (uint8 pixels), or
            "bytes" (a 1-D batch of encoded JPEG/PNG/GIF/BMP strings, decoded in the graph).
        top_k: how many classes `top_k_*` return (at most the number of classes).
        class_names: one name per class, for the `top_k_classes` output; None: the names the model carries
            (`keras_vit.model_class_names`), if any.
        version: the version sub-directory (a positive integer), as TF Serving expects.
        model_name: the model directory name (default: `model.name`).

    Returns:
        The directory written, `path/model_name/version`.

    Example:
        >>> model = keras_vit.ViTB16(weights="augreg_in21k_ft_in1k")
        >>> keras_vit.export_saved_model(model, "serving", input="bytes")  # serving/vit_b16/1
    """
    if keras.backend.backend() != "tensorflow":
        raise ValueError(
            "SavedModel export needs the TensorFlow backend; run with KERAS_BACKEND=tensorflow. "
            f"Received: backend={keras.backend.backend()!r}"
        )
    if input not in INPUTS:
        raise ValueError(f"`input` must be one of {INPUTS}. Received: input={input!r}")
    plan = serving_plan(model, path, image_size, top_k, class_names, version, model_name)
    target = plan.target

    dtype = {"float": tf.float32, "uint8": tf.uint8, "bytes": tf.string}[input]
    shape = (None,) if input == "bytes" else (None, None, None, 3)
    spec = tf.TensorSpec(shape, dtype, name=INPUT_NAMES[input])
    serve = _serving_fn(model, input, plan.size, outputs_logits(plan.head), plan.top_k, plan.class_names)

    archive = keras.export.ExportArchive()
    # No `archive.track(model)`: the endpoint captures every variable it reads, and tracking the model as
    # well stores each weight twice (keras-team/keras#23553: 2× on disk and in the server's memory).
    archive.add_endpoint(name="serving_default", fn=serve, input_signature=[spec])
    # Write next to the target under a name TF Serving ignores, then rename: a watching server never
    # sees a half-written version.
    staging = os.path.join(os.path.dirname(target), f".tmp-{version}-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        archive.write_out(staging, verbose=False)
        os.replace(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
