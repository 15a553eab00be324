"""`keras-vit analyze` on a tiny saved model writes every file, with the library's numbers."""

import os

import numpy as np
import pytest
from PIL import Image

import keras_vit
from keras_vit import cli
from keras_vit.analysis import mean_attention_distance, read_distance_csv
from keras_vit.commands.analyze import FASHION_MNIST_TEST

FILES = (
    "attention_distance.csv",
    "attention_distance.png",
    "attention_rollout.png",
    "posemb_similarity.png",
    "embedding_filters.png",
)


@pytest.fixture
def tiny_model(tmp_path):
    model = keras_vit.ViT(image_size=32, patch_size=8, hidden_size=32, depth=2, num_heads=4, mlp_dim=64, classes=10)
    path = str(tmp_path / "tiny.keras")
    model.save(path)
    return model, path


@pytest.mark.skipif(not os.path.exists(FASHION_MNIST_TEST), reason="Debian's dataset-fashion-mnist not installed")
def test_fashion_mnist_writes_all_files(tmp_path, tiny_model, capsys):
    _, path = tiny_model
    out = tmp_path / "out"
    argv = ["analyze", "--model", path, "--images", "fashion_mnist", "--num-images", "4", "--out", str(out)]
    assert cli.main(argv) == 0
    for name in FILES:
        assert (out / name).stat().st_size > 0, name
    assert read_distance_csv(out / "attention_distance.csv").shape == (2, 4)
    assert "wrote" in capsys.readouterr().out


def test_image_folder_matches_library(tmp_path, tiny_model):
    model, path = tiny_model
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (3, 32, 32, 3), dtype=np.uint8)
    folder = tmp_path / "images"
    folder.mkdir()
    for i, image in enumerate(pixels):
        Image.fromarray(image).save(folder / f"{i}.png")
    (folder / "notes.txt").write_text("not an image")
    out = tmp_path / "out"
    argv = ["analyze", "--model", path, "--images", str(folder), "--num-images", "8", "--batch-size", "2"]
    assert cli.main([*argv, "--out", str(out)]) == 0
    for name in FILES:
        assert (out / name).stat().st_size > 0, name
    want = mean_attention_distance(model, pixels.astype("float32") / 127.5 - 1.0)
    np.testing.assert_allclose(read_distance_csv(out / "attention_distance.csv"), want, atol=1e-3)
    # A second run compared with the first one's table.
    again = tmp_path / "again"
    compare = ["--compare", str(out / "attention_distance.csv"), "--compare-label", "first"]
    assert cli.main([*argv, "--out", str(again), *compare]) == 0
    assert (again / "attention_distance_comparison.png").stat().st_size > 0


def test_bad_images_argument(tmp_path, tiny_model):
    _, path = tiny_model
    with pytest.raises(ValueError, match="folder of images or 'fashion_mnist'. Received: --images=nowhere"):
        cli.main(["analyze", "--model", path, "--images", "nowhere", "--out", str(tmp_path)])
    with pytest.raises(ValueError, match="Received: --num-images=0"):
        cli.main(["analyze", "--model", path, "--images", "fashion_mnist", "--num-images", "0"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="No image files.*Received: --images="):
        cli.main(["analyze", "--model", path, "--images", str(tmp_path / "empty"), "--out", str(tmp_path)])
