"""`torch.save` files (`.pth`, `.bin`) → `{name: NumPy array}`, without torch.

The package never imports torch (torch and TensorFlow in one process crash). A `torch.save` file is a pickle whose
tensors are references to raw storages: in a zip archive (`<archive>/data.pkl` beside `<archive>/data/<key>`, the
format since torch 1.6) or, in the legacy format, one file of pickles followed by the storages. Here a restricted
unpickler rebuilds each tensor as a NumPy array from its storage, offset, size and strides
(`torch._utils._rebuild_tensor_v2`); any other class the pickle names (an optimizer's state, `argparse.Namespace`)
becomes an inert placeholder, so loading runs no code from the file. The state dict is found under the wrappers
training scripts save it in (`{"model": ...}`, DeiT's files; `{"state_dict": ...}`).
"""

import io
import os
import pickle
import struct
import zipfile

import numpy as np

from keras_vit.weights.safetensors_file import bfloat16_to_float32

# torch storage class → (NumPy dtype of its bytes, whether it is bfloat16 to widen).
STORAGES = {
    "DoubleStorage": "<f8",
    "FloatStorage": "<f4",
    "HalfStorage": "<f2",
    "BFloat16Storage": "<u2",
    "LongStorage": "<i8",
    "IntStorage": "<i4",
    "ShortStorage": "<i2",
    "CharStorage": "i1",
    "ByteStorage": "u1",
    "BoolStorage": "?",
}
WRAPPERS = ("model", "state_dict", "module")
LEGACY_MAGIC = 0x1950A86A20F9469CFC6C


class _Opaque:
    """What the pickle's other classes become: accepts any construction and state, does nothing."""

    def __init__(self, *args, **kwargs):
        pass

    def __setstate__(self, state):
        pass


class _Dict(dict):
    """`collections.OrderedDict` of the pickle; the `_metadata` attribute of a `state_dict()` is dropped."""

    def __setstate__(self, state):
        pass


class _StorageType:
    def __init__(self, name):
        self.name = name


class _Tensor:
    """A tensor of the pickle, made an array once every storage is read (`materialize`)."""

    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, tuple(size), tuple(stride)

    def array(self):
        dtype, bfloat16, buffer = self.storage
        return _strided(np.frombuffer(buffer, dtype), self.offset, self.size, self.stride, bfloat16)


def _strided(flat, offset, size, stride, bfloat16):
    if size and offset + sum((n - 1) * s for n, s in zip(size, stride)) >= len(flat):
        raise ValueError(f"a tensor of shape {size} reaches past the end of its storage")
    itemsize = flat.itemsize
    view = np.lib.stride_tricks.as_strided(
        flat[offset:], shape=size, strides=tuple(s * itemsize for s in stride), writeable=False
    )
    array = np.array(view)
    return bfloat16_to_float32(array) if bfloat16 else array


def _rebuild_tensor(storage, offset, size, stride, *args):
    return _Tensor(storage, offset, size, stride)


def materialize(obj):
    """`obj` with every `_Tensor` in its dicts, lists and tuples turned into a NumPy array."""
    if isinstance(obj, _Tensor):
        return obj.array()
    if isinstance(obj, dict):
        return {k: materialize(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(materialize(v) for v in obj)
    return obj


def _rebuild_parameter(data, *args):
    return data


def _check_zip_start(path):
    with open(path, "rb") as file:
        if file.read(4) == b"PK\x03\x04":
            raise ValueError("a zip archive cut short (its central directory at the end is missing)")


class _Unpickler(pickle.Unpickler):
    """Rebuilds tensors as NumPy arrays; `load_storage(storage type, key)` gives a storage's bytes."""

    def __init__(self, file, load_storage):
        super().__init__(file)
        self.load_storage = load_storage
        self.storages = {}

    def find_class(self, module, name):
        if module == "torch._utils" and name in ("_rebuild_tensor_v2", "_rebuild_tensor"):
            return _rebuild_tensor
        if module == "torch._utils" and name == "_rebuild_parameter":
            return _rebuild_parameter
        if module == "torch" and name in STORAGES:
            return _StorageType(name)
        if module == "collections" and name == "OrderedDict":
            return _Dict
        return _Opaque

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and pid and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"unknown persistent id {pid!r}")
        storage_type, key = pid[1], str(pid[2])
        if not isinstance(storage_type, _StorageType):
            raise pickle.UnpicklingError(f"a storage of an unsupported type ({pid[1]!r})")
        if key not in self.storages:
            dtype = STORAGES[storage_type.name]
            self.storages[key] = (dtype, storage_type.name == "BFloat16Storage", self.load_storage(key, dtype))
        return self.storages[key]


def _read_zip(path):
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        pickles = [n for n in names if n.endswith("/data.pkl") or n == "data.pkl"]
        if not pickles:
            raise ValueError("a zip archive without data.pkl (not a torch.save file)")
        root = pickles[0][: -len("data.pkl")]

        def load_storage(key, dtype):
            return archive.read(f"{root}data/{key}")

        return _Unpickler(io.BytesIO(archive.read(pickles[0])), load_storage).load()


def _read_legacy(path):
    with open(path, "rb") as file:
        if pickle.load(file) != LEGACY_MAGIC:
            raise ValueError("neither a zip archive nor a legacy torch.save file")
        pickle.load(file), pickle.load(file)  # protocol version, system info
        pending = {}
        unpickler = _Unpickler(file, lambda key, dtype: pending.setdefault(key, bytearray()))
        result = unpickler.load()
        for key in pickle.load(file):  # the storages, in this order: int64 element count, then the bytes
            (count,) = struct.unpack("<q", file.read(8))
            itemsize = np.dtype(unpickler.storages[str(key)][0]).itemsize
            data = file.read(count * itemsize)
            if len(data) != count * itemsize:
                raise EOFError(f"storage {key} is cut short")
            pending[str(key)][:] = data
    return result


def state_dict(obj):
    """The `{name: array}` inside a loaded `torch.save` object (unwrapping `{"model": ...}` and the like)."""
    while isinstance(obj, dict) and not any(isinstance(v, np.ndarray) for v in obj.values()):
        inner = next((obj[k] for k in WRAPPERS if isinstance(obj.get(k), dict)), None)
        if inner is None:
            break
        obj = inner
    if not isinstance(obj, dict):
        return {}
    return {str(k): v for k, v in obj.items() if isinstance(v, np.ndarray)}


def read_torch(path):
    """`{name: array}` of a `torch.save` state dict file; a clear error for a damaged or foreign file."""
    try:
        if zipfile.is_zipfile(path):
            obj = _read_zip(path)
        else:
            _check_zip_start(path)
            obj = _read_legacy(path)
        obj = materialize(obj)
    except (zipfile.BadZipFile, pickle.UnpicklingError, EOFError, ValueError, KeyError, struct.error) as error:
        raise ValueError(
            f"Could not read the checkpoint {os.fspath(path)}: it is truncated, corrupt or not a torch.save file "
            f"({type(error).__name__}: {error}). Download it again. Received: path={os.fspath(path)!r}"
        ) from error
    arrays = state_dict(obj)
    if not arrays:
        raise ValueError(
            f"The torch.save file {os.fspath(path)} holds no state dict of tensors (looked under "
            f"{', '.join(WRAPPERS)}). Save one with torch.save(model.state_dict(), path). Received: path="
            f"{os.fspath(path)!r}"
        )
    return arrays
