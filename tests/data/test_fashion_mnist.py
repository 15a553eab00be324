import gzip
import struct

import numpy as np
import pytest

from keras_vit.data import fashion_mnist, load

HAVE_FILES = all(
    fashion_mnist._find(fashion_mnist.DEFAULT_DIR, stem) for stems in fashion_mnist.FILES.values() for stem in stems
)
needs_files = pytest.mark.skipif(not HAVE_FILES, reason="Debian's dataset-fashion-mnist is not installed")


def _write_idx(path, array, type_code=0x08, compress=True):
    header = bytes([0, 0, type_code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    with (gzip.open if compress else open)(path, "wb") as f:
        f.write(payload)


@pytest.mark.parametrize("compress", [True, False])
def test_read_idx_round_trip(tmp_path, rng, compress):
    images = rng.integers(0, 256, (5, 4, 3), dtype=np.uint8)
    path = tmp_path / ("x.idx.gz" if compress else "x.idx")
    _write_idx(path, images, compress=compress)
    np.testing.assert_array_equal(fashion_mnist.read_idx(path), images)


def test_read_idx_big_endian_int32(tmp_path):
    values = np.array([[1, -2], [70000, 3]], np.int32)
    _write_idx(tmp_path / "v.gz", values, type_code=0x0C)
    np.testing.assert_array_equal(fashion_mnist.read_idx(tmp_path / "v.gz"), values)


def test_read_idx_errors(tmp_path):
    (tmp_path / "bad.gz").write_bytes(gzip.compress(b"\x01\x02\x08\x01\x00\x00\x00\x01\x05"))
    with pytest.raises(ValueError, match="bad magic number.*Received: path="):
        fashion_mnist.read_idx(tmp_path / "bad.gz")
    good = np.arange(6, dtype=np.uint8).reshape(2, 3)
    _write_idx(tmp_path / "short", good, compress=False)
    data = (tmp_path / "short").read_bytes()
    (tmp_path / "short").write_bytes(data[:-1])
    with pytest.raises(ValueError, match="truncated.*Received: path="):
        fashion_mnist.read_idx(tmp_path / "short")


def test_missing_files_name_the_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match="dataset-fashion-mnist.*--data-dir.*Received: data_dir="):
        fashion_mnist.load_data(str(tmp_path))


def test_data_dir_reads_the_same_files_elsewhere(tmp_path, rng):
    sizes = {"train": 6, "test": 4}
    expected = {}
    for split, (images_stem, labels_stem) in fashion_mnist.FILES.items():
        images = rng.integers(0, 256, (sizes[split], 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, sizes[split], dtype=np.uint8)
        _write_idx(tmp_path / f"{images_stem}.gz", images)
        _write_idx(tmp_path / labels_stem, labels, compress=False)
        expected[split] = (images, labels)
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data(str(tmp_path))
    np.testing.assert_array_equal(x_train, expected["train"][0])
    np.testing.assert_array_equal(y_test, expected["test"][1])


@needs_files
def test_real_fashion_mnist():
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    # Published facts of the dataset: balanced classes, and the first training labels of the official files.
    np.testing.assert_array_equal(np.bincount(y_train), [6000] * 10)
    np.testing.assert_array_equal(np.bincount(y_test), [1000] * 10)
    np.testing.assert_array_equal(y_train[:10], [9, 0, 0, 3, 0, 2, 7, 2, 5, 5])
    assert x_train.max() == 255 and x_train.min() == 0


@needs_files
def test_load_holds_out_validation_images():
    data = load("fashion_mnist", val_size=1000, seed=3)
    (x_train, _), (x_val, _) = data.train, data.val
    assert len(x_train) == 59000 and len(x_val) == 1000 and data.num_classes == 10
    # Disjoint and together the whole training split: compare as byte strings.
    (full, _), _ = fashion_mnist.load_data()
    rows = {r.tobytes() for r in full.reshape(60000, -1)}
    held = {r.tobytes() for r in x_val.reshape(1000, -1)}
    kept = {r.tobytes() for r in x_train.reshape(59000, -1)}
    assert held <= rows and kept <= rows and not (held & kept - {bytes(784)})


def test_unknown_dataset():
    with pytest.raises(ValueError, match="tfds:NAME.*Received: dataset='mnist'"):
        load("mnist")
    with pytest.raises(ValueError, match="Received: val_size=-1"):
        load("fashion_mnist", val_size=-1)
