"""`load`: an exported folder → a `Predictor` that runs it in the format's own runtime, with input checks."""

import json
import os

import numpy as np

from keras_vit.deploy.convert import METADATA
from keras_vit.deploy.formats import FORMATS, check_runtime, format_module


def _detect(path):
    """The format of an export folder without `metadata.json` (e.g. a TF Serving SavedModel), by its files."""
    for name in FORMATS:
        if os.path.exists(os.path.join(path, format_module(name).FILE)):
            return name
    files = sorted(os.listdir(path))[:8]
    raise ValueError(
        f"{path} is no keras_vit export: it has no metadata.json and none of "
        f"{[format_module(n).FILE for n in FORMATS]}; pass the folder `keras_vit.deploy.export`/`convert` wrote "
        f"(for a TF Serving export, the version folder NAME/VERSION). Received: files={files}"
    )


def read_metadata(path):
    """`metadata.json` of an export folder, or the format detected from its files."""
    if not os.path.isdir(path):
        raise ValueError(f"An export is a folder; pass the folder, not a file inside it. Received: path={path!r}")
    metadata_path = os.path.join(path, METADATA)
    if os.path.exists(metadata_path):
        with open(metadata_path, encoding="utf-8") as f:
            return json.load(f)
    return {"format": _detect(path), "precision": "float32"}


class Predictor:
    """An export, loaded by its own runtime (OpenVINO, ONNX Runtime, LiteRT, TensorFlow).

    `predictor(x)` returns the first output (`probabilities` for a `keras_vit.deploy.export`, the model's
    output for a `convert`); `predictor.outputs(x)` all of them by name. `x` is a NumPy batch of the
    export's input shape; `class_names`, `format`, `precision` come from `metadata.json`.
    """

    def __init__(self, path, threads=None):
        self.path = os.fspath(path)
        self.metadata = read_metadata(self.path)
        self.format = self.metadata["format"]
        self.precision = self.metadata.get("precision", "float32")
        self.class_names = self.metadata.get("class_names")
        check_runtime(self.format)
        self.runtime = format_module(self.format).Runtime(self.path, self.precision, threads)

    def _check(self, x):
        x = np.asarray(x)
        shape, dtype = self.metadata.get("input_shape"), self.metadata.get("input_dtype")
        if shape is not None and (x.ndim != len(shape) + 1 or any(s and s != d for s, d in zip(shape, x.shape[1:]))):
            raise ValueError(
                f"This export takes a batch of shape (batch, {', '.join(str(s) for s in shape)}); resize the images "
                f"to it first. Received: shape={x.shape}"
            )
        if x.shape[0] == 0:
            raise ValueError(f"The batch is empty; pass at least one image. Received: shape={x.shape}")
        if dtype == "uint8" and x.dtype != np.uint8:
            raise ValueError(
                f"This export takes uint8 pixels in [0, 255]; convert with `x.astype('uint8')` after checking the "
                f"range (or export with input='float'). Received: dtype={x.dtype}"
            )
        if dtype and dtype != "uint8":
            if not np.issubdtype(x.dtype, np.number):
                raise ValueError(f"This export takes numeric pixels. Received: dtype={x.dtype}")
            x = x.astype(dtype)
        return np.ascontiguousarray(x)

    def outputs(self, x):
        """Every output of the export for the batch `x`, by name."""
        results = self.runtime(self._check(x))
        names = self.metadata.get("outputs")
        if names:
            return {name: np.asarray(results[name]) for name in names}
        return {name: np.asarray(value) for name, value in results.items()}

    def __call__(self, x):
        results = self.outputs(x)
        names = self.metadata.get("outputs")
        if names:
            return results[names[0]]
        if "probabilities" in results:  # a TF Serving export (no metadata.json)
            return results["probabilities"]
        if len(results) > 1:
            raise ValueError(
                f"This export has several outputs; call `predictor.outputs(x)` and pick one. Received: outputs="
                f"{sorted(results)}"
            )
        return next(iter(results.values()))


def load(path, threads=None):
    """The export at `path` (a folder written by `keras_vit.deploy.export` or `convert`) as a `Predictor`.

    Args:
        path: the export folder (for `export`: `OUT/NAME/VERSION`).
        threads: CPU threads for the runtime (default: the runtime's own choice, all cores).
    """
    return Predictor(path, threads)
