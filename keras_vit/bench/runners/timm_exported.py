"""timm's ViT converted to a deployment runtime: what the ONNX Runtime and OpenVINO runners share.

The float32 PyTorch model is built from the bench's `.npz` by `timm.build_timm` (so the harness's logit
parity check holds), converted once per (model, precision, GELU form), and timed through the
runtime's own inference call. Converted files go beside the bench's checkpoint (the run's work
folder). The parity check's tanh-GELU logits come from a second conversion of the tanh-GELU model:
an exported graph has no activation to swap. Imports no Keras: the worker loads these runners in
processes of their own.
"""

import os
import time

import numpy as np

from .timm import build_timm, load_images


class ExportedTimmRunner:
    """Subclasses set `PRECISIONS` and `RUNTIME` and define `convert` and `predictor`."""

    PRECISIONS = ()
    RUNTIME = ""

    def __init__(self, options):
        import torch

        self.torch = torch
        self.options = options
        self.converted = {}
        self.predictors = {}

    # -- what a subclass provides ------------------------------------------------------------
    def convert(self, net, item, precision, stem):
        """The runtime's model of the PyTorch `net` at `precision`; `stem` is a path prefix for its files."""
        raise NotImplementedError

    def predictor(self, converted, item, precision):
        """`(predict, info)`: `predict(images NCHW float32) -> logits` for the item's batch, and what to report."""
        raise NotImplementedError

    # -- shared ------------------------------------------------------------------------------
    def _check(self, item):
        if item["task"] != "infer":
            raise ValueError(
                f"The {self.RUNTIME} runner times inference only; training is timm/eager's. "
                f"Received: task={item['task']!r}"
            )
        if item["dtype"] not in self.PRECISIONS:
            raise ValueError(
                f"The {self.RUNTIME} runner runs {', '.join(self.PRECISIONS)}; pick one of those. "
                f"Received: dtype={item['dtype']!r}"
            )

    def _converted(self, item, tanh_gelu):
        key = (item["model"]["name"], item["dtype"], tanh_gelu)
        if key not in self.converted:
            net = build_timm(item["model"], item["weights"], tanh_gelu=tanh_gelu).eval()
            name = item["model"]["name"].replace("/", "")
            stem = os.path.join(
                os.path.dirname(item["weights"]), f"timm_{self.RUNTIME}_{name}_{item['dtype']}_{int(tanh_gelu)}"
            )
            with self.torch.inference_mode():
                self.converted[key] = self.convert(net, item, item["dtype"], stem)
        return self.converted[key]

    def _predictor(self, item, tanh_gelu=False):
        key = (item["model"]["name"], item["dtype"], tanh_gelu, item["batch"])
        if key not in self.predictors:
            self.predictors[key] = self.predictor(self._converted(item, tanh_gelu), item, item["dtype"])
        return self.predictors[key]

    def prepare(self, item):
        self._check(item)
        start = time.perf_counter()
        predict, info = self._predictor(item)
        x = load_images(item)
        info = dict(info, runtime=self.RUNTIME, precision=item["dtype"], build_s=time.perf_counter() - start)
        return (lambda: predict(x)), info

    def logits(self, item, tanh_gelu=False):
        self._check(dict(item, task="infer"))
        predict, _ = self._predictor(item, tanh_gelu)
        return np.asarray(predict(load_images(item)), dtype=np.float32)


def calibration_images(item):
    """Every image of the bench's input file, one NCHW array of batch 1 each: the static-int8 calibration set."""
    images = load_images(item, batch=np.load(item["inputs"], mmap_mode="r").shape[0])
    return [images[i : i + 1] for i in range(images.shape[0])]
