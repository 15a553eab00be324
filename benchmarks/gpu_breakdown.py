"""Where a ViT-B/16 training step's time goes on one GPU (JAX): GEMM rate, forward, forward+backward, full step.

python benchmarks/gpu_breakdown.py           # one line per measurement; XLA_FLAGS apply as usual
"""

import os
import sys
import time
import types

os.environ.setdefault("KERAS_BACKEND", "jax")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gpu_bench  # noqa: E402
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

from keras_vit.models.flops import count_flops  # noqa: E402
from keras_vit.models.vit import build_vit  # noqa: E402


def rate(fn, *args, n=10):
    out = fn(*args)
    jax.block_until_ready(out)
    start = time.perf_counter()
    for _ in range(n):
        out = fn(*args)
    jax.block_until_ready(out)
    return (time.perf_counter() - start) / n


def main():
    a = jnp.ones((8192, 8192), jnp.bfloat16)
    t = rate(jax.jit(lambda a: a @ a), a)
    print(f"GEMM 8192^3 bf16: {2 * 8192**3 / t / 1e12:.0f} TFLOP/s", flush=True)
    batch = 256
    keras.config.set_dtype_policy("mixed_bfloat16")
    sizes = gpu_bench.B16
    arch = {k: sizes[k] for k in ("patch_size", "hidden_size", "depth", "num_heads", "mlp_dim")}
    model = build_vit(**arch, image_size=224, classes=1000, classifier_activation=None)
    flops = count_flops(model) * batch
    rng = np.random.default_rng(0)
    x = jax.device_put(rng.uniform(-1, 1, (batch, 224, 224, 3)).astype("float32"))
    y = jax.device_put(rng.integers(0, 1000, batch).astype("int32"))
    tv = [v.value for v in model.trainable_variables]
    ntv = [v.value for v in model.non_trainable_variables]
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def loss(tv, ntv, x, y, training):
        logits, _ = model.stateless_call(tv, ntv, x, training=training)
        return loss_fn(y, logits)

    fwd = jax.jit(lambda tv, ntv, x: model.stateless_call(tv, ntv, x, training=False)[0])
    t = rate(fwd, tv, ntv, x)
    print(f"forward: {t * 1e3:.1f} ms, {flops / t / 1e12:.0f} TFLOP/s", flush=True)
    grad = jax.jit(jax.grad(lambda tv, ntv, x, y: loss(tv, ntv, x, y, True)))
    t = rate(grad, tv, ntv, x, y)
    print(f"forward+backward: {t * 1e3:.1f} ms, {3 * flops / t / 1e12:.0f} TFLOP/s", flush=True)
    compiled = grad.lower(tv, ntv, x, y).compile()
    cost = compiled.cost_analysis()
    cost = cost[0] if isinstance(cost, (list, tuple)) else cost
    print(
        f"XLA cost of forward+backward: {cost.get('flops', 0) / 1e12:.1f} TFLOP, "
        f"{cost.get('bytes accessed', 0) / 1e9:.1f} GB accessed",
        flush=True,
    )
    args = types.SimpleNamespace(warmup=3, windows=3, steps=10, batch=batch)
    r = gpu_bench.jax_training(jax, keras, model, x, y, args)
    print(
        f"full step: {batch / r['median'] * 1e3:.1f} ms, {3 * flops / (batch / r['median']) / 1e12:.0f} TFLOP/s",
        flush=True,
    )


if __name__ == "__main__":
    main()
