"""The machine's matrix-multiply rate, measured in the same run as the models, and the roofline arithmetic.

A ViT is >99 % matrix products (see `flops.py`), so the rate of one large square GEMM in the best
library on the machine is the ceiling its throughput can approach: `fraction_of_peak` is
model FLOPs × images/s ÷ that rate. Imports only NumPy at module level: the benchmark's PyTorch
workers load this file without Keras.
"""

import numpy as np

FRAMEWORKS = ("numpy", "torch", "tensorflow", "jax")

# Forward + backward ≈ 3 × the forward FLOPs (the backward pass does two products per forward product).
TRAIN_FLOPS_FACTOR = 3


def gemm_flops(n):
    """FLOPs of one (n × n) @ (n × n) product: n³ multiply-accumulates."""
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
        n: matrix side (4096 is ~137 GFLOP, about a second on two cores).
        dtype: "float32" or "bfloat16" (bfloat16 for torch and jax only).
    """
    if framework not in FRAMEWORKS:
        raise ValueError(f"`framework` must be one of {FRAMEWORKS}. Received: framework={framework!r}")
    if dtype not in ("float32", "bfloat16"):
        raise ValueError(f"`dtype` must be 'float32' or 'bfloat16'. Received: dtype={dtype!r}")
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    if framework == "numpy":
        if dtype != "float32":
            raise ValueError(f"NumPy has no bfloat16 GEMM. Received: framework='numpy', dtype={dtype!r}")
        out = np.empty_like(a)
        return lambda: np.matmul(a, b, out=out)
    if framework == "torch":
        import torch

        ta = torch.from_numpy(a).to(getattr(torch, dtype))
        tb = torch.from_numpy(b).to(getattr(torch, dtype))
        tout = torch.empty_like(ta)

        def run_torch():
            with torch.inference_mode():
                torch.matmul(ta, tb, out=tout)

        return run_torch
    if framework == "tensorflow":
        if dtype != "float32":
            raise ValueError(f"The TensorFlow GEMM is float32 only. Received: dtype={dtype!r}")
        import tensorflow as tf

        ta, tb = tf.constant(a), tf.constant(b)
        # Eager CPU ops return once computed; `tf.function` would only add tracing.
        return lambda: tf.linalg.matmul(ta, tb)
    import jax
    import jax.numpy as jnp

    ja = jnp.asarray(a, dtype=dtype)
    jb = jnp.asarray(b, dtype=dtype)
    matmul = jax.jit(jnp.matmul)
    return lambda: matmul(ja, jb).block_until_ready()
