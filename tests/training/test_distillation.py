"""DeiT's distillation (training/distillation.py) against a NumPy closed form of facebookresearch/deit's loss."""

import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from keras_vit import cli
from keras_vit.data import fashion_mnist
from keras_vit.models.deit import build_deit
from keras_vit.training.distillation import Distiller, load_teacher

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLASSES = 5
TINY_DEIT = dict(image_size=28, patch_size=7, hidden_size=16, depth=1, num_heads=2, mlp_dim=32)


def _student(classes=CLASSES, seed=0):
    student = build_deit(distilled=True, classes=classes, **TINY_DEIT)
    # Random heads: the builder's zero heads would make every logit 0 and the loss trivial.
    rng = np.random.default_rng(seed)
    for name in ("head", "head_dist"):
        layer = student.get_layer(name)
        layer.set_weights([rng.normal(scale=0.5, size=w.shape).astype("float32") for w in layer.get_weights()])
    return student


def _teacher(classes=CLASSES, softmax=False, image_shape=(28, 28, 3)):
    """A small CNN with BatchNorm (its inference mode matters) giving logits, or probabilities after a softmax."""
    inputs = keras.Input(image_shape)
    x = keras.layers.Conv2D(4, 3, strides=2)(inputs)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.GlobalAveragePooling2D()(keras.layers.ReLU()(x))
    logits = keras.layers.Dense(classes, name="logits")(x)
    outputs = keras.layers.Activation("softmax")(logits) if softmax else logits
    teacher = keras.Model(inputs, outputs, name="cnn_teacher")
    rng = np.random.default_rng(1)
    bn = teacher.layers[2]
    # Moving statistics away from (0, 1): a teacher run in training mode (batch statistics) gives other logits.
    bn.set_weights(
        [np.full(4, 1.5, "float32"), np.full(4, 0.2, "float32"), np.full(4, 0.3, "float32"), np.full(4, 2.0, "float32")]
    )
    dense = teacher.get_layer("logits")
    dense.set_weights([rng.normal(scale=2.0, size=w.shape).astype("float32") for w in dense.get_weights()])
    return teacher


def _batch(n=8, classes=CLASSES, seed=2):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 28, 28, 3)).astype("float32")
    y = np.eye(classes, dtype="float32")[rng.integers(0, classes, n)]
    y[0] = 0.3 * y[0] + 0.7 * y[1]  # a mixed (MixUp) row
    return x, y


def _log_softmax(z):
    z = z - z.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


def deit_loss(logits, dist_logits, teacher_logits, labels, distillation, alpha, tau, smoothing):
    """facebookresearch/deit losses.py DistillationLoss with timm's LabelSmoothingCrossEntropy, in float64 NumPy."""
    logits, dist_logits, teacher_logits = (np.asarray(a, np.float64) for a in (logits, dist_logits, teacher_logits))
    batch, classes = logits.shape
    logp = _log_softmax(logits)
    # timm LabelSmoothingCrossEntropy: (1 - s) * nll + s * mean over classes of -log p (SoftTargetCrossEntropy for
    # the mixed row after MixUp's own smoothing: the same expression on the mixed targets).
    nll = -(labels * logp).sum(-1)
    base = np.mean((1 - smoothing) * nll + smoothing * (-logp.mean(-1)))
    if distillation == "hard":
        target = teacher_logits.argmax(-1)
        distill = -np.mean(_log_softmax(dist_logits)[np.arange(batch), target])
    else:
        log_t, log_s = _log_softmax(teacher_logits / tau), _log_softmax(dist_logits / tau)
        # F.kl_div(log_s, log_t, reduction="sum", log_target=True) * T * T / outputs_kd.numel()
        distill = (np.exp(log_t) * (log_t - log_s)).sum() * tau * tau / (batch * classes)
    return base * (1 - alpha) + distill * alpha


def _heads(student, x):
    model = keras.Model(student.input, [student.get_layer("head").output, student.get_layer("head_dist").output])
    return [keras.ops.convert_to_numpy(v) for v in model(x, training=False)]


@pytest.mark.parametrize(
    "distillation, alpha, tau, softmax_teacher",
    [("hard", 0.5, 1.0, False), ("hard", 0.3, 1.0, True), ("soft", 0.5, 1.0, False), ("soft", 0.7, 3.0, True)],
)
def test_loss_on_one_batch_is_deits_closed_form(distillation, alpha, tau, softmax_teacher):
    student, teacher = _student(), _teacher(softmax=softmax_teacher)
    distiller = Distiller(student, teacher, distillation, alpha=alpha, tau=tau, label_smoothing=0.1)
    x, y = _batch()
    loss = distiller.compute_loss(x, y, distiller(x, training=True), training=True)
    logits, dist_logits = _heads(student, x)
    teacher_logits = keras.Model(teacher.inputs, teacher.get_layer("logits").output).predict(x, verbose=0)
    expected = deit_loss(logits, dist_logits, teacher_logits, y, distillation, alpha, tau, 0.1)
    difference = abs(float(keras.ops.convert_to_numpy(loss)) - expected)
    print(
        f"{distillation} alpha={alpha} tau={tau} softmax_teacher={softmax_teacher}: |loss - closed form| = {difference:.2e}"
    )
    assert difference <= 2e-6 * max(1.0, abs(expected))
    # Evaluation reads the student's output (the mean of its heads) with the compiled loss.
    distiller.compile(loss=keras.losses.CategoricalCrossentropy(label_smoothing=0.1))
    probs = distiller(x, training=False)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(probs),
        keras.ops.convert_to_numpy(keras.ops.softmax((logits + dist_logits) / 2)),
        atol=1e-6,
    )


