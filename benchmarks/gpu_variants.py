"""ViT-B/16 training step on one GPU (JAX), varied one setting at a time, to see where MFU goes.

    python benchmarks/gpu_variants.py            # writes gpu_variants.json into $OUT (or .)

Each variant: the jitted train step of `gpu_bench.py` (stateless_call + AdamW), images/s and MFU.
"""

import json
import os
import sys
import types

os.environ.setdefault("KERAS_BACKEND", "jax")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gpu_bench  # noqa: E402
import jax  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

from keras_vit.models.flops import count_flops  # noqa: E402
from keras_vit.models.vit import build_vit  # noqa: E402

VARIANTS = [
    # name, policy, attention, batch
    ("mixed_bf16 fused b256", "mixed_bfloat16", "fused", 256),
    ("mixed_bf16 einsum b256", "mixed_bfloat16", "einsum", 256),
    ("bf16 variables fused b256", "bfloat16", "fused", 256),
    ("mixed_bf16 fused b512", "mixed_bfloat16", "fused", 512),
    ("mixed_bf16 fused b128", "mixed_bfloat16", "fused", 128),
]


def main():
    sizes = gpu_bench.B16
    arch = {k: sizes[k] for k in ("patch_size", "hidden_size", "depth", "num_heads", "mlp_dim")}
    device = jax.devices()[0]
    peak = gpu_bench.peak_tflops(device.device_kind)
    out, rng = [], np.random.default_rng(0)
    for name, policy, attention, batch in VARIANTS:
        keras.config.set_dtype_policy(policy)
        model = build_vit(
            **arch, image_size=224, classes=1000, classifier_activation=None, attention_implementation=attention
        )
        flops = count_flops(model)
        x = jax.device_put(rng.uniform(-1, 1, (batch, 224, 224, 3)).astype("float32"))
        y = jax.device_put(rng.integers(0, 1000, batch).astype("int32"))
        args = types.SimpleNamespace(warmup=3, windows=3, steps=10, batch=batch)
        r = gpu_bench.jax_training(jax, keras, model, x, y, args)
        r.update(name=name, mfu=3 * flops * r["median"] / 1e12 / peak if peak else None)
        print(f"{name}: {r['median']:.1f} images/s, MFU {100 * r['mfu']:.1f} %, loss {r['loss']:.3f}", flush=True)
        out.append(r)
        del model
        keras.backend.clear_session()
    with open(os.path.join(os.environ.get("OUT", "."), "gpu_variants.json"), "w") as f:
        json.dump(dict(device=device.device_kind, peak_bf16_tflops=peak, variants=out), f, indent=1)


if __name__ == "__main__":
    main()
