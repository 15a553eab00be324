"""`.safetensors` files ↔ `{name: NumPy array}`, without torch.

Reading parses the format itself (an 8-byte little-endian header length, a JSON header of
`{name: {dtype, shape, data_offsets}}`, then the raw little-endian bytes): NumPy has no bfloat16, so
`safetensors.numpy` cannot hand over the bfloat16 files that timm and Hugging Face publish; here they are widened to
float32. Writing goes through `safetensors.numpy` (float32 and other NumPy dtypes only).
"""

import json
import os

import numpy as np

# safetensors dtype → NumPy dtype; "BF16" is read as its 16 high bits of a float32.
DTYPES = {
    "F64": "<f8",
    "F32": "<f4",
    "F16": "<f2",
    "I64": "<i8",
    "I32": "<i4",
    "I16": "<i2",
    "I8": "i1",
    "U8": "u1",
    "BOOL": "?",
}


def _error(path, problem):
    return ValueError(
        f"Could not read the checkpoint {os.fspath(path)}: {problem}. The file is truncated or not a safetensors "
        "file; download it again. Received: path=" + repr(os.fspath(path))
    )


def bfloat16_to_float32(raw):
    """Little-endian bfloat16 bytes (a uint16 array) → float32: they are a float32's high half."""
    return (raw.astype("<u4") << 16).view("<f4")


def _header(path, data):
    if len(data) < 8:
        raise _error(path, f"{len(data)} bytes, too short for the 8-byte header length")
    length = int.from_bytes(data[:8], "little")
    if length > len(data) - 8:
        raise _error(path, f"its header is {length} bytes but only {len(data) - 8} follow")
    try:
        header = json.loads(bytes(data[8 : 8 + length]))
    except (UnicodeDecodeError, ValueError) as error:
        raise _error(path, f"its header is not JSON ({error})") from error
    if not isinstance(header, dict):
        raise _error(path, "its header is not a JSON object")
    header.pop("__metadata__", None)
    return 8 + length, header


def _tensor(path, name, entry, body):
    dtype, shape = entry.get("dtype"), tuple(entry.get("shape", ()))
    begin, end = entry.get("data_offsets", (0, -1))
    if end > len(body):
        raise _error(path, f"tensor {name!r} ends at byte {end} of the data, which has {len(body)}")
    raw = body[begin:end]
    if dtype == "BF16":
        return bfloat16_to_float32(np.frombuffer(raw, "<u2")).reshape(shape)
    if dtype not in DTYPES:
        raise _error(path, f"tensor {name!r} has the dtype {dtype!r}, which keras_vit does not read")
    return np.frombuffer(raw, DTYPES[dtype]).reshape(shape).copy()


def read_safetensors(path):
    """`{name: array}` of a `.safetensors` file (bfloat16 widened to float32); a clear error for a damaged one."""
    with open(path, "rb") as file:
        data = memoryview(file.read())
    start, header = _header(path, data)
    body = data[start:]
    size = max((entry.get("data_offsets", (0, 0))[1] for entry in header.values()), default=0)
    if size != len(body):
        raise _error(path, f"its header describes {size} bytes of data but the file holds {len(body)}")
    return {name: _tensor(path, name, entry, body) for name, entry in header.items()}


def write_safetensors(arrays, path, metadata=None):
    """Writes `{name: array}` (contiguous copies) to `path` with `safetensors.numpy`."""
    try:
        from safetensors.numpy import save_file
    except ImportError as error:
        raise ImportError(
            "Writing .safetensors files needs the safetensors package: pip install safetensors"
        ) from error
    save_file({name: np.ascontiguousarray(value) for name, value in arrays.items()}, os.fspath(path), metadata)
