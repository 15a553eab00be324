"""The machine's matrix-multiply rates per precision, measured in the same run as the models, and the roofline arithmetic.

A ViT is >99 % matrix products (see `keras_vit/models/flops.py`), so the rate of one large square GEMM in
the best library on the machine is the ceiling its throughput can approach: `fraction_of_peak` is model
FLOPs × images/s ÷ that rate, with the rate of the row's own precision (float32, bfloat16 or int8; int8
counts integer operations the same way, 2 per multiply-accumulate). Imports only NumPy at module level:
the benchmark's PyTorch workers load this file without Keras.

Which library multiplies which precision here (`SUPPORTED`):
- float32: NumPy, PyTorch, TensorFlow, JAX, OpenVINO, ONNX Runtime;
- bfloat16: PyTorch and OpenVINO (oneDNN's avx512_bf16 / AMX kernels), JAX (XLA:CPU, no fast kernels);
- int8: PyTorch's `torch._int_mm` (oneDNN, int8 × int8 → int32), OpenVINO's int8 FullyConnected (a
  FakeQuantize'd activation times int8 weights: the form NNCF-quantised models run), ONNX Runtime's
  `MatMulInteger` with uint8 activations and constant int8 weights (the form its dynamic quantisation
  runs; int8 × int8 activations fall off MLAS's VNNI kernels, ~10x slower).
"""

import numpy as np

FRAMEWORKS = ("numpy", "torch", "tensorflow", "jax", "openvino", "onnxruntime")
DTYPES = ("float32", "bfloat16", "int8")
SUPPORTED = {
    "numpy": ("float32",),
    "torch": ("float32", "bfloat16", "int8"),
    "tensorflow": ("float32",),
    "jax": ("float32", "bfloat16"),
    "openvino": ("float32", "bfloat16", "int8"),
    "onnxruntime": ("float32", "int8"),
}

# Forward + backward ≈ 3 × the forward FLOPs (the backward pass does two products per forward product).
TRAIN_FLOPS_FACTOR = 3

# ONNX IR version of the one-node graphs: the newest the installed onnxruntime reads may trail onnx's default.
_ONNX_IR_VERSION = 8


def gemm_flops(n):
    """FLOPs (integer operations for int8) of one (n × n) @ (n × n) product: n³ multiply-accumulates."""
    return 2 * n**3


def achieved_flops(flops_per_image, images_per_s):
    """FLOP/s a model reaches: FLOPs per image × images per second."""
    return flops_per_image * images_per_s


def fraction_of_peak(flops_per_image, images_per_s, peak_flops_per_s):
    """Roofline fraction: the model's FLOP/s over the peak (a GEMM rate, or a GPU's datasheet figure)."""
    if peak_flops_per_s <= 0:
        raise ValueError(f"The peak rate must be positive. Received: peak_flops_per_s={peak_flops_per_s}")
    return achieved_flops(flops_per_image, images_per_s) / peak_flops_per_s


def make_gemm(framework, n, dtype="float32", seed=0):
    """A no-argument callable running one `n × n` GEMM in `framework` and waiting for its result.

    Args:
        framework: one of `FRAMEWORKS`.
        n: matrix side (4096 is ~137 GFLOP, about a second on two cores in float32).
        dtype: one of `SUPPORTED[framework]`.
    """
    if framework not in FRAMEWORKS:
        raise ValueError(f"`framework` must be one of {FRAMEWORKS}. Received: framework={framework!r}")
    if dtype not in DTYPES:
        raise ValueError(f"`dtype` must be one of {DTYPES}. Received: dtype={dtype!r}")
    if dtype not in SUPPORTED[framework]:
        raise ValueError(
            f"The {framework} GEMM runs {', '.join(SUPPORTED[framework])}; pick one of those or another framework "
            f"(see gemm.SUPPORTED). Received: framework={framework!r}, dtype={dtype!r}"
        )
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    return _BUILDERS[framework](a, b, dtype)


def _numpy_gemm(a, b, dtype):
    out = np.empty_like(a)
    return lambda: np.matmul(a, b, out=out)


