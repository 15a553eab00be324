"""SavedModel export: the served signature is checked in a fresh process that imports TensorFlow only.

One module-scoped fixture exports a handful of tiny models (width 32, depth 2, 32 px) and runs a
single subprocess that loads them with `tf.saved_model.load` (never importing keras_vit), builds
requests as a TF Serving client would, and records outputs and errors. References come from the
Keras models, NumPy (softmax, top-k, half-pixel bilinear resize) and the PNG encoder.
"""

import base64
import json
import os
import shutil
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

import keras_vit
from keras_vit import cli

try:
    from filelock import FileLock
except ImportError:  # then each pytest-xdist worker exports on its own
    FileLock = None

from tiny_models import BACKEND, NAMES, TINY, keras_outputs, softmax, tf_only, tiny_vit  # noqa: E402


def resize_bilinear(images, height, width):
    """Half-pixel-centre bilinear resize (the `tf.image.resize` convention), written from its definition."""

    def taps(n_in, n_out):
        src = (np.arange(n_out) + 0.5) * n_in / n_out - 0.5
        lo = np.floor(src)
        frac = src - lo
        lo = lo.astype(int)
        return np.clip(lo, 0, n_in - 1), np.clip(lo + 1, 0, n_in - 1), frac

    x = images.astype("float64")
    y0, y1, fy = taps(x.shape[1], height)
    x0, x1, fx = taps(x.shape[2], width)
    rows = x[:, y0] * (1 - fy)[None, :, None, None] + x[:, y1] * fy[None, :, None, None]
    return rows[:, :, x0] * (1 - fx)[None, None, :, None] + rows[:, :, x1] * fx[None, None, :, None]


def png(image):
    import tensorflow as tf

    return tf.io.encode_png(image).numpy()


# Runs in a fresh interpreter: TensorFlow only, as a serving host would. Emulates the REST front end
# (JSON → tensors, base64 for {"b64": ...}) and the C++ feed path, which does not check shapes in Python.
SERVE_SCRIPT = textwrap.dedent(
    """
    import base64, json, os, sys
    import numpy as np
    import tensorflow as tf
    from tensorflow.core.protobuf import config_pb2

    cfg = json.load(open(sys.argv[1]))
    data = dict(np.load(cfg["arrays"]))
    data.update({tag: [base64.b64decode(s) for s in value] for tag, value in cfg["strings"].items()})
    out = {"outputs": {}, "errors": {}, "specs": {}}

    loaded, sessions = {}, {}

    def signature(name):
        if name not in loaded:
            loaded[name] = tf.saved_model.load(cfg["exports"][name]).signatures["serving_default"]
        fn = loaded[name]
        ((key, spec),) = fn.structured_input_signature[1].items()
        out["specs"][name] = {
            "input": [key, spec.dtype.name, list(spec.shape.as_list())],
            "outputs": {k: [v.dtype.name, v.shape.as_list()] for k, v in fn.structured_outputs.items()},
        }
        return fn, key, spec

    def record(tag, result):
        out["outputs"][tag] = {
            k: [s.decode("utf-8") for s in v.numpy().ravel()] if v.dtype == tf.string else v.numpy().tolist()
            for k, v in result.items()
        }

    def error(tag, call):
        try:
            call()
            out["errors"][tag] = "no error"
        except Exception as e:
            out["errors"][tag] = type(e).__name__ + ": " + str(e)[:400]

    def cxx_feed(name, value):
        # TF Serving feeds the graph from C++: no Python shape check (Session.run has one).
        if name not in sessions:
            sess = tf.compat.v1.Session(graph=tf.Graph())
            with sess.graph.as_default():
                meta = tf.compat.v1.saved_model.loader.load(sess, ["serve"], cfg["exports"][name])
            sig = meta.signature_def["serving_default"]
            (feed,) = [t.name for t in sig.inputs.values()]
            options = config_pb2.CallableOptions(feed=[feed], fetch=[sig.outputs["probabilities"].name])
            sessions[name] = sess._make_callable_from_options(options)
        return sessions[name](value)

    for name in cfg["exports"]:
        fn, key, spec = signature(name)
        for tag in cfg["calls"].get(name, []):
            record(f"{name}/{tag}", fn(**{key: tf.constant(data[tag], dtype=spec.dtype)}))

    # REST: requests built as a client builds them, decoded as TF Serving decodes them.
    fn, key, spec = signature("bytes")
    for tag, body in cfg["rest"].items():
        request = json.loads(body)
        # Row format: one value per instance, bare or keyed by the input name; columnar: the batch itself.
        rows = request["instances"] if "instances" in request else request["inputs"]
        rows = [row[key] if isinstance(row, dict) and key in row else row for row in rows]
        value = [base64.b64decode(row["b64"]) for row in rows]
        record(f"rest/{tag}", fn(**{key: tf.constant(value, dtype=tf.string)}))
    fn, key, spec = signature("uint8")
    request = json.loads(cfg["rest_uint8"])
    record("rest/uint8_inputs", fn(**{key: tf.constant(np.array(request["inputs"], dtype=spec.dtype.as_numpy_dtype))}))

    for name in ("float", "uint8"):
        fn, key, spec = signature(name)
        for tag in ("rank3", "grey", "rgba"):
            value = data[tag].astype(spec.dtype.as_numpy_dtype)
            error(f"{name}/python/{tag}", lambda: fn(**{key: tf.constant(value)}))
            error(f"{name}/cxx/{tag}", lambda: cxx_feed(name, value))
    error("float/cxx/preprocessed", lambda: cxx_feed("float", data["x32"][:1].astype("float32") / 127.5 - 1))
    error("float/cxx/nan", lambda: cxx_feed("float", np.full((1, 32, 32, 3), np.nan, "float32")))
    error("bytes/cxx/rank2", lambda: cxx_feed("bytes", np.array([[b"x"]], dtype=object)))
    fn, key, spec = signature("bytes")
    error("bytes/python/not_an_image", lambda: fn(**{key: tf.constant([b"not an image"])}))

    out["modules"] = sorted(m for m in sys.modules if m.split(".")[0] in ("keras_vit", "keras"))
    json.dump(out, open(cfg["result"], "w"))
    """
)


