"""The export formats as data: name → the module that writes and runs it, the runtime it needs.

Each format module defines `FILE` (the file that marks an export of it), `PRECISIONS`, `write(model,
directory, precision, calibration)` and `Runtime(directory, precision, threads)`. Adding a format is one
module and one row here.
"""

import importlib
import importlib.util

FORMATS = {
    "saved_model": {"module": "keras_vit.deploy.saved_model_format", "runtime": "tensorflow", "pip": "tensorflow"},
    "openvino": {"module": "keras_vit.deploy.openvino_format", "runtime": "openvino", "pip": "openvino nncf"},
    "onnx": {"module": "keras_vit.deploy.onnx_format", "runtime": "onnxruntime", "pip": "onnx onnxruntime tf2onnx"},
    "litert": {"module": "keras_vit.deploy.litert_format", "runtime": "ai_edge_litert", "pip": "ai-edge-litert"},
}


def format_module(name):
    """The module of format `name`."""
    if name not in FORMATS:
        raise ValueError(f"`format` must be one of {tuple(FORMATS)}. Received: format={name!r}")
    return importlib.import_module(FORMATS[name]["module"])


def precisions(name):
    """The precisions format `name` exports."""
    return format_module(name).PRECISIONS


def check_runtime(name):
    """Raises ImportError naming the install command when format `name`'s runtime is not installed."""
    runtime = FORMATS[name]["runtime"]
    if importlib.util.find_spec(runtime) is None:
        raise ImportError(
            f"format={name!r} needs {FORMATS[name]['pip']}: pip install 'keras-vit[deploy]'. "
            f"Received: no module named {runtime!r}"
        )
