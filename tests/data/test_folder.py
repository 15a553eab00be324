"""`--dataset folder:PATH`: your own images, one sub-folder per class (the layout of image_dataset_from_directory)."""

import json
import os

import numpy as np
import pytest
from PIL import Image

from keras_vit import cli, data
from keras_vit.data import folder

pytestmark = pytest.mark.tf_only  # tf.data


def _write(path, pixels, file_format):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Image.fromarray(pixels).save(path, format=file_format)


def _folder(root, per_class=5, size=(12, 10), classes=("cat", "dog", "emu")):
    """Class folders of PNG images (lossless, so the decoded pixels are known); returns {path: pixels}."""
    rng = np.random.default_rng(0)
    written = {}
    for c, name in enumerate(classes):
        for i in range(per_class):
            pixels = rng.integers(0, 256, (*size, 3), dtype=np.uint8)
            pixels[0, 0] = c  # a pixel that tells the class
            path = os.path.join(root, name, f"img{i}.png")
            _write(path, pixels, "PNG")
            written[path] = pixels
    return written


def _arrays(ds):
    images, labels = zip(*[(image.numpy(), int(label)) for image, label in ds], strict=True)
    return list(images), list(labels)


def test_classes_are_the_sorted_sub_folders_and_pixels_decode_exactly(tmp_path):
    written = _folder(tmp_path, classes=("zebra", "ant", "moth"))
    loaded = data.load(f"folder:{tmp_path}", holdout=0.4, seed=1)
    assert loaded.class_names == ("ant", "moth", "zebra") and loaded.num_classes == 3
    assert loaded.image_shape == (12, 10, 3)
    train, test = _arrays(loaded.train), _arrays(loaded.test)
    assert len(train[0]) == 9 and len(test[0]) == 6  # 2 of each class's 5 held out
    assert sorted(test[1]) == [0, 0, 1, 1, 2, 2]
    by_pixels = {p.tobytes(): path for path, p in written.items()}
    for image, label in zip(*train, strict=True):
        path = by_pixels[image.tobytes()]  # every decoded image is exactly one written file
        assert os.path.basename(os.path.dirname(path)) == loaded.class_names[label]


def test_grey_and_colour_images_of_any_format_and_size(tmp_path):
    rng = np.random.default_rng(0)
    grey = rng.integers(0, 256, (7, 9), dtype=np.uint8)
    _write(str(tmp_path / "a" / "grey.png"), grey, "PNG")
    _write(str(tmp_path / "a" / "x.bmp"), rng.integers(0, 256, (5, 5, 3), dtype=np.uint8), "BMP")
    _write(str(tmp_path / "b" / "deep" / "y.gif"), rng.integers(0, 256, (6, 4), dtype=np.uint8), "GIF")
    _write(str(tmp_path / "b" / "z.jpg"), rng.integers(0, 256, (8, 8, 3), dtype=np.uint8), "JPEG")
    (tmp_path / "b" / "notes.txt").write_text("not an image")  # other files are not images of the class
    train, _, test, names, shape = folder.load(str(tmp_path), holdout=0.5, seed=0)
    assert names == ("a", "b") and shape is None  # sizes differ: the pipeline resizes image by image
    assert len(train[0]) + len(test[0]) == 4
    image, _ = next(iter(folder.as_dataset(np.array([str(tmp_path / "a" / "grey.png")]), np.array([0]), None)))
    assert image.shape == (7, 9, 3) and (image.numpy() == grey[..., None]).all()  # grey → the same value thrice


