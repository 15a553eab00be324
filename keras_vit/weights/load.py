"""Resolving `weights=` (registered name or path) and loading it into a built model.

Registered names are looked up by the caller (the models' preset table): `resolve` gets a `find_checkpoint`
function and receives `Checkpoint` rows, so this package needs no table of models.
"""

import dataclasses
import os
import warnings

import keras
import numpy as np

from keras_vit.weights import formats, hub, npz
from keras_vit.weights.checkpoint import Checkpoint
from keras_vit.weights.posemb import fit_posemb

KERAS_SUFFIXES = (".weights.h5", ".keras")
# The class-count-sized layers a checkpoint's other class count leaves freshly initialised (DeiT: two).
CLASSIFIERS = ("head/", "head_dist/")


@dataclasses.dataclass
class Source:
    """A resolved `weights=`: a Keras file, or a checkpoint read (once, by `read`) through its format's adapter."""

    kind: str  # "npz" (a checkpoint format of `formats.READERS`) or "keras"
    path: str
    checkpoint: Checkpoint | None = None
    params: dict | None = None  # the canonical arrays
    info: dict | None = None  # the architecture they imply


def read(source):
    """Reads a checkpoint `Source` into the canonical layout and its description (once)."""
    if source.params is None:
        arrays = formats.read_arrays(source.path)
        adapter = formats.adapter_for(arrays)
        source.params, source.info = adapter.to_canonical(arrays), adapter.describe(arrays)
    elif source.info is None:
        source.info = npz.infer_config(source.params)
    return source.params


def download(checkpoint):
    """Downloads (or finds in the Keras cache) a `Checkpoint`; returns the local path."""
    # The URL's folder goes into the file name: several releases share a base name (ViT-B_16.npz); a Hugging Face
    # Hub file's (`<org>/<repo>/resolve/<revision>/model.safetensors`) is its repository's name.
    parts = checkpoint.url.rstrip("/").split("/")
    folder = parts[parts.index("resolve") - 1] if "resolve" in parts else parts[-2]
    fname = f"{folder}_{os.path.basename(checkpoint.url)}".replace("+", "_")
    try:
        return keras.utils.get_file(
            fname=fname,
            origin=checkpoint.url,
            file_hash=checkpoint.sha256,
            hash_algorithm="sha256",
            cache_subdir="models",
            # Read at call time (Keras reads KERAS_HOME once, at import).
            cache_dir=os.environ.get("KERAS_HOME"),
        )
    except ValueError as error:
        if "hash" in str(error).lower():
            raise ValueError(
                f"The download of weights={checkpoint.name!r} ({checkpoint.url}) does not match its registered "
                "sha256: the file is corrupt or was changed. Delete it from ~/.keras/models and retry, or pass a "
                f"local path. ({error})"
            ) from error
        raise
    except Exception as error:  # keras.utils.get_file raises a bare Exception when the fetch fails
        if not str(error).startswith("URL fetch failure"):
            raise
        raise OSError(
            f"Could not download weights={checkpoint.name!r} from {checkpoint.url}: {error}. Where this machine has "
            f"no access to it, download the file elsewhere and pass its path: "
            f"weights='/path/to/{os.path.basename(checkpoint.url)}'"
        ) from error


def resolve(weights, find_checkpoint=None):
    """None, or a `Source` for a registered name, a Hugging Face Hub name (`hf://ORG/NAME[@REVISION]`, downloaded
    through `hub`), a local file or a model directory (config.json and the weights, as `save_pretrained` writes).

    `find_checkpoint(name) -> Checkpoint` looks a registered name up (raising ValueError for an unknown one);
    None for a model that has no registered names (a custom size).
    """
    if weights is None or isinstance(weights, Source):
        return weights
    if not isinstance(weights, (str, os.PathLike)):
        raise ValueError(f"`weights` must be None, a registered name or a file path. Received: weights={weights!r}")
    if hub.is_hub_name(weights):
        return Source("npz", hub.download(weights))
    path = os.fspath(weights)
    if os.path.exists(path):
        if os.path.isdir(path) or path.endswith(tuple(formats.READERS)):  # a directory: `save_pretrained`'s
            return Source("npz", path)
        if path.endswith(KERAS_SUFFIXES):
            return Source("keras", path)
        raise ValueError(
            f"Weights files must end in {', '.join(formats.READERS)} (checkpoints), .weights.h5 or .keras. "
            f"Received: weights={path!r}"
        )
    if path.endswith((*formats.READERS, *KERAS_SUFFIXES)) or os.sep in path:
        raise FileNotFoundError(f"No weights file at this path; check it. Received: weights={path!r}")
    if find_checkpoint is None:
        raise ValueError(
            "Registered weight names exist only for the named variants; give this custom model a file path. "
            f"Received: weights={path!r}"
        )
    checkpoint = find_checkpoint(path)
    return Source("npz", download(checkpoint), checkpoint)


