"""keras_vit exported by `keras_vit.deploy.convert` and run by the format's own runtime (`keras_vit.deploy.load`).

The model is the bench's keras_vit classifier (logits out, the shared `.npz`), built in float32 as
`runners/keras_vit.py` builds it; each precision the configuration runs is one export of it (OpenVINO's
static int8 is calibrated on the bench's own input images). The export goes beside the checkpoint (the
run's work folder); what is timed is `predictor(images)`, the call a user of the export makes. keras_vit's
GELU is already the tanh form, so the parity logits need no second export. Runs on the TensorFlow backend
(the ONNX and LiteRT exports go through TensorFlow).
"""

import os
import shutil
import time

import numpy as np

from keras_vit.bench.runners.keras_vit import Runner as KerasVitRunner


class Runner:
    """Options: `format` ("saved_model", "openvino", "onnx" or "litert"). Items: the precision as `dtype`."""

    def __init__(self, options):
        from keras_vit import deploy

        if options.get("format") not in deploy.FORMATS:
            raise ValueError(
                f"The deploy runner needs option `format`, one of {tuple(deploy.FORMATS)}. "
                f"Received: format={options.get('format')!r}"
            )
        self.deploy = deploy
        self.format = options["format"]
        self.builder = KerasVitRunner({"xla": False})
        self.predictors = {}

    def _model(self, item):
        return self.builder.model(dict(item, dtype="float32", task="infer"))

    def _predictor(self, item):
        key = (item["model"]["name"], item["dtype"])
        if key not in self.predictors:
            name = item["model"]["name"].replace("/", "")
            path = os.path.join(os.path.dirname(item["weights"]), f"keras_vit_{self.format}_{name}_{item['dtype']}")
            shutil.rmtree(path, ignore_errors=True)  # a previous run's export in a reused work folder
            start = time.perf_counter()
            self.deploy.convert(
                self._model(item), path, self.format, precision=item["dtype"], calibration=np.load(item["inputs"])
            )
            convert_s = time.perf_counter() - start
            self.predictors[key] = (self.deploy.load(path), convert_s)
        return self.predictors[key]

    def prepare(self, item):
        if item["task"] != "infer":
            raise ValueError(
                "The deploy runner times inference only; training is keras_vit's runner. "
                f"Received: task={item['task']!r}"
            )
        start = time.perf_counter()
        predictor, convert_s = self._predictor(item)
        x = np.load(item["inputs"])[: item["batch"]]
        info = dict(
            format=predictor.format,
            precision=predictor.precision,
            convert_s=convert_s,
            **self.builder.extra_info(self._model(item), item),
        )
        info["build_s"] = time.perf_counter() - start
        return (lambda: predictor(x)), info

    def logits(self, item, tanh_gelu=False):
        predictor, _ = self._predictor(item)
        return np.asarray(predictor(np.load(item["inputs"])[: item["batch"]]), dtype=np.float32)
