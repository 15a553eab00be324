"""timm's ViT converted by `openvino.convert_model` and compiled for the CPU: float32, bfloat16, int8 (NNCF).

float32 and bfloat16 are OpenVINO's `INFERENCE_PRECISION_HINT` ("f32", "bf16": oneDNN's avx512_bf16 /
AMX kernels). int8 is `nncf.quantize(..., model_type=TRANSFORMER)` (static: FakeQuantize'd activations,
int8 weights) calibrated on the bench's own input images, compiled with OpenVINO's default precision
for the operations it leaves unquantised. One compiled model per batch size (static shapes).
"""

from .timm_exported import ExportedTimmRunner, calibration_images

HINTS = {"float32": "f32", "bfloat16": "bf16", "int8": None}


class Runner(ExportedTimmRunner):
    PRECISIONS = ("float32", "bfloat16", "int8")
    RUNTIME = "openvino"

    def convert(self, net, item, precision, stem):
        import openvino

        size = item["model"]["image_size"]
        example = self.torch.zeros(1, 3, size, size)
        model = openvino.convert_model(net, example_input=example, input=[openvino.PartialShape([-1, 3, size, size])])
        if precision == "int8":
            import nncf
            from nncf.quantization.advanced_parameters import AdvancedQuantizationParameters

            from keras_vit.deploy.openvino_format import overflow_fix

            images = calibration_images(item)
            # As keras_vit's export: 7-bit weights on every layer on a CPU without VNNI.
            fix = overflow_fix()
            model = nncf.quantize(
                model,
                nncf.Dataset(images),
                model_type=nncf.ModelType.TRANSFORMER,
                subset_size=len(images),
                advanced_parameters=AdvancedQuantizationParameters(overflow_fix=fix),
            )
        return model

    def predictor(self, model, item, precision):
        import openvino

        size = item["model"]["image_size"]
        static = model.clone()
        static.reshape([item["batch"], 3, size, size])
        hint = HINTS[precision]
        config = {"INFERENCE_PRECISION_HINT": hint} if hint else {}
        compiled = openvino.Core().compile_model(static, "CPU", config)
        request = compiled.create_infer_request()
        info = dict(
            openvino=openvino.__version__,
            inference_precision=compiled.get_property("INFERENCE_PRECISION_HINT").to_string(),
            streams=int(compiled.get_property("NUM_STREAMS")),
        )
        return (lambda x: request.infer({0: x})[0]), info
