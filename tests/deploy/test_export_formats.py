"""OpenVINO, ONNX and LiteRT exports: each read back in a fresh process by its own runtime, against Keras.

One module-scoped fixture exports the tiny classifier in every (format, precision) and runs a single
subprocess that imports only openvino, onnxruntime and ai_edge_litert (no keras_vit, no TensorFlow),
compiles each export as a user of that runtime would (OpenVINO: with the precision from metadata.json)
and records the outputs and the ops the file holds. References: the Keras model, NumPy softmax/top-k.
"""

import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
from tiny_models import NAMES, keras_outputs, tf_only, tiny_vit

import keras_vit
from keras_vit import cli
from keras_vit.deploy.cpu import needs_int8_overflow_fix

EXPORTS = [
    ("openvino", "float32"),
    ("openvino", "bfloat16"),
    ("openvino", "int8"),
    ("onnx", "float32"),
    ("onnx", "int8"),
    ("litert", "float32"),
    ("litert", "int8"),
]
# Probabilities of the tiny model (5 classes): float32 agrees to rounding; bf16 keeps 8 bits of mantissa;
# int8 quantises weights (and OpenVINO's activations) to 256 levels.
# int8 on a CPU without VNNI keeps 7-bit weights (keras_vit.deploy.cpu.needs_int8_overflow_fix): half the resolution.
TOLERANCE = {"float32": 1e-5, "bfloat16": 3e-2, "int8": 1e-1 if needs_int8_overflow_fix() else 6e-2}

RUNTIME_SCRIPT = textwrap.dedent(
    """
    import json, os, sys
    import numpy as np
    cfg = json.load(open(sys.argv[1]))
    x = np.load(cfg["images"])
    result = {}
    for tag, folder in cfg["exports"].items():
        meta = json.load(open(os.path.join(folder, "metadata.json")))
        fmt = meta["format"]
        if fmt == "openvino":
            import openvino as ov
            hint = {"float32": "f32", "bfloat16": "bf16"}.get(meta["precision"])  # int8: the plugin's default
            core = ov.Core()
            ir = core.read_model(os.path.join(folder, "model.xml"))
            static = ir.clone()  # compiled for the batch's shape, as keras_vit.deploy.load does
            static.reshape({static.inputs[0]: list(x.shape)})
            compiled = core.compile_model(static, "CPU", {"INFERENCE_PRECISION_HINT": hint} if hint else {})
            out = compiled(x)
            outputs = {o.get_any_name(): out[o] for o in compiled.outputs}
            ops = [op.get_type_name() for op in ir.get_ops()]
        elif fmt == "onnx":
            import onnx, onnxruntime as ort
            session = ort.InferenceSession(os.path.join(folder, "model.onnx"), providers=["CPUExecutionProvider"])
            names = [o.name for o in session.get_outputs()]
            outputs = dict(zip(names, session.run(None, {session.get_inputs()[0].name: x})))
            ops = [node.op_type for node in onnx.load(os.path.join(folder, "model.onnx")).graph.node]
        else:
            from ai_edge_litert.interpreter import Interpreter
            interpreter = Interpreter(os.path.join(folder, "model.tflite"))
            outputs = interpreter.get_signature_runner("serving_default")(images=x)
            ops = [str(np.dtype(t["dtype"])) for t in interpreter.get_tensor_details()]
        result[tag] = {
            "outputs": {k: np.asarray(v).tolist() for k, v in outputs.items()},
            "ops": sorted(set(ops)),
            "meta": meta,
        }
    result["modules"] = sorted(m for m in sys.modules if m.split(".")[0] in ("keras_vit", "keras", "tensorflow"))
    json.dump(result, open(cfg["result"], "w"))
    """
)


