"""Files a run writes appear whole or not at all: written under a temporary name beside the target, then renamed.

A run killed while it saves (the final model, the best model, `results.json`, the MPP encoder) leaves the previous
file or none, never a half-written one that a later `keras.saving.load_model` or `json.load` would read; a
temporary left by a kill starts with a dot and is replaced on the next write.
"""

import contextlib
import json
import os
import shutil


def partial_path(path):
    """The temporary name `path` is written under: `.NAME.partial-PID.EXT` in the same folder (Keras wants the
    `.keras` suffix; the same folder keeps `os.replace` a rename on one file system)."""
    directory, name = os.path.split(os.path.abspath(path))
    stem, suffix = os.path.splitext(name)
    return os.path.join(directory, f".{stem}.partial-{os.getpid()}{suffix}")


def _remove(path):
    if os.path.isdir(path):
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.exists(path):
        os.remove(path)


@contextlib.contextmanager
def replaced_on_success(path):
    """Yields a temporary path to write into; renames it onto `path` when the block ends without an error."""
    temporary = partial_path(path)
    _remove(temporary)
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        _remove(temporary)


def save_model(model, path):
    """`model.save(path)`, atomically."""
    with replaced_on_success(path) as temporary:
        model.save(temporary)


def write_json(path, data):
    """`json.dump(data)` to `path`, atomically."""
    with replaced_on_success(path) as temporary:
        with open(temporary, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2)