def test_train_and_val_folders(tmp_path):
    _folder(tmp_path / "train", per_class=3)
    _folder(tmp_path / "val", per_class=2)
    loaded = data.load(f"folder:{tmp_path}", val_size=2)
    assert loaded.class_names == ("cat", "dog", "emu")
    assert [len(_arrays(split)[0]) for split in (loaded.train, loaded.val, loaded.test)] == [7, 2, 6]


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda root: None, "does not exist"),
        (lambda root: _folder(root, classes=("only",)), "at least two"),
        (lambda root: (_folder(root), os.makedirs(os.path.join(root, "empty"))), "holds no images"),
        (lambda root: (_folder(root), open(os.path.join(root, "cat", "bad.jpg"), "w").write("text")), "bad.jpg"),
        (
            lambda root: (_folder(os.path.join(root, "train")), _folder(os.path.join(root, "val"), classes=("a", "b"))),
            "same class folders",
        ),
        (lambda root: _folder(os.path.join(root, "train")), "no val/"),
        (lambda root: _folder(root, per_class=1), "two or more per class"),
    ],
    ids=["missing", "one-class", "empty-class", "corrupt-file", "val-classes-differ", "train-without-val", "one-image"],
)
def test_bad_folders_get_an_error_naming_the_fix(tmp_path, make, message):
    root = str(tmp_path / "images")
    make(root)
    with pytest.raises(ValueError, match=message):
        data.load(f"folder:{root}")


def test_holdout_fraction_is_checked(tmp_path):
    _folder(tmp_path)
    with pytest.raises(ValueError, match="between 0 and 1"):
        data.load(f"folder:{tmp_path}", holdout=1.0)


def test_cli_trains_on_a_folder_and_keeps_its_class_names(tmp_path, monkeypatch, capsys):
    images = tmp_path / "images"
    _folder(images, per_class=4, size=(28, 28))
    monkeypatch.chdir(tmp_path)
    argv = ["train", "--dataset", f"folder:{images}", "--model", "vit_tiny", "--steps", "1", "--epochs", "1"]
    argv += ["--batch-size", "4", "--val-size", "0", "--fewshot-shots", "none", "--name", "own", "--verbose", "0"]
    assert cli.main(argv) == 0
    run_dir = tmp_path / "runs" / "own"
    results = json.loads((run_dir / "results.json").read_text())
    assert results["class_names"] == ["cat", "dog", "emu"]
    assert "3 classes" in results["data"]
    # keras-vit predict names the run's classes.
    image = str(images / "dog" / "img0.png")
    assert cli.main(["predict", image, "--model", str(run_dir / "model.keras"), "--top", "3", "--json"]) == 0
    out = capsys.readouterr().out
    predicted = json.loads(out[out.index("[") :] if out.lstrip().startswith("[") else out[out.index("{") :])
    assert {"cat", "dog", "emu"} <= set(json.dumps(predicted).replace('"', " ").split())
    if (run_dir / "saved_model").exists():  # the SavedModel's top_k_classes are the folder's names
        import tensorflow as tf

        serve = tf.saved_model.load(str(run_dir / "saved_model" / "vit_tiny" / "1")).signatures["serving_default"]
        out = serve(tf.zeros((1, 28, 28, 3)))
        assert {c.decode() for c in out["top_k_classes"].numpy().ravel()} <= {"cat", "dog", "emu"}


def test_fewshot_command_reads_a_folder(tmp_path, capsys):
    import keras_vit

    images = tmp_path / "images"
    _folder(images, per_class=6, size=(16, 16))
    model_path = str(tmp_path / "tiny.keras")
    keras_vit.ViT(image_size=16, patch_size=8, hidden_size=16, depth=1, num_heads=2, mlp_dim=32, classes=3).save(
        model_path
    )
    json_path = tmp_path / "fewshot.json"
    argv = ["fewshot", "--model", model_path, "--dataset", f"folder:{images}", "--holdout", "0.5"]
    assert cli.main(argv + ["--shots", "1,2", "--seeds", "1", "--json", str(json_path)]) == 0
    accuracies = json.loads(json_path.read_text())
    assert set(accuracies) == {"1shot", "2shot"} and all(0.0 <= v <= 1.0 for v in accuracies.values())
