"""timm's ViT exported to ONNX (`torch.onnx.export`) and run by ONNX Runtime's CPU provider: float32, dynamic int8.

int8 is `onnxruntime.quantization.quantize_dynamic` (int8 weights, activations quantised to uint8 at
run time, so no calibration): the products become `MatMulInteger` u8 × s8, MLAS's VNNI / AMX kernels.
"""

from .timm_exported import ExportedTimmRunner

# TorchScript exporter: the dynamo one needs onnxscript, which the deploy extra does not install.
OPSET = 17


class Runner(ExportedTimmRunner):
    PRECISIONS = ("float32", "int8")
    RUNTIME = "onnxruntime"

    def convert(self, net, item, precision, stem):
        import onnxruntime

        path = export_onnx(self.torch, net, item, f"{stem}.onnx")
        if precision == "int8":
            from onnxruntime.quantization import QuantType, quantize_dynamic

            from keras_vit.deploy.cpu import needs_int8_overflow_fix

            quantized = f"{stem}.int8.onnx"
            # 7-bit weights on a CPU without VNNI, as ONNX Runtime advises (AVX2's int16 pair sums saturate).
            quantize_dynamic(path, quantized, weight_type=QuantType.QInt8, reduce_range=needs_int8_overflow_fix())
            path = quantized
        return onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])

    def predictor(self, session, item, precision):
        import onnxruntime

        name = session.get_inputs()[0].name
        info = dict(onnxruntime=onnxruntime.__version__, providers=session.get_providers())
        return (lambda x: session.run(None, {name: x})[0]), info


def export_onnx(torch, net, item, path):
    """Writes `net` as ONNX at `path` with a dynamic batch dimension; returns the path."""
    model = item["model"]
    example = torch.zeros(1, 3, model["image_size"], model["image_size"])
    torch.onnx.export(
        net,
        (example,),
        path,
        input_names=["images"],
        output_names=["logits"],
        dynamic_axes={"images": {0: "batch"}, "logits": {0: "batch"}},
        opset_version=OPSET,
        dynamo=False,
    )
    return path
