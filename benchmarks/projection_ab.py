"""One attention projection written two ways: `einsum("btd,dhk->bthk")` (the layer's) vs reshape + matmul.

    KERAS_BACKEND=torch python benchmarks/projection_ab.py --batch 1
    KERAS_BACKEND=tensorflow python benchmarks/projection_ab.py --batch 32

Ti/16 sizes (197 tokens, width 192, 3 heads), float32, eager; prints the median microseconds per call over
interleaved rounds, and the ratio.
"""

import argparse
import time

import keras
import numpy as np
from keras import ops


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
    times = {"einsum": [], "matmul": []}
    for _ in range(args.rounds):  # interleaved rounds: both ways see the same machine load
        for name, f in (("einsum", einsum), ("matmul", matmul)):
            for _ in range(5):
                f()
            start = time.perf_counter()
            for _ in range(args.calls):
                out = f()
            ops.convert_to_numpy(out)
            times[name].append((time.perf_counter() - start) / args.calls * 1e6)
    for name, values in times.items():
        print(
            f"{keras.backend.backend()} batch {b} {name}: median {np.median(values):.0f} µs "
            f"(min {min(values):.0f}, max {max(values):.0f}, {args.rounds} rounds)"
        )
    print(f"einsum ÷ matmul time: {np.median(times['einsum']) / np.median(times['matmul']):.2f}")


if __name__ == "__main__":
    main()
