"""ViT-B/16 training step on one GPU (JAX), varied one setting at a time, to see where MFU goes.

    PYTHONPATH=. python benchmarks/gpu_variants.py            # writes gpu_variants.json into $OUT (or .)

Each variant: the jitted train step of `gpu_bench.py` (`keras_vit.bench.gpu.jax_training`), images/s and MFU.
"""

import json
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

from keras_vit.bench.gemm import TRAIN_FLOPS_FACTOR, fraction_of_peak  # noqa: E402
from keras_vit.bench.gpu import jax_training, peak_tflops  # noqa: E402
from keras_vit.models.configs import decode_variant  # noqa: E402
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
    device = jax.devices()[0]
    peak = peak_tflops(device.device_kind)
    out, rng = [], np.random.default_rng(0)
    for name, policy, attention, batch in VARIANTS:
        keras.config.set_dtype_policy(policy)
        model = build_vit(
            **decode_variant("B/16"),
            image_size=224,
            classes=1000,
            classifier_activation=None,
            attention_implementation=attention,
        )
        step_flops = TRAIN_FLOPS_FACTOR * count_flops(model)
        x = jax.device_put(rng.uniform(-1, 1, (batch, 224, 224, 3)).astype("float32"))
        y = jax.device_put(rng.integers(0, 1000, batch).astype("int32"))
        r = jax_training(model, x, y, warmup=3, windows=3, steps=10)
        r.update(name=name, mfu=fraction_of_peak(step_flops, r["median"], peak * 1e12) if peak else None)
        print(f"{name}: {r['median']:.1f} images/s, MFU {100 * r['mfu']:.1f} %, loss {r['loss']:.3f}", flush=True)
        out.append(r)
        del model
        keras.backend.clear_session()
    with open(os.path.join(os.environ.get("OUT", "."), "gpu_variants.json"), "w") as f:
        json.dump(dict(device=device.device_kind, peak_bf16_tflops=peak, variants=out), f, indent=1)


if __name__ == "__main__":
    main()
