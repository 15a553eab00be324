"""Deployment: a keras_vit model served by TF Serving, OpenVINO, ONNX Runtime or LiteRT, in float32, bf16 or int8.

- `export(model, path, format=..., precision=...)`: the serving contract (raw pixels in, preprocessing,
  softmax and top-k inside) in any format; `export_saved_model` is its TF Serving form.
- `convert(model, path, format, precision)`: any Keras model as it is (e.g. logits out), for benchmarks.
- `load(path)`: an export run by the format's own runtime, with input checks.
- `cpu_features()`, `native_precisions()`, `auto_precision()`: what this CPU multiplies natively.
Importing this package imports no runtime and no TensorFlow; each format imports its own when used.
"""

from keras_vit.deploy.convert import convert, resolve_precision
from keras_vit.deploy.cpu import auto_precision, cpu_features, native_precisions
from keras_vit.deploy.export import export
from keras_vit.deploy.formats import FORMATS, precisions
from keras_vit.deploy.runtime import Predictor, load


def __getattr__(name):
    if name == "export_saved_model":  # imports TensorFlow
        from keras_vit.deploy.saved_model import export_saved_model

        return export_saved_model
    raise AttributeError(f"module 'keras_vit.deploy' has no attribute {name!r}")


__all__ = [
    "FORMATS",
    "Predictor",
    "auto_precision",
    "convert",
    "cpu_features",
    "export",
    "export_saved_model",
    "load",
    "native_precisions",
    "precisions",
    "resolve_precision",
]
