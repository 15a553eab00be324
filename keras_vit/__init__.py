"""keras_vit: the Vision Transformer (arXiv 2010.11929) as Keras 3 applications.

The public names are loaded on first use (PEP 562 module `__getattr__`), so that the `keras-vit` executable,
whose `--help` imports no Keras, TensorFlow or JAX, stays light. Everywhere else `import keras_vit` imports the
layers at once, so that their `register_keras_serializable` runs and `keras.saving.load_model` reads keras_vit
`.keras` files after a bare `import keras_vit`. `keras_vit.ViTB16`, `from keras_vit import ViTB16` and
`from keras_vit import *` work as with eager imports.
"""

import importlib
import os
import sys

from keras_vit.public_names import PUBLIC_NAMES

__version__ = "0.1.0"

# Public name → the module that defines it.
_LAZY = {name: module for module, names in PUBLIC_NAMES.items() for name in names}
# Sub-packages reachable as attributes after a bare `import keras_vit` (`keras_vit.models.configs`, ...), as when
# this file imported them eagerly; `layers` is also a public name.
_SUBMODULES = (
    "analysis",
    "bench",
    "data",
    "deploy",
    "fewshot",
    "layers",
    "models",
    "preprocessing",
    "pretraining",
    "training",
    "weights",
)

__all__ = sorted([*_LAZY, "layers"])


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"keras_vit.{name}")
    else:
        raise AttributeError(f"module 'keras_vit' has no attribute {name!r}")
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__():
    return sorted({*globals(), *__all__})


# The console script `keras-vit` imports this package before its own code runs: it alone skips the layers here
# (each command imports what it needs inside `run`).
if os.path.basename(sys.argv[0] if sys.argv else "").split(".")[0] != "keras-vit":
    from keras_vit import layers  # noqa: E402, F401  (registers the custom layers with Keras)
