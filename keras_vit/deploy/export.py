"""`export`: a keras_vit classifier → a served model in any format, preprocessing and top-k inside."""

import numpy as np

from keras_vit.deploy.classifier import outputs_logits, serving_plan
from keras_vit.deploy.convert import convert, resolve_precision
from keras_vit.deploy.dtype_policy import EXPORT_BFLOAT16, with_dtype_policy
from keras_vit.deploy.serving_model import INPUT_DTYPES, OUTPUT_NAMES, serving_model

SAVED_MODEL_INPUTS = ("float", "uint8", "bytes")


def _calibration_pixels(calibration, size, input):
    """Calibration images as the served input: (n, *size, 3) pixels in [0, 255]."""
    if calibration is None:
        return None
    pixels = np.asarray(calibration)
    if pixels.ndim != 4 or pixels.shape[1:] != (*size, 3):
        raise ValueError(
            f"`calibration` must be raw images of the served size, shape (n, {size[0]}, {size[1]}, 3), pixels in "
            f"[0, 255]. Received: calibration.shape={pixels.shape}"
        )
    if pixels.min() < 0 or pixels.max() > 255:
        raise ValueError(
            "`calibration` must be raw pixels in [0, 255], not preprocessed ones. "
            f"Received: range=[{pixels.min()}, {pixels.max()}]"
        )
    return pixels.astype(INPUT_DTYPES[input])


def export(
    model,
    path,
    format="saved_model",
    precision="float32",
    input="float",
    top_k=5,
    class_names=None,
    image_size=None,
    calibration=None,
    version=1,
    model_name=None,
):
    """Writes a keras_vit classifier for serving at `path/model_name/version/`, in `format` at `precision`.

    Every format serves the same contract: raw pixels in [0, 255] in, the official preprocessing, the
    model, softmax (when the head gives logits) and top-k inside; outputs `probabilities`,
    `top_k_scores`, `top_k_indices` (SavedModel: also `top_k_classes`; the others keep the class names
    in `metadata.json`). The folder layout is the one TF Serving and OpenVINO Model Server watch.

    Args:
        model: a keras_vit classifier (`include_top=True`), built in code or loaded from `.keras`.
        path: the model base path.
        format: "saved_model" (TF Serving; any image size, resized in the graph; `input="bytes"` too),
            "openvino" (`model.xml`), "onnx" (`model.onnx`) or "litert" (`model.tflite`); the last three
            take images of the served size.
        precision: "float32", "bfloat16" (saved_model, openvino), "int8" (openvino: static, needs
            `calibration`; onnx and litert: dynamic, no calibration) or "auto"
            (the fastest this CPU runs natively; `keras_vit.deploy.cpu_features()`).
        input: "float" or "uint8" pixels; "bytes" (encoded images) for saved_model only.
        top_k: how many classes `top_k_*` return.
        class_names: one name per class; None: the names the model carries (`keras_vit.model_class_names`), if any.
        image_size: the size to serve at; only for `dynamic_image_size=True` models.
        calibration: raw images `(n, h, w, 3)` in [0, 255] for static int8, a few hundred from the
            training data.
        version, model_name: the folder `path/model_name/version` (default name: `model.name`).

    Returns:
        The folder written; `keras_vit.deploy.load(folder)` runs it in the format's own runtime.

    Example:
        >>> keras_vit.export(model, "serving", format="openvino", precision="bfloat16")  # serving/vit_b16/1
    """
    precision = resolve_precision(format, precision)
    if format == "saved_model":
        from keras_vit.deploy.saved_model import export_saved_model

        model = with_dtype_policy(model, EXPORT_BFLOAT16) if precision == "bfloat16" else model
        return export_saved_model(model, path, image_size, input, top_k, class_names, version, model_name)
    if input not in INPUT_DTYPES:
        raise ValueError(
            f"`input` must be one of {tuple(INPUT_DTYPES)} for format={format!r} (encoded image bytes: use "
            f"format='saved_model'). Received: input={input!r}"
        )
    plan = serving_plan(model, path, image_size, top_k, class_names, version, model_name)
    wrapper = serving_model(model, plan.size, input, plan.top_k, outputs_logits(plan.head))
    metadata = {"input": input, "top_k": plan.top_k, "image_size": list(plan.size), "class_names": plan.class_names}
    pixels = _calibration_pixels(calibration, plan.size, input)
    return convert(wrapper, plan.target, format, precision, pixels, metadata=metadata)


__all__ = ["OUTPUT_NAMES", "SAVED_MODEL_INPUTS", "export"]