def smooth_images(n, size, seed):
    """Images with structure (low-frequency colour fields), so quantisation is calibrated on image-like data."""
    rng = np.random.default_rng(seed)
    coarse = rng.uniform(0, 255, (n, 4, 4, 3))
    return np.clip(
        np.kron(coarse, np.ones((1, size // 4, size // 4, 1))) + rng.normal(0, 8, (n, size, size, 3)), 0, 255
    )


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    if keras.backend.backend() != "tensorflow":
        pytest.skip("ONNX and LiteRT export go through TensorFlow here")
    root = tmp_path_factory.mktemp("formats")
    model = tiny_vit(0)
    calibration = smooth_images(64, 32, seed=1).astype("uint8")
    x = smooth_images(16, 32, seed=2).astype("uint8")
    exports = {}
    for fmt, precision in EXPORTS:
        exports[f"{fmt}-{precision}"] = keras_vit.export(
            model,
            root / fmt,
            format=fmt,
            precision=precision,
            input="uint8",
            top_k=3,
            class_names=NAMES,
            calibration=calibration if precision == "int8" else None,
            model_name=precision,
        )
    np.save(root / "images.npy", x)
    cfg = dict(exports=exports, images=str(root / "images.npy"), result=str(root / "result.json"))
    (root / "cfg.json").write_text(json.dumps(cfg))
    (root / "run.py").write_text(RUNTIME_SCRIPT)
    proc = subprocess.run(
        [sys.executable, str(root / "run.py"), str(root / "cfg.json")], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads((root / "result.json").read_text())
    return dict(model=model, x=x, result=result, exports=exports, reference=keras_outputs(model, x))


@tf_only
def test_runtimes_need_neither_keras_nor_tensorflow(exported):
    assert exported["result"]["modules"] == []


@tf_only
@pytest.mark.parametrize(("fmt", "precision"), EXPORTS)
def test_each_runtime_computes_the_keras_model(exported, fmt, precision):
    served = exported["result"][f"{fmt}-{precision}"]["outputs"]
    probabilities = np.asarray(served["probabilities"])
    reference = exported["reference"]  # the head already applies the softmax
    np.testing.assert_allclose(probabilities, reference, atol=TOLERANCE[precision])
    assert np.mean(probabilities.argmax(-1) == reference.argmax(-1)) >= (1.0 if precision == "float32" else 0.85)
    # top-k follows the served probabilities themselves.
    indices = np.asarray(served["top_k_indices"])
    np.testing.assert_array_equal(indices[:, 0], probabilities.argmax(-1))
    np.testing.assert_allclose(np.asarray(served["top_k_scores"]), np.take_along_axis(probabilities, indices, -1))
    assert indices.shape == (16, 3) and np.asarray(served["top_k_scores"]).shape == (16, 3)


@tf_only
def test_int8_files_hold_int8_arithmetic(exported):
    result = exported["result"]
    assert "FakeQuantize" in result["openvino-int8"]["ops"]
    assert "FakeQuantize" not in result["openvino-float32"]["ops"]
    assert {"DynamicQuantizeLinear", "MatMulInteger"} <= set(result["onnx-int8"]["ops"])
    assert "MatMulInteger" not in result["onnx-float32"]["ops"]
    assert "int8" in result["litert-int8"]["ops"] and "int8" not in result["litert-float32"]["ops"]


@tf_only
def test_metadata_carries_what_the_formats_cannot(exported):
    meta = exported["result"]["onnx-int8"]["meta"]
    assert meta["class_names"] == NAMES
    assert (meta["format"], meta["precision"], meta["input"], meta["top_k"]) == ("onnx", "int8", "uint8", 3)
    assert (meta["input_shape"], meta["input_dtype"]) == ([32, 32, 3], "uint8")
    assert meta["outputs"] == ["probabilities", "top_k_scores", "top_k_indices"]
    assert exported["exports"]["onnx-int8"].endswith("/onnx/int8/1")


@tf_only
@pytest.mark.parametrize(("fmt", "precision"), EXPORTS)
def test_load_runs_each_export_in_process(exported, fmt, precision):
    predictor = keras_vit.deploy.load(exported["exports"][f"{fmt}-{precision}"])
    x = exported["x"]
    served = np.asarray(exported["result"][f"{fmt}-{precision}"]["outputs"]["probabilities"])
    # The same runtime in this process: the same numbers as the fresh process for the same batch (dynamic
    # int8 quantises activations with the range of the whole batch, so other batches differ slightly).
    np.testing.assert_allclose(predictor(x), served, atol=1e-6)
    np.testing.assert_allclose(predictor(x[5:6]), exported["reference"][5:6], atol=TOLERANCE[precision])
    assert (predictor.format, predictor.precision, predictor.class_names) == (fmt, precision, NAMES)
    assert set(predictor.outputs(x[:2])) == {"probabilities", "top_k_scores", "top_k_indices"}


@tf_only
def test_openvino_compiles_at_the_exported_precision(exported):
    hint = {}
    for precision in ("float32", "bfloat16"):
        runtime = keras_vit.deploy.load(exported["exports"][f"openvino-{precision}"]).runtime
        hint[precision] = str(runtime.model.get_property("INFERENCE_PRECISION_HINT"))
    assert "float32" in hint["float32"] or "f32" in hint["float32"]
    if "bfloat16" in keras_vit.deploy.native_precisions():
        assert "bf" in hint["bfloat16"]


@tf_only
def test_openvino_compiles_one_static_model_per_batch_size(exported, monkeypatch):
    from keras_vit.deploy import openvino_format

    monkeypatch.setattr(openvino_format, "STATIC_BATCH_SIZES", 2)
    predictor = keras_vit.deploy.load(exported["exports"]["openvino-float32"])
    x = exported["x"]
    for batch in (1, 3, 1, 5, 7):
        np.testing.assert_allclose(predictor(x[:batch]), exported["reference"][:batch], atol=TOLERANCE["float32"])
    compiled = predictor.runtime.compiled
    assert list(compiled) == [(1, 32, 32, 3), (3, 32, 32, 3), None]  # sizes past the first two: one dynamic model
    for shape, (model, _) in compiled.items():
        inputs = model.inputs[0].get_partial_shape()
        assert inputs.is_static == (shape is not None)
        if shape is not None:
            assert tuple(inputs.to_shape()) == shape


@tf_only
def test_openvino_int8_runs_the_erf_gelu_and_float_files_keep_tanh(exported):
    import openvino as ov

    modes = {}
    for precision in ("float32", "int8"):
        ir = ov.Core().read_model(os.path.join(exported["exports"][f"openvino-{precision}"], "model.xml"))
        modes[precision] = {
            op.get_attributes()["approximation_mode"] for op in ir.get_ops() if op.get_type_name() == "Gelu"
        }
    assert modes == {"float32": {"TANH"}, "int8": {"ERF"}}


@tf_only
def test_load_checks_its_inputs(exported):
    predictor = keras_vit.deploy.load(exported["exports"]["onnx-float32"])
    x = exported["x"]
    with pytest.raises(ValueError, match="takes uint8 pixels.*Received: dtype=float32"):
        predictor(x.astype("float32"))
    with pytest.raises(ValueError, match=r"shape \(batch, 32, 32, 3\); resize.*Received: shape=\(2, 16, 16, 3\)"):
        predictor(x[:2, :16, :16])
    with pytest.raises(ValueError, match=r"Received: shape=\(32, 32, 3\)"):
        predictor(x[0])
    with pytest.raises(ValueError, match="batch is empty"):
        predictor(x[:0])


def test_load_refuses_what_is_no_export(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ValueError, match="no keras_vit export.*Received: files=\\['notes.txt'\\]"):
        keras_vit.deploy.load(tmp_path)
    with pytest.raises(ValueError, match="pass the folder, not a file"):
        keras_vit.deploy.load(tmp_path / "notes.txt")


@pytest.mark.parametrize(
    ("fmt", "precision", "match"),
    [
        ("onnx", "bfloat16", "format='onnx' exports \\('float32', 'int8'\\); for bfloat16 use format='saved_model'"),
        ("litert", "bfloat16", "for bfloat16 use format='saved_model' \\(or one of \\['saved_model', 'openvino'\\]\\)"),
        ("saved_model", "int8", "for int8 use format='openvino'"),
        ("onnx", "fp16", "`precision` must be one of"),
        ("tflite", "float32", "`format` must be one of"),
    ],
)
def test_unsupported_precisions_name_the_format_that_has_them(fmt, precision, match):
    with pytest.raises(ValueError, match=match):
        keras_vit.deploy.resolve_precision(fmt, precision)


@tf_only
def test_static_int8_needs_real_calibration_images(tmp_path):
    model = tiny_vit(0)
    with pytest.raises(ValueError, match="pass `calibration`.*format='onnx'.*Received: calibration=None"):
        keras_vit.export(model, tmp_path, format="openvino", precision="int8")
    with pytest.raises(ValueError, match=r"shape \(n, 32, 32, 3\).*Received: calibration.shape=\(4, 16, 16, 3\)"):
        keras_vit.export(model, tmp_path, format="openvino", precision="int8", calibration=np.zeros((4, 16, 16, 3)))
    with pytest.raises(ValueError, match="not preprocessed ones"):
        keras_vit.export(model, tmp_path, format="openvino", precision="int8", calibration=-np.ones((4, 32, 32, 3)))
    with pytest.raises(ValueError, match="encoded image bytes: use format='saved_model'"):
        keras_vit.export(model, tmp_path, format="onnx", input="bytes")
    assert not list(tmp_path.iterdir())  # nothing written by a refused export


@tf_only
def test_a_failed_write_leaves_nothing_behind(tmp_path, monkeypatch):
    from keras_vit.deploy import onnx_format

    def fail(*args):
        raise RuntimeError("disk full")

    monkeypatch.setattr(onnx_format, "write", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        keras_vit.export(tiny_vit(0), tmp_path, format="onnx")
    assert [p.name for p in (tmp_path / "vit").iterdir()] == []
    monkeypatch.undo()
    target = keras_vit.export(tiny_vit(0), tmp_path, format="onnx")
    with pytest.raises(FileExistsError, match="already exists"):
        keras_vit.export(tiny_vit(0), tmp_path, format="onnx")
    assert keras_vit.deploy.load(target).format == "onnx"


def built_in_mixed_precision(model):
    """`tiny_vit(0)` built under the `mixed_bfloat16` policy, with `model`'s weights."""
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        mixed = tiny_vit(0)
    finally:
        keras.config.set_dtype_policy("float32")
    mixed.set_weights(model.get_weights())
    return mixed


@tf_only
def test_bfloat16_copy_equals_a_model_built_in_mixed_precision(tmp_path):
    from keras_vit.deploy.dtype_policy import with_dtype_policy

    model = tiny_vit(0)
    copy = with_dtype_policy(model, "mixed_bfloat16")
    direct = built_in_mixed_precision(model)
    x = keras_vit.preprocess_input(np.random.default_rng(0).uniform(0, 255, (4, 32, 32, 3)).astype("float32"))
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(copy(x)), keras.ops.convert_to_numpy(direct(x)))
    assert {v.dtype for v in copy.weights} == {"float32"}
    block = copy.get_layer("encoderblock_0")
    assert all(layer.compute_dtype == "bfloat16" for layer in [block, *block._layers])
    assert not np.array_equal(keras.ops.convert_to_numpy(copy(x)), keras.ops.convert_to_numpy(model(x)))


@tf_only
def test_bfloat16_exports_store_bf16_weights_and_compute_the_mixed_model(tmp_path):
    import tensorflow as tf

    model = tiny_vit(0)
    mixed = built_in_mixed_precision(model)
    folder = keras_vit.deploy.convert(model, tmp_path / "bf16", "saved_model", precision="bfloat16")
    variables = tf.saved_model.load(folder).variables
    # Every weight bf16 but the float32 head's: no float32 -> bf16 cast of the weights on each call.
    others = {v.name: v.dtype.name for v in variables if "head" not in v.name}
    assert set(others.values()) == {"bfloat16"}, others
    assert {v.dtype.name for v in variables if "head" in v.name} == {"float32"}
    x = keras_vit.preprocess_input(np.random.default_rng(0).uniform(0, 255, (4, 32, 32, 3)).astype("float32"))
    served = keras_vit.deploy.load(folder)(x)
    # The same bf16 products as the mixed-precision model (LayerNorm's gamma/beta now rounded to bf16 too).
    np.testing.assert_allclose(served, keras.ops.convert_to_numpy(mixed(x)), atol=1e-2)
    assert not np.allclose(served, keras.ops.convert_to_numpy(model(x)), atol=1e-5)


@tf_only
def test_cli_exports_each_format(tmp_path, capsys):
    model = tiny_vit(0)
    model.save(tmp_path / "tiny.keras")
    images = smooth_images(32, 32, seed=3)
    np.save(tmp_path / "calibration.npy", images)
    common = ["export", "--model", str(tmp_path / "tiny.keras"), "--out", str(tmp_path / "out"), "--name", "tiny"]
    assert (
        cli.main(
            [*common, "--format", "openvino", "--precision", "int8", "--calibration", str(tmp_path / "calibration.npy")]
        )
        == 0
    )
    assert "openvino, int8" in capsys.readouterr().out
    assert cli.main([*common, "--format", "onnx", "--precision", "int8", "--version", "2"]) == 0
    for version, fmt in ((1, "openvino"), (2, "onnx")):
        predictor = keras_vit.deploy.load(tmp_path / "out" / "tiny" / str(version))
        assert (predictor.format, predictor.precision) == (fmt, "int8")
        reference = keras_outputs(model, images)
        assert np.mean(predictor(images.astype("float32")).argmax(-1) == reference.argmax(-1)) >= 0.85


def test_cli_rejects_a_precision_the_format_lacks(capsys):
    assert cli.console(["export", "--out", "x", "--format", "onnx", "--precision", "bfloat16"]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and "use format='saved_model'" in error[0]


@tf_only
@pytest.mark.parametrize("fmt", ["saved_model", "openvino", "onnx", "litert"])
def test_convert_keeps_a_bare_model_as_it_is(tmp_path, fmt):
    # Logits out, float inputs as the model takes them: what the benchmarks time.
    model = tiny_vit(0, classifier_activation=None)
    x = np.random.default_rng(1).normal(size=(3, 32, 32, 3)).astype("float32")
    predictor = keras_vit.deploy.load(keras_vit.deploy.convert(model, tmp_path / fmt, fmt))
    np.testing.assert_allclose(predictor(x), keras.ops.convert_to_numpy(model(x)), atol=1e-5)
    assert list(predictor.outputs(x)) == ["output"] and predictor.metadata["input_dtype"] == "float32"
