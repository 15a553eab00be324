"""The GPU script (`benchmarks/gpu_bench.py`) on its tiny model, here on the CPU.

It is meant for a machine with JAX and no TensorFlow, so what is checked is what would go wrong there:
that it runs Keras on JAX without importing TensorFlow, that its FLOP figure is the hand count, and that
its TFLOP/s and MFU columns are that figure × images/s ÷ the peak (× 3 for a training step).
"""

import json
import math
import os
import subprocess
import sys

import keras
import pytest

from keras_vit.bench.gpu import peak_tflops

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "benchmarks", "gpu_bench.py")

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "jax", reason="the script runs Keras on JAX in its own processes: tested in the JAX pass"
)


def tiny_forward_flops():
    """2 × the multiply-accumulates of the script's tiny model: 32-px images, 8-px patches, width 32."""
    tokens, hidden, mlp = 4 * 4 + 1, 32, 64
    embedding = 16 * (8 * 8 * 3) * hidden
    block = 4 * tokens * hidden**2 + 2 * tokens**2 * hidden + 2 * tokens * hidden * mlp
    return 2 * (embedding + 2 * block + hidden * 10)


def test_tiny_run_has_the_hand_counted_flops_and_its_mfu_arithmetic(tmp_path):
    peak = 0.5
    proc = subprocess.run(
        [sys.executable, SCRIPT, "--tiny", "--no-torch", "--out", str(tmp_path), "--peak-tflops", str(peak)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads((tmp_path / "gpu_bench.json").read_text())
    assert report["peak_bf16_tflops"] == peak and report["batch"] == 8
    (part,) = report["parts"]
    assert part["tensorflow_imported"] is False  # TensorFlow is installed here: the script does not need it
    assert part["flops_per_image"] == tiny_forward_flops()
    assert set(part["results"]) == {"inference/fused", "inference/einsum", "training/fused"}
    for task, r in part["results"].items():
        factor = 3 if task.startswith("training") else 1
        assert r["min"] <= r["median"] <= r["max"] and len(r["windows"]) == 2
        assert math.isclose(r["tflops"], factor * tiny_forward_flops() * r["median"] / 1e12)
        assert math.isclose(r["mfu"], r["tflops"] / peak)
    assert math.isfinite(part["results"]["training/fused"]["loss"])
    assert "| keras_vit (Keras 3 on JAX) | training/fused |" in proc.stdout


def test_peak_is_looked_up_from_the_device_name():
    assert peak_tflops("NVIDIA H100 PCIe") == 756.0
    assert peak_tflops("NVIDIA H100 80GB HBM3") == 989.0
    assert peak_tflops("NVIDIA H200") == 989.0
    assert peak_tflops("NVIDIA A100-SXM4-80GB") == 312.0
    assert peak_tflops("cpu") is None
    assert peak_tflops("cpu", override=2.0) == 2.0