def export_and_serve(root):
    """Exports the tiny models into `root`, serves them in a subprocess; writes its outputs and the references."""
    import tensorflow as tf

    rng = np.random.default_rng(0)
    x32 = rng.integers(0, 256, (3, 32, 32, 3), dtype=np.uint8)
    x48 = rng.integers(0, 256, (3, 48, 40, 3), dtype=np.uint8)
    grey = rng.integers(0, 256, (20, 24, 1), dtype=np.uint8)
    xrect = rng.integers(0, 256, (3, 16, 24, 3), dtype=np.uint8)

    model = tiny_vit(0)
    # Non-square, average-pooled, and a logits head (classifier_activation=None): the graph adds the softmax.
    rect = tiny_vit(1, image_size=(16, 24), classifier="gap", classifier_activation=None)
    keras.mixed_precision.set_dtype_policy("mixed_bfloat16")
    try:
        mixed = tiny_vit(2)
    finally:
        keras.mixed_precision.set_dtype_policy("float32")

    exports = {
        "float": keras_vit.export_saved_model(model, root, top_k=3, class_names=NAMES, model_name="tiny_float"),
        "uint8": keras_vit.export_saved_model(model, root, input="uint8", model_name="tiny_uint8"),
        "rect": keras_vit.export_saved_model(rect, root, input="uint8"),
        "mixed": keras_vit.export_saved_model(mixed, root, model_name="tiny_mixed"),
    }
    # The bytes model goes through the command line from a `.keras` file, as `keras-vit train` writes it.
    model.save(root / "tiny.keras")
    (root / "classes.txt").write_text("\n".join(NAMES) + "\n", encoding="utf-8")
    cli.main(
        ["export", "--model", str(root / "tiny.keras"), "--out", str(root), "--input", "bytes"]
        + ["--class-names", str(root / "classes.txt"), "--name", "tiny_bytes", "--version", "7"]
    )
    exports["bytes"] = str(root / "tiny_bytes" / "7")

    pngs = [png(image) for image in x32] + [png(x48[0]), png(grey)]
    arrays = dict(
        x32=x32,
        x32_1=x32[:1],
        x32_f=x32.astype("float32"),
        x32_f1=x32[:1].astype("float32"),
        x48_f=x48.astype("float32"),
        xrect=xrect,
        xrect_big=x48,
        rank3=x32[0],
        grey=x32[..., :1],
        rgba=np.concatenate([x32, x32[..., :1]], axis=-1),
    )
    np.savez(root / "arrays.npz", **arrays)
    b64 = [base64.b64encode(p).decode("ascii") for p in pngs]
    strings = {"pngs": b64, "pngs_1": b64[:1]}
    calls = {
        "float": ["x32_f", "x32_f1", "x48_f"],
        "uint8": ["x32", "x32_1"],
        "rect": ["xrect", "xrect_big"],
        "mixed": ["x32_f"],
        "bytes": ["pngs", "pngs_1"],
    }
    cfg = dict(
        exports=exports,
        arrays=str(root / "arrays.npz"),
        result=str(root / "result.json"),
        calls=calls,
        strings=strings,
        rest={
            "instances_b64": json.dumps({"instances": [{"b64": s} for s in b64]}),
            "instances_named": json.dumps({"instances": [{"image_bytes": {"b64": s}} for s in b64]}),
            "inputs_b64": json.dumps({"inputs": [{"b64": s} for s in b64]}),
        },
        rest_uint8=json.dumps({"inputs": x32.tolist()}),
    )
    (root / "cfg.json").write_text(json.dumps(cfg))
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    proc = subprocess.run(
        [sys.executable, "-c", SERVE_SCRIPT, str(root / "cfg.json")], env=env, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr[-3000:]

    grey_rgb = np.repeat(grey, 3, axis=-1)[None]
    refs = dict(
        x32=keras_outputs(model, x32),
        x48=keras_outputs(model, resize_bilinear(x48, 32, 32)),
        pngs=np.concatenate(
            [
                keras_outputs(model, x32),
                keras_outputs(model, resize_bilinear(x48[:1], 32, 32)),
                keras_outputs(model, resize_bilinear(grey_rgb, 32, 32)),
            ]
        ),
        rect_logits=keras_outputs(rect, xrect),
        rect_big_logits=keras_outputs(rect, resize_bilinear(x48, 16, 24)),
        mixed_eager=keras_outputs(mixed, x32),
        # bfloat16 rounding depends on graph fusions: the traced Keras model is the exact reference.
        mixed=tf.function(lambda x: mixed(keras_vit.preprocess_input(x), training=False))(
            x32.astype("float32")
        ).numpy(),
    )
    np.savez(root / "refs.npz", **refs)
    (root / "meta.json").write_text(json.dumps(dict(exports=exports, params=model.count_params())))


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The subprocess outputs and the references; computed once per run, shared by pytest-xdist workers."""
    if BACKEND != "tensorflow":
        pytest.skip("SavedModel export needs the TensorFlow backend")
    if os.environ.get("PYTEST_XDIST_WORKER") is None or FileLock is None:
        root = tmp_path_factory.mktemp("serving")
        export_and_serve(root)
    else:
        root = tmp_path_factory.getbasetemp().parent / "export_serving"  # this run's, common to its workers
        with FileLock(f"{root}.lock"):
            if not (root / "meta.json").exists():
                shutil.rmtree(root, ignore_errors=True)
                root.mkdir()
                export_and_serve(root)
    meta = json.loads((root / "meta.json").read_text())
    return dict(
        result=json.loads((root / "result.json").read_text()),
        refs=dict(np.load(root / "refs.npz")),
        exports=meta["exports"],
        params=meta["params"],
        root=root,
    )


def outputs(served, tag):
    return {k: np.asarray(v) if k != "top_k_classes" else v for k, v in served["result"]["outputs"][tag].items()}


@tf_only
def test_serving_process_imports_no_keras_vit(served):
    assert not [m for m in served["result"]["modules"] if m.startswith("keras_vit")]


@tf_only
def test_float_probabilities_equal_keras_model(served):
    ref = served["refs"]["x32"]
    for tag, n in (("float/x32_f1", 1), ("float/x32_f", 3)):
        out = outputs(served, tag)
        assert out["probabilities"].shape == (n, 5)
        np.testing.assert_allclose(out["probabilities"], ref[:n], atol=1e-5)


@tf_only
def test_top_k_outputs_follow_probabilities(served):
    out = outputs(served, "float/x32_f")
    order = np.argsort(-served["refs"]["x32"], axis=-1)[:, :3]
    np.testing.assert_array_equal(out["top_k_indices"], order)
    np.testing.assert_allclose(out["top_k_scores"], np.take_along_axis(out["probabilities"], order, -1), atol=1e-7)
    assert out["top_k_classes"] == [NAMES[i] for i in order.ravel()]
    # top_k larger than the number of classes is clamped; no class names → no top_k_classes.
    uint8 = outputs(served, "uint8/x32")
    assert uint8["top_k_indices"].shape == (3, 5) and "top_k_classes" not in uint8


@tf_only
def test_other_image_sizes_are_resized_bilinearly(served):
    np.testing.assert_allclose(outputs(served, "float/x48_f")["probabilities"], served["refs"]["x48"], atol=1e-5)


@tf_only
def test_uint8_and_bytes_give_the_same_classes(served):
    ref = served["refs"]["x32"]
    for tag, n in (("uint8/x32_1", 1), ("uint8/x32", 3)):
        out = outputs(served, tag)
        np.testing.assert_array_equal(out["top_k_indices"][:, 0], ref[:n].argmax(-1))
        np.testing.assert_allclose(out["probabilities"], ref[:n], atol=1e-5)
    # PNG is lossless: one batch mixing 32 px, 48×40 and a grey PNG (decoded to RGB) matches the references.
    ref = served["refs"]["pngs"]
    out = outputs(served, "bytes/pngs")
    np.testing.assert_array_equal(out["top_k_indices"][:, 0], ref.argmax(-1))
    np.testing.assert_allclose(out["probabilities"], ref, atol=1e-5)
    assert outputs(served, "bytes/pngs_1")["top_k_classes"] == [NAMES[i] for i in np.argsort(-ref[0])[:5]]


@tf_only
def test_rest_request_formats(served):
    ref = served["refs"]["pngs"]
    for tag in ("instances_b64", "instances_named", "inputs_b64"):
        np.testing.assert_allclose(outputs(served, f"rest/{tag}")["probabilities"], ref, atol=1e-5)
    out = outputs(served, "rest/uint8_inputs")
    np.testing.assert_array_equal(out["top_k_indices"][:, 0], served["refs"]["x32"].argmax(-1))


@tf_only
def test_logits_head_gets_a_softmax_any_image_size(served):
    for tag, ref in (("rect/xrect", "rect_logits"), ("rect/xrect_big", "rect_big_logits")):
        out = outputs(served, tag)["probabilities"]
        np.testing.assert_allclose(out, softmax(served["refs"][ref].astype("float64")), atol=1e-5)
        np.testing.assert_allclose(out.sum(-1), 1.0, atol=1e-5)


@tf_only
def test_mixed_precision_signature_is_float32(served):
    spec = served["result"]["specs"]["mixed"]
    assert spec["input"] == ["images", "float32", [None, None, None, 3]]
    assert spec["outputs"]["probabilities"] == ["float32", [None, 5]]
    assert spec["outputs"]["top_k_scores"][0] == "float32"
    out = outputs(served, "mixed/x32_f")["probabilities"]
    np.testing.assert_allclose(out, served["refs"]["mixed"], atol=1e-5)
    np.testing.assert_array_equal(out.argmax(-1), served["refs"]["mixed_eager"].argmax(-1))


@tf_only
def test_signatures_and_layout(served):
    specs = served["result"]["specs"]
    assert specs["float"]["input"] == ["images", "float32", [None, None, None, 3]]
    assert specs["uint8"]["input"] == ["images", "uint8", [None, None, None, 3]]
    assert specs["bytes"]["input"] == ["image_bytes", "string", [None]]
    assert sorted(specs["bytes"]["outputs"]) == ["probabilities", "top_k_classes", "top_k_indices", "top_k_scores"]
    root = served["root"]
    assert served["exports"]["float"] == os.path.join(root, "tiny_float", "1")
    assert served["exports"]["rect"] == os.path.join(root, "vit", "1")  # default model_name: ViT's name
    for path in served["exports"].values():
        assert os.path.isfile(os.path.join(path, "saved_model.pb"))
        assert os.path.isdir(os.path.join(path, "variables"))
    assert not [p for p in os.listdir(root / "tiny_float") if p != "1"]  # no staging left behind
    # Each weight stored once (keras-team/keras#23553 stores tracked models twice); the one extra scalar
    # is the checkpoint's object graph.
    import tensorflow as tf

    stored = tf.train.list_variables(os.path.join(served["exports"]["float"], "variables", "variables"))
    assert sum(int(np.prod(shape)) for _, shape in stored) == served["params"] + 1
    with pytest.raises(FileExistsError, match="already exists.*Received: version=1"):
        keras_vit.export_saved_model(tiny_vit(0), root, model_name="tiny_float")


@tf_only
@pytest.mark.parametrize("name", ["float", "uint8"])
@pytest.mark.parametrize("path", ["python", "cxx"])
@pytest.mark.parametrize("bad", ["rank3", "grey", "rgba"])
def test_bad_pixel_inputs_raise(served, name, path, bad):
    message = served["result"]["errors"][f"{name}/{path}/{bad}"]
    assert message != "no error"
    if path == "cxx":  # the in-graph check, the only one TF Serving's C++ feed meets
        assert "InvalidArgumentError" in message and "[?,?,?,3]" in message


@tf_only
def test_bad_values_and_bytes_raise(served):
    errors = served["result"]["errors"]
    assert "raw pixels in [0, 255]" in errors["float/cxx/preprocessed"]
    assert "raw pixels in [0, 255]" in errors["float/cxx/nan"]
    assert "InvalidArgumentError" in errors["bytes/cxx/rank2"] and "[?]" in errors["bytes/cxx/rank2"]
    assert "InvalidArgumentError" in errors["bytes/python/not_an_image"]


@tf_only
def test_unsupported_models_and_arguments_raise(tmp_path):
    export = keras_vit.export_saved_model
    model = tiny_vit(0)
    with pytest.raises(ValueError, match="include_top=True.*Received: model output shape=\\(None, 17, 32\\)"):
        export(keras_vit.ViT(image_size=32, include_top=False, **TINY), tmp_path)
    with pytest.raises(ValueError, match="3 input channels.*Received: model input shape=\\(None, 32, 32, 1\\)"):
        export(keras_vit.ViT(input_shape=(32, 32, 1), **TINY), tmp_path)
    cnn = keras.Sequential(
        [
            keras.Input((32, 32, 3)),
            keras.layers.Conv2D(4, 3),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(5),
        ]
    )
    with pytest.raises(ValueError, match="only accepts keras_vit models.*Received: model="):
        export(cnn, tmp_path)
    with pytest.raises(ValueError, match="one image input.*Received: model="):
        export(keras.layers.Dense(3), tmp_path)
    with pytest.raises(ValueError, match="a built keras.Model.*Received: model="):
        export(keras.Sequential([keras.layers.Dense(3)]), tmp_path)
    dynamic = keras_vit.ViT(image_size=32, dynamic_image_size=True, **TINY)
    with pytest.raises(ValueError, match="pass the resolution.*Received: image_size=None"):
        export(dynamic, tmp_path)
    with pytest.raises(ValueError, match="runs at \\(32, 32\\).*Received: image_size=\\(64, 64\\)"):
        export(model, tmp_path, image_size=64)
    with pytest.raises(ValueError, match="`input` must be one of.*Received: input='jpeg'"):
        export(model, tmp_path, input="jpeg")
    with pytest.raises(ValueError, match="one name per class \\(5\\). Received: 2 names"):
        export(model, tmp_path, class_names=["a", "b"])
    with pytest.raises(ValueError, match="positive integer.*Received: top_k=0"):
        export(model, tmp_path, top_k=0)
    with pytest.raises(ValueError, match="positive integer.*Received: version=0"):
        export(model, tmp_path, version=0)
    with pytest.raises(ValueError, match="plain directory name.*Received: model_name='a/b'"):
        export(model, tmp_path, model_name="a/b")
    assert not os.listdir(tmp_path)


@tf_only
def test_dynamic_image_size_model_exports_at_the_given_size(tmp_path):
    import tensorflow as tf

    model = tiny_vit(3, dynamic_image_size=True)
    path = keras_vit.export_saved_model(model, tmp_path, image_size=32, input="uint8")
    images = np.random.default_rng(1).integers(0, 256, (2, 48, 48, 3), dtype=np.uint8)
    served = tf.saved_model.load(path).signatures["serving_default"](images=tf.constant(images))
    np.testing.assert_allclose(
        served["probabilities"].numpy(), keras_outputs(model, resize_bilinear(images, 32, 32)), atol=1e-5
    )


@tf_only
def test_hybrid_model_exports(tmp_path):
    import tensorflow as tf

    if not hasattr(keras_vit, "ViTHybrid"):
        pytest.skip("no hybrid models in this build")
    keras.utils.set_random_seed(4)
    model = keras_vit.ViTHybrid(image_size=32, resnet_blocks=(), **{**TINY, "patch_size": 1})
    head = model.get_layer("head")
    head.kernel.assign(np.random.default_rng(4).normal(0, 0.5, head.kernel.shape).astype("float32"))
    path = keras_vit.export_saved_model(model, tmp_path, input="uint8")
    images = np.random.default_rng(5).integers(0, 256, (3, 40, 36, 3), dtype=np.uint8)
    served = tf.saved_model.load(path).signatures["serving_default"](images=tf.constant(images))
    np.testing.assert_allclose(
        served["probabilities"].numpy(), keras_outputs(model, resize_bilinear(images, 32, 32)), atol=1e-5
    )


@pytest.mark.skipif(BACKEND == "tensorflow", reason="checks the error of the other backends")
def test_other_backends_raise(tmp_path):
    with pytest.raises(ValueError, match="KERAS_BACKEND=tensorflow. Received: backend="):
        keras_vit.export_saved_model(tiny_vit(0), tmp_path)


def test_import_keras_vit_does_not_import_the_exporter():
    code = (
        "import sys, keras_vit; assert 'keras_vit.deploy' not in sys.modules, 'eager'; "
        "export = keras_vit.export; assert 'tensorflow' not in sys.modules, 'tensorflow'; "
        "print(keras_vit.export_saved_model.__module__, export.__module__)"
    )
    env = {**os.environ, "KERAS_BACKEND": "jax", "TF_CPP_MIN_LOG_LEVEL": "2"}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "keras_vit.deploy.saved_model keras_vit.deploy.export"
    with pytest.raises(AttributeError, match="no attribute 'not_a_name'"):
        keras_vit.not_a_name  # noqa: B018


def test_read_class_names(tmp_path):
    from keras_vit.commands.export import read_class_names

    path = tmp_path / "names.txt"
    path.write_bytes("a b\r\ncafé\n\n".encode())
    assert read_class_names(path) == ["a b", "café"]
    args = cli.build_parser().parse_args(["export", "--out", "x", "--input", "bytes", "--top-k", "3"])
    assert (args.input, args.top_k, args.version, args.model) == ("bytes", 3, 1, "vit_ti16")
