"""keras_vit on one GPU with JAX: the GPUs' datasheet peaks and the timed forward pass and training step.

The pieces the single-GPU scripts of `benchmarks/` share (`gpu_bench.py`, `gpu_variants.py`,
`gpu_breakdown.py`). They set `KERAS_BACKEND=jax` before importing keras_vit (which imports Keras), so that a
machine with JAX and no TensorFlow runs them; JAX is imported when a measurement starts.
"""

import time

from keras_vit.bench.timing import time_windows

# Dense bf16 tensor-core peaks (datasheets, without sparsity), matched in order on `device_kind`.
PEAK_BF16_TFLOPS = (
    ("H100 PCIe", 756.0),
    ("H100 NVL", 835.0),
    ("H100", 989.0),  # SXM
    ("H200", 989.0),
    ("GH200", 989.0),
    ("A100", 312.0),
    ("L40S", 362.0),
    ("L4", 121.0),
)


def peak_tflops(device_kind, override=None):
    """The dense bf16 peak (TFLOP/s) of a GPU by its `jax.devices()[0].device_kind`; None when unknown."""
    if override:
        return override
    for name, tflops in PEAK_BF16_TFLOPS:
        if name.lower() in device_kind.lower():
            return tflops
    return None


def jax_inference(model, x, warmup, windows, steps):
    """The jitted forward pass (`stateless_call`) on the batch `x`, timed in windows (see `time_windows`)."""
    import jax

    trainable = [v.value for v in model.trainable_variables]
    non_trainable = [v.value for v in model.non_trainable_variables]

    @jax.jit
    def forward(trainable, non_trainable, images):
        return model.stateless_call(trainable, non_trainable, images, training=False)[0]

    start = time.perf_counter()
    forward(trainable, non_trainable, x).block_until_ready()
    compile_s = time.perf_counter() - start
    last = []

    def infer():
        last[:] = [forward(trainable, non_trainable, x)]

    batch = x.shape[0]
    rate = time_windows(infer, lambda: last[0].block_until_ready(), warmup, windows, steps, batch)
    return dict(rate, compile_s=compile_s, batch=batch)


def jax_training(model, x, y, warmup, windows, steps):
    """One jitted step on `(x, y)`: forward, backward, AdamW (Keras's stateless API, what `fit` compiles), timed in
    windows."""
    import jax
    import keras

    optimizer = keras.optimizers.AdamW(learning_rate=1e-4)
    optimizer.build(model.trainable_variables)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def loss_and_updates(trainable, non_trainable, images, labels):
        logits, non_trainable = model.stateless_call(trainable, non_trainable, images, training=True)
        return loss_fn(labels, logits), non_trainable

    grad_fn = jax.value_and_grad(loss_and_updates, has_aux=True)

    @jax.jit
    def train_step(state, images, labels):
        trainable, non_trainable, optimizer_vars = state
        (loss, non_trainable), grads = grad_fn(trainable, non_trainable, images, labels)
        trainable, optimizer_vars = optimizer.stateless_apply(optimizer_vars, grads, trainable)
        return (trainable, non_trainable, optimizer_vars), loss

    trainable = [v.value for v in model.trainable_variables]
    non_trainable = [v.value for v in model.non_trainable_variables]
    state = [(trainable, non_trainable, [v.value for v in optimizer.variables])]
    losses = []

    def train():
        state[0], loss = train_step(state[0], x, y)
        losses[:] = [loss]

    start = time.perf_counter()
    train()
    losses[0].block_until_ready()
    compile_s = time.perf_counter() - start
    batch = x.shape[0]
    rate = time_windows(train, lambda: losses[0].block_until_ready(), warmup, windows, steps, batch)
    return dict(rate, compile_s=compile_s, batch=batch, loss=float(losses[0]))
