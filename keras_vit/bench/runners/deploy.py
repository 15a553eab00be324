"""keras_vit exported by `keras_vit.deploy.convert` and run by the format's own runtime (`keras_vit.deploy.load`).

The model is the bench's keras_vit classifier (logits out, the shared `.npz`), built in float32 as
`runners/keras_vit.py` builds it; each precision the configuration runs is one export of it (OpenVINO's
static int8 is calibrated on the bench's own input images). The export goes beside the checkpoint (the
run's work folder); what is timed is `predictor(images)`, the call a user of the export makes. keras_vit's
GELU is already the tanh form, so the parity logits need no second export. Runs on the TensorFlow backend
(the ONNX and LiteRT exports go through TensorFlow).

Each export runs in a child process of its own, which exits when the export is written: the worker keeps only
the runtime's loaded model, as a deployment would. (tf2onnx and ONNX Runtime's quantiser left a ViT-B/16 worker
at 6.7 GB resident, killed for memory beside the phase's other workers on a 24 GB machine.)
"""

import concurrent.futures
import multiprocessing
import os
import shutil
import sys
import time

import numpy as np

from keras_vit.bench.runners.keras_vit import Runner as KerasVitRunner


def export_in_child(item, fmt, path):
    """Builds the bench's float32 keras_vit classifier for `item` and exports it to `path` as `fmt` at
    `item["dtype"]`; returns the export's seconds, the model's FLOPs per image and this process's id. Run in a
    spawned process (`Runner._predictor`)."""
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # the worker's stdout is its reply channel
    from keras_vit import deploy

    builder = KerasVitRunner({"xla": False})
    model = builder.model(dict(item, dtype="float32", task="infer"))
    start = time.perf_counter()
    deploy.convert(model, path, fmt, precision=item["dtype"], calibration=np.load(item["inputs"]))
    info = dict(convert_s=time.perf_counter() - start, convert_pid=os.getpid())
    info.update(builder.extra_info(model, item))
    return info


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
        self.predictors = {}

    def _predictor(self, item):
        """The loaded export of `item`'s model at its precision, and the export's info (made once per pair)."""
        key = (item["model"]["name"], item["dtype"])
        if key not in self.predictors:
            name = item["model"]["name"].replace("/", "")
            path = os.path.join(os.path.dirname(item["weights"]), f"keras_vit_{self.format}_{name}_{item['dtype']}")
            shutil.rmtree(path, ignore_errors=True)  # a previous run's export in a reused work folder
            spawn = multiprocessing.get_context("spawn")
            with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
                info = pool.submit(export_in_child, item, self.format, path).result()
            self.predictors[key] = (self.deploy.load(path), info)
        return self.predictors[key]

    def prepare(self, item):
        if item["task"] != "infer":
            raise ValueError(
                "The deploy runner times inference only; training is keras_vit's runner. "
                f"Received: task={item['task']!r}"
            )
        start = time.perf_counter()
        predictor, export_info = self._predictor(item)
        x = np.load(item["inputs"])[: item["batch"]]
        info = dict(format=predictor.format, precision=predictor.precision, worker_pid=os.getpid(), **export_info)
        info["build_s"] = time.perf_counter() - start
        return (lambda: predictor(x)), info

    def logits(self, item, tanh_gelu=False):
        predictor, _ = self._predictor(item)
        return np.asarray(predictor(np.load(item["inputs"])[: item["batch"]]), dtype=np.float32)
