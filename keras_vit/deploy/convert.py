"""`convert`: any Keras model → one export format at one precision, in a folder with its `metadata.json`."""

import json
import os
import shutil

import keras
import numpy as np

from keras_vit.deploy.cpu import auto_precision
from keras_vit.deploy.formats import FORMATS, check_runtime, format_module, precisions

METADATA = "metadata.json"
PRECISION_NAMES = ("float32", "bfloat16", "int8", "auto")


def resolve_precision(format, precision):
    """`precision` checked against what `format` supports; "auto" → the best this CPU runs natively."""
    supported = precisions(format)
    if precision == "auto":
        return auto_precision(supported, format=format)
    if precision not in PRECISION_NAMES:
        raise ValueError(f"`precision` must be one of {PRECISION_NAMES}. Received: precision={precision!r}")
    if precision not in supported:
        others = [name for name in FORMATS if precision in precisions(name)]
        raise ValueError(
            f"format={format!r} exports {supported}; for {precision} use format={others[0]!r} "
            f"(or one of {others}). Received: precision={precision!r}"
        )
    return precision


def _check_calibration(format, precision, calibration, model):
    if precision != "int8" or format != "openvino":
        return None if calibration is None else np.asarray(calibration)
    if calibration is None or len(calibration) == 0:
        raise ValueError(
            "int8 OpenVINO export quantises activations statically: pass `calibration`, a few hundred "
            "representative inputs of the model (e.g. training images), or use format='onnx' (dynamic int8, no "
            "calibration). Received: calibration=None"
        )
    calibration = np.asarray(calibration)
    expected = tuple(model.inputs[0].shape[1:])
    if calibration.shape[1:] != expected:
        raise ValueError(
            f"`calibration` must be a batch of model inputs of shape (n, {', '.join(map(str, expected))}). "
            f"Received: calibration.shape={calibration.shape}"
        )
    return calibration.astype(model.inputs[0].dtype)


def _signature(model):
    """What `load` checks inputs against and how it names the outputs."""
    spec = model.inputs[0]
    return {"input_shape": list(spec.shape[1:]), "input_dtype": str(spec.dtype), "outputs": list(model.output)}


def _named_outputs(model):
    """`model` with its outputs in a dict (one "output" when it has one), so every runtime names them alike
    (OpenVINO's converter otherwise lists inner tensors of a bare model beside its result)."""
    if isinstance(model.output, dict):
        return model
    if not isinstance(model.output, keras.KerasTensor):
        raise ValueError(
            "`convert` exports models with one output or a dict of outputs. "
            f"Received: model={model.name!r} with {len(model.outputs)} outputs"
        )
    inputs = keras.Input(model.inputs[0].shape[1:], dtype=model.inputs[0].dtype, name="images")
    return keras.Model(inputs, {"output": model(inputs)}, name=model.name)


def _call_once(model, signature):
    """Keras's ONNX exporter refuses a model that has never been called (a wrapper built just now)."""
    shape = [1, *(size or 1 for size in signature["input_shape"])]
    model(np.zeros(shape, dtype=signature["input_dtype"]), training=False)


def convert(model, path, format, precision="float32", calibration=None, metadata=None):
    """Writes `model` as `format` at `precision` into the folder `path` (created; must not exist yet).

    Args:
        model: a Keras model with one input (any outputs); a keras_vit classifier, or the serving
            wrapper `export` builds around one.
        path: the folder to write (`model.xml`/`.onnx`/`.tflite` or a SavedModel, plus `metadata.json`).
        format: "saved_model", "openvino", "onnx" or "litert".
        precision: "float32", "bfloat16", "int8" or "auto" (the fastest this CPU runs natively among
            the format's; see `keras_vit.deploy.cpu`).
        calibration: representative inputs of `model` (a NumPy batch), for OpenVINO's static int8.
        metadata: extra keys for `metadata.json` (class names, the serving input, ...).

    Returns:
        `path`. `keras_vit.deploy.load(path)` runs it.
    """
    if len(getattr(model, "inputs", None) or ()) != 1:
        raise ValueError(
            f"`convert` exports models with one input. Received: model={getattr(model, 'name', model)!r} with "
            f"{len(getattr(model, 'inputs', None) or ())} inputs"
        )
    model = _named_outputs(model)
    signature = _signature(model)
    precision = resolve_precision(format, precision)
    calibration = _check_calibration(format, precision, calibration, model)
    check_runtime(format)
    path = os.fspath(path)
    if os.path.exists(path):
        raise FileExistsError(f"{path} already exists; choose a new folder or delete it. Received: path={path!r}")
    staging = f"{path}.tmp-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    os.makedirs(staging)
    _call_once(model, signature)
    try:
        format_module(format).write(model, staging, precision, calibration)
        record = {"format": format, "precision": precision, **signature, **(metadata or {})}
        record["keras_version"] = keras.__version__
        with open(os.path.join(staging, METADATA), "w", encoding="utf-8") as f:
            json.dump(record, f, indent=1)
        os.replace(staging, path)  # a reader never sees a half-written folder
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return path
