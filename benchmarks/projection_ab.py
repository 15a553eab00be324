"""One attention projection written two ways: `einsum("btd,dhk->bthk")` (the layer's) vs reshape + matmul.

    KERAS_BACKEND=torch python benchmarks/projection_ab.py --batch 1
    KERAS_BACKEND=tensorflow python benchmarks/projection_ab.py --batch 32

Ti/16 sizes (197 tokens, width 192, 3 heads), float32, eager; prints the median microseconds per call over
interleaved rounds (`keras_vit.bench.timing.interleaved_seconds`), and the ratio.
"""

import argparse

import keras
import numpy as np
from keras import ops

from keras_vit.bench.timing import interleaved_seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--calls", type=int, default=100, help="calls per timing")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds")
    args = parser.parse_args()
    b, t, d, h = args.batch, 197, 192, 3
    x = ops.convert_to_tensor(np.random.default_rng(0).random((b, t, d), dtype="float32"))
    w = ops.convert_to_tensor(np.random.default_rng(1).random((d, h, d // h), dtype="float32"))
    if keras.backend.backend() == "torch":
        import torch

        torch.set_grad_enabled(False)

    def einsum():
        return ops.einsum("btd,dhk->bthk", x, w)

    def matmul():
        return ops.reshape(ops.matmul(x, ops.reshape(w, (d, d))), (b, t, h, d // h))

    np.testing.assert_allclose(ops.convert_to_numpy(einsum()), ops.convert_to_numpy(matmul()), rtol=1e-4)
    # Interleaved rounds: both ways see the same machine load; each sample is `calls` calls after 5 warm-up calls.
    seconds = interleaved_seconds(
        {"einsum": einsum, "matmul": matmul},
        args.rounds,
        sync=ops.convert_to_numpy,
        calls_per_sample=args.calls,
        warmup_per_sample=5,
    )
    times = {name: [s * 1e6 for s in samples] for name, samples in seconds.items()}
    for name, values in times.items():
        print(
            f"{keras.backend.backend()} batch {b} {name}: median {np.median(values):.0f} µs "
            f"(min {min(values):.0f}, max {max(values):.0f}, {args.rounds} rounds)"
        )
    print(f"einsum ÷ matmul time: {np.median(times['einsum']) / np.median(times['matmul']):.2f}")


if __name__ == "__main__":
    main()
