"""Where a ViT-B/16 training step's time goes on one GPU (JAX): GEMM rate, forward, forward+backward, full step.

PYTHONPATH=. python benchmarks/gpu_breakdown.py           # one line per measurement; XLA_FLAGS apply as usual
"""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

from keras_vit.bench.gemm import TRAIN_FLOPS_FACTOR, gemm_flops  # noqa: E402
from keras_vit.bench.gpu import jax_training  # noqa: E402
from keras_vit.bench.timing import seconds_per_call  # noqa: E402
from keras_vit.models.configs import decode_variant  # noqa: E402
from keras_vit.models.flops import count_flops  # noqa: E402
from keras_vit.models.vit import build_vit  # noqa: E402


def seconds(fn, *args):
    """Mean seconds of a jitted call, its first call (the compilation) left out."""
    return seconds_per_call(lambda: fn(*args), jax.block_until_ready)


def main():
    a = jnp.ones((8192, 8192), jnp.bfloat16)
    t = seconds(jax.jit(lambda a: a @ a), a)
    print(f"GEMM 8192^3 bf16: {gemm_flops(8192) / t / 1e12:.0f} TFLOP/s", flush=True)
    batch = 256
    keras.config.set_dtype_policy("mixed_bfloat16")
    model = build_vit(**decode_variant("B/16"), image_size=224, classes=1000, classifier_activation=None)
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
    t = seconds(fwd, tv, ntv, x)
    print(f"forward: {t * 1e3:.1f} ms, {flops / t / 1e12:.0f} TFLOP/s", flush=True)
    grad = jax.jit(jax.grad(lambda tv, ntv, x, y: loss(tv, ntv, x, y, True)))
    t = seconds(grad, tv, ntv, x, y)
    print(f"forward+backward: {t * 1e3:.1f} ms, {TRAIN_FLOPS_FACTOR * flops / t / 1e12:.0f} TFLOP/s", flush=True)
    compiled = grad.lower(tv, ntv, x, y).compile()
    cost = compiled.cost_analysis()
    cost = cost[0] if isinstance(cost, (list, tuple)) else cost
    print(
        f"XLA cost of forward+backward: {cost.get('flops', 0) / 1e12:.1f} TFLOP, "
        f"{cost.get('bytes accessed', 0) / 1e9:.1f} GB accessed",
        flush=True,
    )
    r = jax_training(model, x, y, warmup=3, windows=3, steps=10)
    step_s = batch / r["median"]
    print(f"full step: {step_s * 1e3:.1f} ms, {TRAIN_FLOPS_FACTOR * flops / step_s / 1e12:.0f} TFLOP/s", flush=True)


if __name__ == "__main__":
    main()
