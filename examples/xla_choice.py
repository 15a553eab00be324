"""Whether the experiment scripts train with XLA on this CPU: a choice measured, not assumed.

`examples/train_throughput.py` on two 2-core AMD EPYCs, TensorFlow 2.21, images per CPU-second of training:

| CPU | `vit_fmnist` XLA / without | `bit_fmnist_s2` XLA / without |
|---|---:|---:|
| AVX-512 (avx512_bf16, avx512_vnni) | 1.0–1.1 | 0.67 (oneDNN's convolutions) |
| AVX2 only | 1.58 (253 / 160) | 1.14 (252 / 222) |

So XLA where the CPU lacks AVX-512, oneDNN's kernels without XLA where it has it.
"""

from keras_vit.deploy.cpu import cpu_features


def xla_pays(features=None):
    """True on a CPU without AVX-512 (`avx512f`), where XLA trains both the ViTs and the ResNets faster."""
    return not (features or cpu_features())["flags"]["avx512f"]


def use_xla(quick, features=None):
    """The scripts' `jit_compile`: XLA where it pays on this CPU, never for a `--quick` smoke run's few steps."""
    return xla_pays(features) and not quick
