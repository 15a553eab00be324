"""ONNX (`model.onnx`), written by Keras's own `model.export(format="onnx")` (tf2onnx on TensorFlow).

Precisions: float32, and int8 as ONNX Runtime's dynamic quantisation (`quantize_dynamic`: int8 weights,
activations quantised per call from their own range, so no calibration data; the MatMul and Gemm nodes
only). ONNX Runtime's CPU provider has no bfloat16 kernels for these ops: use OpenVINO for bf16. Exported on a
CPU without VNNI, the weights keep 7 bits (`reduce_range`): AVX2's u8×s8 products sum pairs into int16 and
saturate with full-range weights (logits of a tiny ViT off by 0.1 on an AVX2-only EPYC).
"""

import os

from keras_vit.deploy.cpu import needs_int8_overflow_fix

FILE = "model.onnx"
PRECISIONS = ("float32", "int8")


def write(model, directory, precision, calibration=None):
    path = os.path.join(directory, FILE)
    model.export(path, format="onnx", verbose=False)
    if precision == "int8":
        from onnxruntime.quantization import QuantType, quantize_dynamic

        float_path = os.path.join(directory, "float32.onnx")
        os.replace(path, float_path)
        quantize_dynamic(
            float_path,
            path,
            weight_type=QuantType.QInt8,
            op_types_to_quantize=["MatMul", "Gemm"],
            reduce_range=needs_int8_overflow_fix(),
        )
        os.remove(float_path)
    return path


class Runtime:
    """An `onnxruntime.InferenceSession` on the CPU provider; `__call__(x)` → {output name: array}."""

    def __init__(self, directory, precision, threads=None):
        import onnxruntime as ort

        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = int(threads)
        self.session = ort.InferenceSession(os.path.join(directory, FILE), options, providers=["CPUExecutionProvider"])
        self.input_name = self.session.get_inputs()[0].name
        self.names = [output.name for output in self.session.get_outputs()]

    def __call__(self, x):
        return dict(zip(self.names, self.session.run(None, {self.input_name: x}), strict=True))
