"""Writes the `.keras` fixtures that `tests/models/test_saved_models.py` loads: tiny models saved by an older
keras_vit, so that a change of layers or names that breaks loading old files fails a test.

Run from the repository root (only when a fixture is deliberately renewed; the point is that they stay old):
    KERAS_BACKEND=tensorflow .venv/bin/python tests/models/data/make_saved_models.py
"""

import os
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))

import reference  # noqa: E402

import keras_vit  # noqa: E402

# name → (random_checkpoint arguments, ViT arguments); the checkpoint seed is 0, as in the test.
FIXTURES = {
    "vit_token_pre_logits": (
        dict(representation_size=24, depth=1),
        dict(hidden_size=32, depth=1, num_heads=4, mlp_dim=64, patch_size=8, representation_size=24),
    ),
    "vit_gap": (
        dict(classifier="gap", depth=1, hidden=16, heads=2, mlp=32),
        dict(hidden_size=16, depth=1, num_heads=2, mlp_dim=32, patch_size=8, classifier="gap"),
    ),
}


def main():
    for name, (checkpoint_args, vit_args) in FIXTURES.items():
        params = reference.random_checkpoint(**checkpoint_args)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "ckpt.npz")
            np.savez(path, **params)
            model = keras_vit.ViT(image_size=32, weights=path, classifier_activation=None, name=name, **vit_args)
        model.save(os.path.join(HERE, f"{name}.keras"))
        print(name, os.path.getsize(os.path.join(HERE, f"{name}.keras")), "bytes")


if __name__ == "__main__":
    main()
