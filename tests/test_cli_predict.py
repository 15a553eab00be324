"""`keras-vit predict`: the printed classes are the model's own prediction on the same pixels; bad input is one line."""

import json
import re

import keras
import numpy as np
import pytest

from keras_vit import cli
from keras_vit.data.fashion_mnist import CLASS_NAMES
from keras_vit.training.model_source import load_or_build_model


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    """A tiny 10-class model in a `keras-vit train`-like run folder (model.keras + results.json)."""
    folder = tmp_path_factory.mktemp("run")
    keras.utils.set_random_seed(0)
    model = load_or_build_model("vit_tiny", classes=10)
    head = model.get_layer("head")  # zero-initialised: give it weights so that the classes differ
    kernel, bias = head.get_weights()
    rng = np.random.default_rng(0)
    # No bias: the features of the images, not a bias shared by all of them, decide the classes.
    head.set_weights([rng.normal(0, 1, kernel.shape).astype("float32"), np.zeros(bias.shape, "float32")])
    model.save(folder / "model.keras")
    (folder / "results.json").write_text(json.dumps({"config": {"dataset": "fashion_mnist"}}))
    return folder


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    """Grey and RGB PNG and JPEG files of odd sizes (written with TensorFlow's encoders)."""
    import tensorflow as tf

    folder = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(1)
    paths = []
    for i, (name, shape) in enumerate(
        (("grey.png", (37, 53, 1)), ("rgb.png", (101, 64, 3)), ("grey.jpg", (19, 23, 1)), ("rgb.jpg", (40, 33, 3)))
    ):
        # A gradient plus noise, rising or falling by image: the classes differ between images.
        h, w, c = shape
        ramp = np.linspace(0, 255, h * w * c).reshape(shape)
        ramp = ramp if i % 2 else 255 - ramp
        pixels = np.clip(0.6 * ramp + rng.integers(0, 100, shape), 0, 255).astype("uint8")
        encode = tf.io.encode_png if name.endswith(".png") else lambda x: tf.io.encode_jpeg(x, quality=95)
        path = folder / name
        path.write_bytes(encode(pixels).numpy())
        paths.append(path)
    return paths


def reference_scores(model_path, paths):
    """The model's own softmax scores: tf.io decoding, tf.image bilinear resize, x / 127.5 - 1 (no PIL, no keras_vit
    preprocessing)."""
    import tensorflow as tf

    model = keras.saving.load_model(model_path, compile=False)
    size = model.input_shape[1:3]
    batch = []
    for path in paths:
        data = path.read_bytes()
        if path.suffix == ".jpg":  # libjpeg's accurate integer IDCT, PIL's default; TensorFlow's default is faster
            image = tf.io.decode_jpeg(data, channels=3, dct_method="INTEGER_ACCURATE")
        else:
            image = tf.io.decode_image(data, channels=3, expand_animations=False)
        batch.append(tf.image.resize(tf.cast(image, "float32"), size, method="bilinear").numpy())
    return keras.ops.convert_to_numpy(model(np.stack(batch) / 127.5 - 1.0, training=False))


def test_top1_is_the_models_prediction(run_folder, images, capsys):
    model_path = run_folder / "model.keras"
    want = reference_scores(model_path, images)
    argv = ["predict", *map(str, images), "--model", str(model_path), "--top", "3", "--json"]
    assert cli.console(argv) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["image"] for r in records] == [str(p) for p in images]
    for record, scores in zip(records, want):
        top = record["top"]
        assert len(top) == 3
        assert top[0]["class"] == int(np.argmax(scores))
        assert [t["class"] for t in top] == list(np.argsort(-scores)[:3])
        assert top[0]["name"] == CLASS_NAMES[top[0]["class"]]  # the run's dataset's names
        np.testing.assert_allclose([t["score"] for t in top], np.sort(scores)[::-1][:3], atol=1e-5)
    # The four images are not all classified alike (else the test could not tell images apart).
    assert len({tuple(t["class"] for t in r["top"]) for r in records}) > 1


def test_text_output_names_the_classes(run_folder, images, capsys):
    model_path = run_folder / "model.keras"
    scores = reference_scores(model_path, images[:1])[0]
    assert cli.console(["predict", str(images[0]), "--model", str(model_path), "--top", "20"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"{images[0]}  (")
    assert len(lines) == 1 + 10  # --top larger than the classes: all 10
    best = int(np.argmax(scores))
    assert lines[1].split(maxsplit=2)[2] == f"{CLASS_NAMES[best]} ({best})"


def test_class_names_file_and_imagenet_names(run_folder, images, tmp_path, capsys):
    names = tmp_path / "names.txt"
    names.write_text("".join(f"thing {i}\n" for i in range(10)))
    argv = [
        "predict",
        str(images[1]),
        "--model",
        str(run_folder / "model.keras"),
        "--json",
        "--class-names",
        str(names),
    ]
    assert cli.console(argv) == 0
    top = json.loads(capsys.readouterr().out)["top"]
    assert all(t["name"] == f"thing {t['class']}" for t in top)

    # A 1000-class head gets the shipped ImageNet-1k names, offline.
    model = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Flatten(), keras.layers.Dense(1000, name="head")])
    model.save(tmp_path / "imagenet.keras")
    argv = ["predict", str(images[1]), "--model", str(tmp_path / "imagenet.keras"), "--json", "--top", "1"]
    assert cli.console(argv) == 0
    top = json.loads(capsys.readouterr().out)["top"][0]
    from keras_vit.preprocessing import imagenet_class_names

    assert top["name"] == imagenet_class_names()[top["class"]]


@pytest.mark.parametrize(
    "make,extra,match",
    [
        (
            lambda d: d / "missing.png",
            [],
            r"^keras-vit predict: error: Image file not found; check the path\. Received: '.*missing\.png'$",
        ),
        (
            lambda d: d / "text.png",
            [],
            r"^keras-vit predict: error: Not an image that can be decoded .* Received: '.*text\.png'$",
        ),
        (
            lambda d: d / "text.png",
            ["--top", "0"],
            r"^keras-vit predict: error: `--top` must be at least 1 .*Received: --top=0$",
        ),
    ],
)
def test_bad_input_is_one_line(run_folder, tmp_path, capsys, monkeypatch, make, extra, match):
    monkeypatch.delenv("KERAS_VIT_TRACEBACK", raising=False)
    (tmp_path / "text.png").write_text("not an image")
    argv = ["predict", str(make(tmp_path)), "--model", str(run_folder / "model.keras"), *extra]
    assert cli.console(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert re.match(match, err.strip()), err


def test_wrong_number_of_class_names(run_folder, images, tmp_path, capsys):
    names = tmp_path / "names.txt"
    names.write_text("a\nb\n")
    argv = ["predict", str(images[0]), "--model", str(run_folder / "model.keras"), "--class-names", str(names)]
    assert cli.console(argv) == 2
    assert "one name a line for each of the model's 10 classes. Received: 2 names" in capsys.readouterr().err