def test_a_step_trains_the_student_and_leaves_the_teacher_frozen():
    student, teacher = _student(), _teacher()
    distiller = Distiller(student, teacher, "soft", tau=2.0, label_smoothing=0.1)
    assert not teacher.trainable
    trainable = {id(v) for v in distiller.trainable_variables}
    assert trainable == {id(v) for v in student.trainable_variables}
    assert not trainable & {id(v) for v in teacher.weights}
    distiller.compile(
        optimizer=keras.optimizers.AdamW(1e-2, weight_decay=0.1),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=0.1),
        metrics=[keras.metrics.CategoricalAccuracy(name="accuracy")],
        jit_compile=keras.backend.backend() != "torch",
    )
    x, y = _batch(16)
    teacher_before, student_before = teacher.get_weights(), student.get_weights()
    history = distiller.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"]).all() and "accuracy" in history.history
    for before, after in zip(teacher_before, teacher.get_weights()):
        np.testing.assert_array_equal(before, after)  # BatchNorm's moving statistics too: inference mode
    assert any(not np.array_equal(b, a) for b, a in zip(student_before, student.get_weights()))


def test_the_distillation_head_learns_the_teacher():
    # The teacher: the brightest colour channel; the labels: random. Only the distillation head can follow the
    # teacher, and it must come to agree with it.
    rng = np.random.default_rng(3)
    n = 64
    x = (rng.normal(scale=0.3, size=(n, 28, 28, 3)) + rng.normal(size=(n, 1, 1, 3))).astype("float32")
    y = np.eye(3, dtype="float32")[rng.integers(0, 3, n)]
    inputs = keras.Input((28, 28, 3))
    teacher = keras.Model(inputs, keras.layers.Dense(3, name="logits")(keras.layers.GlobalAveragePooling2D()(inputs)))
    teacher.get_layer("logits").set_weights([np.eye(3, dtype="float32") * 10, np.zeros(3, "float32")])
    teacher_labels = teacher.predict(x, verbose=0).argmax(-1)
    student = build_deit(distilled=True, classes=3, **TINY_DEIT)
    distiller = Distiller(student, teacher, "hard")
    distiller.compile(optimizer=keras.optimizers.Adam(3e-3), loss="categorical_crossentropy", jit_compile="auto")

    def agreement():
        return float(np.mean(_heads(student, x)[1].argmax(-1) == teacher_labels))

    before = agreement()
    distiller.fit(x, y, batch_size=16, epochs=12, verbose=0)
    after = agreement()
    print(f"distillation head vs teacher: {before:.2f} -> {after:.2f}")
    assert after >= 0.8 and after >= before + 0.3


def test_saved_file_is_the_student_alone(tmp_path):
    student, teacher = _student(), _teacher()
    distiller = Distiller(student, teacher, "hard")
    path = str(tmp_path / "student.keras")
    distiller.save(path)
    loaded = keras.saving.load_model(path, compile=False)
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in student.layers]
    assert not any(layer.name == "cnn_teacher" for layer in loaded.layers)
    assert loaded.count_params() == student.count_params()
    x, _ = _batch()
    np.testing.assert_allclose(loaded.predict(x, verbose=0), student.predict(x, verbose=0), atol=1e-6)
    # The Distiller itself serialises too (student and teacher), for keras.saving.serialize_keras_object.
    again = Distiller.from_config(distiller.get_config())
    assert (again.distillation, again.alpha, again.tau) == ("hard", 0.5, 1.0)
    assert again.student.count_params() == student.count_params() and again.teacher.trainable is False


def test_mixed_precision_step():
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        distiller = Distiller(_student(), _teacher(), "soft", tau=3.0)
        distiller.compile(
            optimizer="adam", loss="categorical_crossentropy", jit_compile=keras.backend.backend() != "torch"
        )
        x, y = _batch()
        loss = distiller.train_on_batch(x, y)
    finally:
        keras.config.set_dtype_policy(previous)
    assert np.isfinite(loss)


