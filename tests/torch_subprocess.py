"""Run a PyTorch reference (timm, transformers) in a fresh process and get its arrays back.

torch and TensorFlow in one process crash, and the Keras backend of the test run may itself be torch, so the
source framework's forward pass always runs in its own interpreter, with no Keras imported. The script sees
`inputs` (a dict of NumPy arrays), `workdir` (a folder it may write files into, e.g. a `save_pretrained`
directory or a state dict) and `import_torchvision()` (timm imports torchvision, whose PyPI build beside the CPU
torch needs a shim); it puts its results in `outputs` (a dict of NumPy arrays).

    outputs = run_torch('''
    import torch, timm
    model = timm.create_model("vit_tiny_patch16_224", pretrained=False, num_classes=10).eval()
    torch.save(model.state_dict(), f"{workdir}/model.pth")
    with torch.no_grad():
        outputs["logits"] = model(torch.from_numpy(inputs["images"])).numpy()
    ''', {"images": images}, tmp_path)
"""

import importlib.util
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

_PRELUDE = """
import os, sys
import numpy as np
sys.path.insert(0, {repo!r})
from keras_vit.bench.runners.timm import import_torchvision
workdir = {workdir!r}
with np.load(os.path.join(workdir, "_inputs.npz")) as _f:
    inputs = {{k: _f[k] for k in _f.files}}
outputs = {{}}
"""

_EPILOGUE = """
np.savez(os.path.join(workdir, "_outputs.npz"), **{k: np.asarray(v) for k, v in outputs.items()})
"""

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def requires(*packages):
    """A pytest mark that skips the test where one of `packages` (e.g. "torch", "timm") is not installed."""
    absent = [name for name in packages if importlib.util.find_spec(name) is None]
    return pytest.mark.skipif(bool(absent), reason=f"not installed: {', '.join(absent)}")


def run_torch(script, inputs, workdir, timeout=600):
    """Runs `script` (see the module docstring) in a new interpreter; returns its `outputs`."""
    workdir = os.fspath(workdir)
    os.makedirs(workdir, exist_ok=True)
    np.savez(os.path.join(workdir, "_inputs.npz"), **inputs)
    code = _PRELUDE.format(repo=REPO, workdir=workdir) + textwrap.dedent(script) + _EPILOGUE
    env = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    env.setdefault("HF_HUB_OFFLINE", "1")
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=timeout, check=False
    )
    if result.returncode != 0:
        raise AssertionError(f"the torch reference failed (exit {result.returncode}):\n{result.stderr[-4000:]}")
    with np.load(os.path.join(workdir, "_outputs.npz")) as saved:
        return {key: saved[key] for key in saved.files}
