"""OpenVINO IR (`model.xml` + `model.bin`), written by Keras's own `model.export(format="openvino")`.

Precisions: float32 and bfloat16 are the same file — OpenVINO's CPU plugin picks the arithmetic when it
compiles the model (`INFERENCE_PRECISION_HINT`; its own default is bf16 on CPUs with AMX or AVX-512 BF16),
so the precision is recorded in `metadata.json` and applied by `Runtime`, which compiles the IR (dynamic batch)
once per batch size it is called with. int8 is NNCF's post-training quantisation (`nncf.quantize`, transformer
model type: the softmax, LayerNorm and GELU inputs stay in float; symmetric activations, SmoothQuant off, the erf
GELU) calibrated on representative inputs. OpenVINO Model Server serves the same folder; set the precision there
with `--plugin_config '{"INFERENCE_PRECISION_HINT": "bf16"}'`.
"""

import os

FILE = "model.xml"
PRECISIONS = ("float32", "bfloat16", "int8")
CALIBRATION_BATCH = 8
# OpenVINO's names for the arithmetic of a compiled model. int8 models leave the ops NNCF did not quantise
# (softmax, LayerNorm, GELU, the attention core) to the plugin's default: bf16 on CPUs with AVX-512 BF16 or AMX,
# else f32 (forcing f32 there made ViT-S/16 int8 0.78x timm -> OpenVINO int8, which runs them in bf16).
HINTS = {"float32": "f32", "bfloat16": "bf16", "int8": None}


def write(model, directory, precision, calibration=None):
    import openvino as ov

    path = os.path.join(directory, FILE)
    model.export(path, format="openvino", verbose=False)
    if precision == "int8":
        core = ov.Core()
        quantized = _quantize(core.read_model(path), calibration)
        os.remove(path)
        os.remove(path[: -len(".xml")] + ".bin")
        ov.save_model(quantized, path, compress_to_fp16=False)
    return path


def _exact_gelu(ov_model):
    """Every tanh-form `Gelu` of `ov_model` replaced by the erf form, in place.

    For int8 only: the two forms differ by at most 5e-4, 1/80 of one int8 step of the MLP activations they
    feed (range ~10 / 255), while the CPU plugin's int8 product runs the erf form faster in its epilogue (ViT-S/16,
    batch 1, an AMX Xeon: 97 vs 88 images/s)."""
    import openvino as ov

    for op in ov_model.get_ops():
        if op.get_type_name() == "Gelu" and op.get_attributes().get("approximation_mode", "").upper() == "TANH":
            op.output(0).replace(ov.opset7.gelu(op.input_value(0), "erf").output(0))
    return ov_model


def overflow_fix():
    """NNCF's `OverflowFix` for int8 quantised on this CPU: without VNNI its u8×s8 products saturate int16 pair
    sums, so 7-bit weights on every layer, as NNCF advises for such CPUs; with VNNI its default (first layer)."""
    from nncf.quantization.advanced_parameters import OverflowFix

    from keras_vit.deploy.cpu import needs_int8_overflow_fix

    return OverflowFix.ENABLE if needs_int8_overflow_fix() else OverflowFix.FIRST_LAYER


def _quantize(ov_model, calibration):
    import nncf
    from nncf.quantization.advanced_parameters import AdvancedQuantizationParameters, AdvancedSmoothQuantParameters

    batches = [calibration[i : i + CALIBRATION_BATCH] for i in range(0, len(calibration), CALIBRATION_BATCH)]
    # SmoothQuant off: on a trained Fashion-MNIST ViT it moved the top-1 agreement with float32 from 99.7 % to
    # 13 % (1,000 test images; the transformer preset turns it on).
    advanced = AdvancedQuantizationParameters(
        smooth_quant_alphas=AdvancedSmoothQuantParameters(matmul=-1), overflow_fix=overflow_fix()
    )
    return nncf.quantize(
        _exact_gelu(ov_model),
        nncf.Dataset(batches),
        model_type=nncf.ModelType.TRANSFORMER,
        # Symmetric int8 activations (the transformer default is asymmetric u8 with zero points, whose
        # compensation the product then computes): ViT-S/16, batch 1, an AMX Xeon: 102 vs 88 images/s.
        preset=nncf.QuantizationPreset.PERFORMANCE,
        subset_size=len(batches),
        advanced_parameters=advanced,
    )


# OpenVINO's CPU plugin runs a model compiled for one input shape faster than the same IR with a dynamic batch: its
# kernels and fusions are chosen for that shape (ViT-S/16, batch 1, an AMX Xeon: int8 101 vs 71 images/s, bf16 121
# vs 99). The runtime compiles the export once per batch size it is called with, up to this many sizes (each
# compiled model holds its own copy of the repacked weights); other sizes run on one dynamic-batch compilation.
STATIC_BATCH_SIZES = 4


class Runtime:
    """The export on the CPU plugin, compiled per batch size; `__call__(x)` → {output name: array}."""

    def __init__(self, directory, precision, threads=None):
        import openvino as ov

        self.config = {"PERFORMANCE_HINT": "LATENCY"}
        if HINTS[precision]:
            self.config["INFERENCE_PRECISION_HINT"] = HINTS[precision]
        if threads:
            self.config["INFERENCE_NUM_THREADS"] = int(threads)
        self.core = ov.Core()
        self.ir = self.core.read_model(os.path.join(directory, FILE))
        self.compiled = {}  # input shape (or None: the dynamic one) -> (compiled model, infer request)

    def _compile(self, shape):
        ir = self.ir
        if shape is not None:
            ir = ir.clone()
            ir.reshape({ir.inputs[0]: list(shape)})
        model = self.core.compile_model(ir, "CPU", self.config)
        return model, model.create_infer_request()

    def compiled_for(self, shape):
        """The compiled model and request for a batch of `shape`: one compiled for that shape while fewer than
        `STATIC_BATCH_SIZES` were compiled, else the dynamic-batch one."""
        key = tuple(shape)
        if key not in self.compiled and len(self.compiled) >= STATIC_BATCH_SIZES:
            key = None
        if key not in self.compiled:
            self.compiled[key] = self._compile(key)
        return self.compiled[key]

    @property
    def model(self):
        """A compiled model of the export (the first one), for its properties (e.g. the precision hint)."""
        if not self.compiled:
            self.compiled[None] = self._compile(None)
        return next(iter(self.compiled.values()))[0]

    def __call__(self, x):
        model, request = self.compiled_for(x.shape)
        results = request.infer({0: x}, share_inputs=True)
        return {output.get_any_name(): value for output, value in zip(model.outputs, results.values(), strict=True)}
