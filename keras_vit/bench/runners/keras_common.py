"""What the three Keras 3 implementations (keras_vit, keras-hub, vit-keras) share: one timing path.

Each runs on the backend the worker process was started with (`KERAS_BACKEND`). Inference is the
model's forward pass compiled once per batch shape: `tf.function` (XLA on or off) on TensorFlow,
`jax.jit` of `stateless_call` on JAX, eager under `torch.no_grad()` on torch — the model's own cost,
not `predict`'s data plumbing, and the same wrapper for every Keras implementation. Training is
`model.train_on_batch` after `compile(AdamW, sparse cross-entropy from logits)`: Keras's own train
step (compiled on TensorFlow and JAX, eager on torch).
"""

import time

import keras
import numpy as np

from keras_vit.deploy.dtype_policy import EXPORT_BFLOAT16


def _policy(item):
    """float32, or for bf16 rows: bf16 variables for inference (what a bf16 export holds), Keras's mixed_bfloat16
    (float32 variables) for training."""
    if item["dtype"] != "bfloat16":
        return "float32"
    return EXPORT_BFLOAT16 if item["task"] == "infer" else "mixed_bfloat16"


class KerasRunner:
    """Subclasses define `build(item) -> keras.Model` (logits out) and may define `gelu_layers(model)`."""

    def __init__(self, options):
        self.options = options
        self.backend = keras.backend.backend()
        self.xla = bool(options.get("xla", True))
        # What gets compiled: always on JAX, with XLA on TensorFlow when asked; torch runs eagerly.
        self.compiled = self.backend == "jax" or (self.backend == "tensorflow" and self.xla)
        self.models = {}

    # -- what a subclass provides ------------------------------------------------------------
    def build(self, item):
        raise NotImplementedError

    def set_tanh_gelu(self, model, enabled):
        """Switches the MLP's GELU to the tanh form (the official checkpoints' activation) and back.

        Implementations that already use the tanh form leave this as is.
        """

    def extra_info(self, model, item):
        return {}

    # -- shared ------------------------------------------------------------------------------
    def model(self, item):
        key = (item["model"]["name"], item["dtype"], item["task"])
        if key not in self.models:
            policy = keras.config.dtype_policy()
            keras.config.set_dtype_policy(_policy(item))
            try:
                self.models[key] = self.build(item)
            finally:
                keras.config.set_dtype_policy(policy)
        return self.models[key]

    def prepare(self, item):
        """Builds (or reuses) the model and returns `(step, info)`; `step()` runs one batch and waits."""
        start = time.perf_counter()
        model = self.model(item)
        x = np.load(item["inputs"])[: item["batch"]]
        if item["task"] == "infer":
            step = self._infer_step(model, x)
        else:
            y = np.load(item["labels"])[: item["batch"]]
            step = self._train_step(model, x, y)
        info = dict(backend=self.backend, xla=self.compiled, params=int(model.count_params()))
        info.update(self.extra_info(model, item))
        info["build_s"] = time.perf_counter() - start
        return step, info

    def _infer_step(self, model, x):
        if self.backend == "tensorflow":
            import tensorflow as tf

            xt = tf.constant(x)
            forward = tf.function(lambda t: model(t, training=False), jit_compile=self.xla)
            return lambda: forward(xt).numpy()
        if self.backend == "jax":
            import jax

            xj = jax.numpy.asarray(x)
            trainable = [v.value for v in model.trainable_variables]
            non_trainable = [v.value for v in model.non_trainable_variables]

            @jax.jit
            def forward(trainable, non_trainable, images):
                return model.stateless_call(trainable, non_trainable, images, training=False)[0]

            return lambda: forward(trainable, non_trainable, xj).block_until_ready()
        if self.backend == "torch":
            import torch

            xt = keras.ops.convert_to_tensor(x)

            def forward():
                with torch.no_grad():
                    return model(xt, training=False).cpu()

            return forward
        raise ValueError(
            f"The Keras runners time the tensorflow, jax and torch backends; set KERAS_BACKEND to one of them. "
            f"Received: backend={self.backend!r}"
        )

    def _train_step(self, model, x, y):
        model.compile(
            optimizer=keras.optimizers.AdamW(learning_rate=1e-4),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            jit_compile=self.compiled,
        )
        x, y = keras.ops.convert_to_tensor(x), keras.ops.convert_to_tensor(y)
        # `train_on_batch` returns the loss as a Python float: the step has finished.
        return lambda: model.train_on_batch(x, y)

    def logits(self, item, tanh_gelu=False):
        """Float32 logits of the parity images, eagerly (the same weights as the timed model)."""
        model = self.model(dict(item, task="infer"))
        x = np.load(item["inputs"])[: item["batch"]]
        self.set_tanh_gelu(model, tanh_gelu)
        try:
            return np.asarray(keras.ops.convert_to_numpy(model(x, training=False)), dtype=np.float32)
        finally:
            self.set_tanh_gelu(model, False)


def assign(variable, value, name):
    """Strict assignment for the peers' weight maps: the shape must already match."""
    value = np.asarray(value)
    if tuple(variable.shape) != value.shape:
        raise ValueError(f"{name}: checkpoint shape {value.shape} does not fit the variable {tuple(variable.shape)}")
    variable.assign(value)