def _torch_gemm(a, b, dtype):
    import torch

    if dtype == "int8":
        ta, tb = (torch.from_numpy(_int8(m)) for m in (a, b))
        return lambda: torch._int_mm(ta, tb)
    ta = torch.from_numpy(a).to(getattr(torch, dtype))
    tb = torch.from_numpy(b).to(getattr(torch, dtype))
    tout = torch.empty_like(ta)

    def run_torch():
        with torch.inference_mode():
            torch.matmul(ta, tb, out=tout)

    return run_torch


def _tensorflow_gemm(a, b, dtype):
    import tensorflow as tf

    ta, tb = tf.constant(a), tf.constant(b)
    # Eager CPU ops return once computed; `tf.function` would only add tracing.
    return lambda: tf.linalg.matmul(ta, tb)


def _jax_gemm(a, b, dtype):
    import jax
    import jax.numpy as jnp

    ja = jnp.asarray(a, dtype=dtype)
    jb = jnp.asarray(b, dtype=dtype)
    matmul = jax.jit(jnp.matmul)
    return lambda: matmul(ja, jb).block_until_ready()


def _openvino_gemm(a, b, dtype):
    request = openvino_matmul(a.shape[0], b, dtype).create_infer_request()
    return lambda: request.infer({0: a})


def openvino_matmul(n, b, dtype):
    """`x @ b` for an (n × n) float32 `x` as an OpenVINO model with `b` constant, compiled for the CPU at `dtype`."""
    import openvino as ov
    import openvino.opset13 as ops

    x = ops.parameter([n, n], ov.Type.f32)
    if dtype == "int8":
        # The pattern NNCF writes: quantise the activation (FakeQuantize, 256 levels), dequantise int8
        # weights; OpenVINO's CPU plugin folds both into one u8 × i8 FullyConnected.
        low, high = ops.constant(np.float32(-4.0)), ops.constant(np.float32(4.0))
        x_q = ops.fake_quantize(x, low, high, low, high, 256)
        weights = ops.multiply(ops.convert(ops.constant(_int8(b)), ov.Type.f32), ops.constant(np.float32(0.02)))
        product = ops.matmul(x_q, weights, False, False)
    else:
        product = ops.matmul(x, ops.constant(b), False, False)
    hint = {"float32": "f32", "bfloat16": "bf16", "int8": "f32"}[dtype]
    return ov.Core().compile_model(ov.Model([product], [x]), "CPU", {"INFERENCE_PRECISION_HINT": hint})


def _onnxruntime_gemm(a, b, dtype):
    """A one-node ONNX graph (MatMul, or MatMulInteger uint8 × constant int8) on ONNX Runtime's CPU provider."""
    import onnx
    import onnxruntime
    from onnx import helper, numpy_helper

    n = a.shape[0]
    if dtype == "int8":
        x = (_int8(a).astype(np.int16) + 128).astype(np.uint8)
        node, weights, in_type, out_type = "MatMulInteger", _int8(b), onnx.TensorProto.UINT8, onnx.TensorProto.INT32
    else:
        x, node, weights, in_type, out_type = a, "MatMul", b, onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT
    graph = helper.make_graph(
        [helper.make_node(node, ["x", "w"], ["y"])],
        "gemm",
        [helper.make_tensor_value_info("x", in_type, [n, n])],
        [helper.make_tensor_value_info("y", out_type, [n, n])],
        initializer=[numpy_helper.from_array(weights, "w")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=_ONNX_IR_VERSION)
    session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return lambda: session.run(None, {"x": x})


def _int8(matrix):
    """`matrix` (standard normal) scaled to int8, saturating at ±127."""
    return np.clip(np.round(matrix * 32.0), -127, 127).astype(np.int8)


_BUILDERS = {
    "numpy": _numpy_gemm,
    "torch": _torch_gemm,
    "tensorflow": _tensorflow_gemm,
    "jax": _jax_gemm,
    "openvino": _openvino_gemm,
    "onnxruntime": _onnxruntime_gemm,
}