def test_bad_teachers_and_students_say_the_fix(tmp_path):
    with pytest.raises(ValueError, match=r"teacher file does not exist.*model.save\('teacher.keras'\).*missing.keras"):
        load_teacher(str(tmp_path / "missing.keras"), CLASSES, (28, 28, 3))
    weights = tmp_path / "teacher.weights.h5"
    weights.write_text("")
    with pytest.raises(ValueError, match="is not a .keras file"):
        load_teacher(str(weights), CLASSES, (28, 28, 3))
    inputs = keras.Input((28, 28, 3))
    features = tmp_path / "features.keras"
    keras.Model(inputs, keras.layers.Conv2D(2, 3)(inputs)).save(features)
    with pytest.raises(ValueError, match=r"must be a classifier.*outputs \[\(None, 26, 26, 2\)\]"):
        load_teacher(str(features), CLASSES, (28, 28, 3))
    other = tmp_path / "ten.keras"
    _teacher(classes=10).save(other)
    with pytest.raises(ValueError, match="predicts 10 classes but the dataset has 5"):
        load_teacher(str(other), CLASSES, (28, 28, 3))
    big = tmp_path / "big.keras"
    _teacher(image_shape=(32, 32, 3)).save(big)
    with pytest.raises(
        ValueError, match=r"takes images of shape \(32, 32, 3\) but the student is trained on \(28, 28, 3\)"
    ):
        load_teacher(str(big), CLASSES, (28, 28, 3))
    assert load_teacher(str(big), CLASSES, (32, 32, 3)).output_shape == (None, CLASSES)
    plain = keras.Model(inputs, keras.layers.Dense(CLASSES, name="head")(keras.layers.Flatten()(inputs)))
    with pytest.raises(ValueError, match=r"distilled DeiT.*without layers \['head_dist'\]"):
        Distiller(plain, _teacher())
    with pytest.raises(ValueError, match="`distillation` must be one of"):
        Distiller(_student(), _teacher(), "medium")
    assert cli.console(["train", "--distillation", "soft"]) == 2


needs_data = pytest.mark.skipif(
    not os.path.exists(os.path.join(fashion_mnist.DEFAULT_DIR, "train-images-idx3-ubyte.gz")),
    reason="Debian's dataset-fashion-mnist is not installed",
)


@needs_data
def test_cli_trains_a_distilled_deit(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    build_deit(distilled=True, classes=10, **TINY_DEIT).save("student.keras")
    _teacher(classes=10, softmax=True).save("teacher.keras")
    argv = ["train", "--model", "student.keras", "--steps", "2", "--epochs", "1", "--batch-size", "8"]
    argv += ["--val-size", "64", "--fewshot-shots", "none", "--no-saved-model", "--verbose", "0", "--name", "kd"]
    assert cli.console(argv + ["--teacher", "nowhere.keras"]) == 2
    assert "teacher file does not exist" in capsys.readouterr().err
    assert cli.console([a for a in argv if a not in ("--fewshot-shots", "none")] + ["--teacher", "teacher.keras"]) == 2
    assert "add --fewshot-shots none" in capsys.readouterr().err
    argv += ["--teacher", "teacher.keras", "--distillation", "soft", "--distillation-tau", "3"]
    assert cli.main(argv) == 0
    assert "Distillation: soft, alpha 0.5, tau 3.0" in capsys.readouterr().out
    results = json.loads((tmp_path / "runs" / "kd" / "results.json").read_text())
    config = results["config"]
    assert (config["teacher"], config["distillation"], config["distillation_tau"]) == ("teacher.keras", "soft", 3.0)
    assert results["steps_per_epoch"] == 2 and 0.0 <= results["test_accuracy"] <= 1.0
    for name in ("model.keras", "best.keras"):
        saved = keras.saving.load_model(tmp_path / "runs" / "kd" / name, compile=False)
        assert (
            saved.get_layer("head_dist")
            and saved.count_params() == keras.saving.load_model("student.keras").count_params()
        )


@pytest.mark.tf_only
def test_mirrored_replicas_give_the_single_device_losses():
    # Two logical CPUs, one replica each: DistillationLoss is scaled across replicas as Keras' own losses are, so
    # each step's loss (and so the weights) matches one device's.
    script = textwrap.dedent(
        """
        import json
        import numpy as np
        import tensorflow as tf
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        import keras
        from tests.training.test_distillation import _batch, _student, _teacher
        from keras_vit.training.distillation import Distiller

        def losses(strategy):
            keras.utils.set_random_seed(0)
            with strategy.scope():
                distiller = Distiller(_student(), _teacher(), "soft", tau=2.0, label_smoothing=0.1)
                distiller.compile(optimizer=keras.optimizers.SGD(0.5), loss="categorical_crossentropy", jit_compile=False)
            x, y = _batch(16)
            return distiller.fit(x, y, batch_size=16, epochs=3, verbose=0, shuffle=False).history["loss"]

        print(json.dumps([losses(tf.distribute.get_strategy()), losses(tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]))]))
        """
    )
    env = dict(os.environ, KERAS_BACKEND="tensorflow", PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL="2")
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    single, mirrored = json.loads(out.stdout.strip().splitlines()[-1])
    np.testing.assert_allclose(mirrored, single, rtol=1e-5)
