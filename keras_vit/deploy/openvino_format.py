"""OpenVINO IR (`model.xml` + `model.bin`), written by Keras's own `model.export(format="openvino")`.

Precisions: float32 and bfloat16 are the same file — OpenVINO's CPU plugin picks the arithmetic when it
compiles the model (`INFERENCE_PRECISION_HINT`; its own default is bf16 on CPUs with AMX or AVX-512 BF16),
so the precision is recorded in `metadata.json` and applied by `runtime`. int8 is NNCF's post-training
quantisation (`nncf.quantize`, transformer preset: the softmax, LayerNorm and GELU inputs stay in float;
SmoothQuant off) calibrated on representative inputs. OpenVINO Model Server serves the same folder; set the precision there
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


def _quantize(ov_model, calibration):
    import nncf
    from nncf.quantization.advanced_parameters import AdvancedQuantizationParameters, AdvancedSmoothQuantParameters

    batches = [calibration[i : i + CALIBRATION_BATCH] for i in range(0, len(calibration), CALIBRATION_BATCH)]
    # SmoothQuant off: on a trained Fashion-MNIST ViT it moved the top-1 agreement with float32 from 99.7 % to
    # 13 % (1,000 test images; the transformer preset turns it on).
    no_smooth_quant = AdvancedQuantizationParameters(smooth_quant_alphas=AdvancedSmoothQuantParameters(matmul=-1))
    return nncf.quantize(
        ov_model,
        nncf.Dataset(batches),
        model_type=nncf.ModelType.TRANSFORMER,
        subset_size=len(batches),
        advanced_parameters=no_smooth_quant,
    )


class Runtime:
    """The compiled model on the CPU plugin; `__call__(x)` → {output name: array}."""

    def __init__(self, directory, precision, threads=None):
        import openvino as ov

        config = {"PERFORMANCE_HINT": "LATENCY"}
        if HINTS[precision]:
            config["INFERENCE_PRECISION_HINT"] = HINTS[precision]
        if threads:
            config["INFERENCE_NUM_THREADS"] = int(threads)
        self.model = ov.Core().compile_model(os.path.join(directory, FILE), "CPU", config)
        self.request = self.model.create_infer_request()
        self.input_shape = tuple(self.model.inputs[0].get_partial_shape().to_string().strip("[]").split(","))

    def __call__(self, x):
        results = self.request.infer({0: x}, share_inputs=True)
        return {
            output.get_any_name(): value for output, value in zip(self.model.outputs, results.values(), strict=True)
        }
