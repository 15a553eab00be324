"""Fashion-MNIST from its IDX files (Debian's `dataset-fashion-mnist`), read by a small NumPy parser.

The IDX format (LeCun's MNIST format): a big-endian header — two zero bytes, a type code (0x08 for
unsigned bytes), the number of dimensions — then one big-endian uint32 per dimension, then the data.
"""

import gzip
import os

import numpy as np

DEFAULT_DIR = "/usr/share/datasets/fashion-mnist"
FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
CLASS_NAMES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path):
    """Reads one IDX file (gzipped or not) into a NumPy array of its stored shape and type."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _DTYPES:
        raise ValueError(f"Not an IDX file (bad magic number); expected MNIST-format data. Received: path={path!r}")
    ndim = data[3]
    shape = tuple(int(d) for d in np.frombuffer(data, ">u4", count=ndim, offset=4))
    dtype = np.dtype(_DTYPES[data[2]])
    offset = 4 + 4 * ndim
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(data) - offset != expected:
        raise ValueError(
            f"IDX file truncated or padded: the header says {shape} ({expected} bytes of data), the file has "
            f"{len(data) - offset}; re-download or reinstall it. Received: path={path!r}"
        )
    return np.frombuffer(data, dtype, offset=offset).reshape(shape).astype(dtype.newbyteorder("="))


def _find(data_dir, stem):
    for name in (stem + ".gz", stem):
        path = os.path.join(data_dir, name)
        if os.path.exists(path):
            return path
    return None


def load_data(data_dir=None, allow_download=True):
    """Fashion-MNIST as `((x_train, y_train), (x_test, y_test))`, like `keras.datasets.fashion_mnist`.

    Images are uint8 `(n, 28, 28)`, labels uint8 `(n,)`: 60,000 training and 10,000 test images.

    Args:
        data_dir: folder with the four IDX files (`train-images-idx3-ubyte[.gz]`, ...). Default: Debian's
            `/usr/share/datasets/fashion-mnist` (`apt-get install dataset-fashion-mnist`).
        allow_download: where the files are missing, fall back to `keras.datasets.fashion_mnist`
            (which downloads them); with False, raise instead.
    """
    directory = data_dir or DEFAULT_DIR
    paths = {split: [_find(directory, stem) for stem in stems] for split, stems in FILES.items()}
    if all(p is not None for pair in paths.values() for p in pair):
        return tuple((read_idx(images), read_idx(labels)) for images, labels in paths.values())
    if data_dir is not None or not allow_download:
        missing = [stem for stems in FILES.values() for stem in stems if _find(directory, stem) is None]
        raise FileNotFoundError(
            f"Fashion-MNIST IDX files {missing} not found; install Debian's `dataset-fashion-mnist` or point "
            f"--data-dir at a folder holding them. Received: data_dir={directory!r}"
        )
    import keras

    return keras.datasets.fashion_mnist.load_data()
