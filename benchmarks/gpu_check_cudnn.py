"""On a GPU: does the padded cuDNN attention run, match float32 XLA attention, and give finite gradients?

PYTHONPATH=. python benchmarks/gpu_check_cudnn.py
"""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

from keras_vit.layers.cudnn_attention import padded_attention, try_cudnn_attention  # noqa: E402

rng = np.random.default_rng(0)
q, k, v = (jnp.asarray(rng.standard_normal((8, 197, 12, 64)), jnp.bfloat16) for _ in range(3))
out = try_cudnn_attention(q, k, v)
print("cudnn path used:", out is not None)
ref = jax.nn.dot_product_attention(
    q.astype(jnp.float32), k.astype(jnp.float32), v.astype(jnp.float32), implementation="xla"
)
if out is not None:
    print("max abs diff vs float32 XLA:", float(jnp.abs(out.astype(jnp.float32) - ref).max()))
    g = jax.grad(lambda q: jnp.sum(padded_attention(q, k, v).astype(jnp.float32)))(q)
    print("grad finite:", bool(jnp.isfinite(g.astype(jnp.float32)).all()))
