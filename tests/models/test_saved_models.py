"""`.keras` files saved by an older keras_vit still load and give the NumPy reference's logits.

The fixtures were written by `tests/models/data/make_saved_models.py` before the encoder/head split and the
prefix-token layer; they pin the layer names, the `cls` variable and the registered class names.
"""

import os

import keras
import numpy as np
import pytest
import reference

import keras_vit.layers  # noqa: F401  (registers the serializable layers)

DATA = os.path.join(os.path.dirname(__file__), "data")
CHECKPOINTS = {
    "vit_token_pre_logits": (dict(representation_size=24, depth=1), 4),
    "vit_gap": (dict(classifier="gap", depth=1, hidden=16, heads=2, mlp=32), 2),
}


@pytest.mark.parametrize("name", sorted(CHECKPOINTS))
def test_old_keras_file_loads_with_reference_logits(name):
    checkpoint_args, heads = CHECKPOINTS[name]
    model = keras.saving.load_model(os.path.join(DATA, f"{name}.keras"))
    x = np.random.default_rng(3).uniform(-1, 1, (2, 32, 32, 3)).astype("float32")
    want = reference.forward(reference.random_checkpoint(**checkpoint_args), x, heads=heads)
    np.testing.assert_allclose(model.predict(x, verbose=0), want, atol=1e-4, rtol=0)


@pytest.mark.parametrize("entry", ["python", "keras-vit"])
def test_import_keras_vit_alone_registers_the_layers(entry, tmp_path):
    # A user's `import keras_vit` then `keras.saving.load_model(...)`; only the `keras-vit` executable (whose
    # `--help` must not import Keras) leaves the layers to its commands.
    import subprocess
    import sys

    path = os.path.join(os.path.dirname(__file__), "data", "vit_gap.keras")
    code = (
        "import sys; sys.argv[0] = sys.argv[1]; import keras_vit, keras; "
        f"print('keras_vit.layers' in sys.modules); keras.saving.load_model({path!r}); print('loaded')"
    )
    proc = subprocess.run([sys.executable, "-c", code, entry], capture_output=True, text=True)
    if entry == "python":
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert proc.stdout.split() == ["True", "loaded"]
    else:
        assert proc.stdout.split()[:1] == ["False"]