def describe(source):
    """What the checkpoint says about the architecture (empty for Keras files)."""
    if source.kind != "npz":
        return {}
    read(source)
    info = dict(source.info)
    if source.checkpoint is not None:
        info["image_size"] = source.checkpoint.image_size
    elif "grid_side" in info and "image_size" not in info:  # a transformers config.json gives it
        info["image_size"] = info["grid_side"] * info["patch_size"] * info.get("stem_stride", 1)
    return info


def check_architecture(info, wanted):
    """Raises when the checkpoint does not fit the architecture asked for, naming every difference."""
    diffs = []
    for key, value in wanted.items():
        if key not in info:
            continue
        if key == "representation_size" and value is None:
            continue  # taken from the checkpoint
        if info[key] != value:
            diffs.append(f"{key}: checkpoint {info[key]!r}, model {value!r}")
    if diffs:
        raise ValueError(
            "The checkpoint does not fit the model asked for; build the model the checkpoint was trained with "
            "(e.g. the matching named variant). Differences: " + "; ".join(diffs)
        )


def mismatches(source, missing, unexpected, misshaped):
    """One line naming every missing, unexpected and mis-shaped entry (empty when there are none)."""
    problems = []
    if missing:
        problems.append(f"missing in {source}: {sorted(missing)}")
    if unexpected:
        problems.append(f"unexpected in {source}: {sorted(unexpected)}")
    if misshaped:
        problems.append(f"mis-shaped: {misshaped}")
    return " | ".join(problems)


def check_finite(params):
    """A clear error naming every tensor with NaN or Inf values (a corrupt or diverged checkpoint)."""
    bad = sorted(
        key
        for key, value in params.items()
        if np.issubdtype(np.asarray(value).dtype, np.floating) and not np.isfinite(value).all()
    )
    if bad:
        raise ValueError(
            f"The checkpoint has NaN or Inf values in {bad}; the file is corrupt or from a diverged run: download "
            "it again (delete the cached copy under ~/.keras) or pick another checkpoint."
        )


def load_npz(model, params, interpolation="linear"):
    """Assigns a normalised official checkpoint to `model`, strictly.

    Every model variable must be assigned and every checkpoint key used, with matching shapes,
    except: the head (and pre_logits) when the model has none; the head when its class count
    differs or the checkpoint has none (left initialised, with a warning); the posemb, which is resized to the
    model's grid.
    All problems are reported at once.
    """
    table = npz.variable_table(model)
    model_has = set(table)
    unexpected, misshaped, assignments = [], [], []
    head_classes = None
    for key, value in params.items():
        if key not in table:
            if npz.head_layer(key) and "head/kernel" not in table:
                continue  # include_top=False
            unexpected.append(key)
            continue
        variable = table[key]
        model_has.discard(key)
        if key == npz.POSEMB_KEY:
            layer = model.get_layer("posembed_input")
            value = fit_posemb(value, layer.num_prefix_tokens, layer.grid_size, interpolation)
        value = npz.fit_heads(key, value, variable.shape)
        if key.startswith(CLASSIFIERS) and value.shape != tuple(variable.shape):
            head_classes = value.shape[-1]
            continue
        if value.shape != tuple(variable.shape):
            misshaped.append(f"{key}: checkpoint {value.shape}, model {tuple(variable.shape)}")
            continue
        assignments.append((variable, value))
    # A checkpoint without a classifier (a feature extractor: transformers' ViTModel) leaves the model's fresh.
    headless = not any(key.startswith(CLASSIFIERS) for key in params)
    fresh_head = head_classes is not None or (headless and "head/kernel" in table)
    missing = sorted(k for k in model_has if not (fresh_head and k.startswith(CLASSIFIERS)))
    problems = mismatches("the checkpoint", missing, unexpected, misshaped)
    if problems:
        raise ValueError("The checkpoint does not match the model. " + problems)
    check_finite(params)
    for variable, value in assignments:
        variable.assign(np.asarray(value, dtype=variable.dtype))
    if fresh_head:
        units = model.get_layer("head").units
        has = " has no classification head" if headless else f"'s head has {head_classes} classes"
        warnings.warn(
            f"The checkpoint{has} and the model {units}: the head was left freshly initialised (fine-tune it).",
            stacklevel=4,
        )


def load_into(model, source, interpolation="linear"):
    if source.kind == "keras":
        model.load_weights(source.path)
        return
    load_npz(model, read(source), interpolation)
