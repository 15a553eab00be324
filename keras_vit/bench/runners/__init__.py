"""The implementations under test, one module each, loaded inside the benchmark's worker processes.

A runner module has `Runner(options)` with `prepare(item) -> (step, info)` and
`logits(item, tanh_gelu) -> array`. `REQUIRES` names the packages each needs, checked by the parent
before a worker starts, so that a missing peer is skipped with a reason instead of failing.
"""

import importlib.util

REQUIRES = {
    "keras_vit": ("keras",),
    "timm": ("torch", "timm"),
    "timm_onnxruntime": ("torch", "timm", "onnx", "onnxruntime"),
    "timm_openvino": ("torch", "timm", "openvino", "nncf"),
    "deploy": ("keras", "tensorflow"),
    "keras_hub": ("keras_hub",),
    "vit_keras": ("vit_keras", "cv2"),
    "gemm": (),
}

INSTALL_HINT = "pip install -e .[bench,deploy]"


def missing(runner):
    """None when the runner's packages are importable, else the reason to print."""
    absent = [name for name in REQUIRES[runner] if importlib.util.find_spec(name) is None]
    if absent:
        return f"not installed: {', '.join(absent)} ({INSTALL_HINT})"
    return None
