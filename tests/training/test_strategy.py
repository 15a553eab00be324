"""Distribution strategies on CPU: 2 logical devices (mirrored) and 2 local worker processes (multi-worker).

TensorFlow fixes its devices when it first uses them, so each scenario runs in a fresh subprocess.
"""

import json
import os
import socket
import subprocess
import sys
import textwrap

import numpy as np
import pytest

pytestmark = pytest.mark.tf_only

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# A tiny ViT trained for a few steps on fixed data; the initial weights are fixed by a NumPy seed so that
# every process starts from the same point. Prints the per-step losses as JSON and saves the final weights.
COMMON = textwrap.dedent(
    """
    import json, os, sys
    import numpy as np
    import tensorflow as tf

    def make_model():
        import keras, keras_vit
        model = keras_vit.ViT(image_size=8, patch_size=4, hidden_size=16, depth=1, num_heads=2, mlp_dim=32,
                              classes=3, classifier="gap")
        rng = np.random.default_rng(0)
        model.set_weights([rng.normal(scale=0.3, size=w.shape).astype("float32") for w in model.get_weights()])
        model.compile(keras.optimizers.SGD(0.1), keras.losses.CategoricalCrossentropy(),
                      jit_compile=JIT)
        return model

    def data(n=32):
        rng = np.random.default_rng(1)
        x = rng.normal(size=(n, 8, 8, 3)).astype("float32")
        y = np.eye(3, dtype="float32")[rng.integers(0, 3, n)]
        return x, y

    def fit(model, steps, batch=16):
        import keras
        x, y = data(batch * steps)
        ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(batch)
        losses = []
        class Record(keras.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                losses.append(logs["loss"])
        # One step per epoch: Keras reports a running mean within an epoch.
        model.fit(ds.repeat(), epochs=steps, steps_per_epoch=1, verbose=0, callbacks=[Record()], shuffle=False)
        return losses
    """
)

MIRRORED = COMMON + textwrap.dedent(
    """
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from keras_vit.training.strategy import get_strategy
    result = {}
    for name in ("one_device", "mirrored"):
        dist = get_strategy(name)
        JIT = dist.resolve_jit(True)
        with dist.scope():
            model = make_model()
        result[name] = dict(losses=fit(model, steps=4), replicas=dist.num_replicas, jit=JIT,
                            weights=[float(np.sum(np.abs(w))) for w in model.get_weights()])
    print("RESULT" + json.dumps(result))
    """
)

WORKER = COMMON + textwrap.dedent(
    """
    from keras_vit.training.strategy import get_strategy
    dist = get_strategy("multi_worker")
    JIT = dist.resolve_jit(True)
    with dist.scope():
        model = make_model()
    losses = fit(model, steps=3)
    np.savez(sys.argv[1], *model.get_weights())
    print("RESULT" + json.dumps(dict(losses=losses, replicas=dist.num_replicas, chief=dist.is_chief)))
    """
)


def _env(**extra):
    env = dict(os.environ, PYTHONPATH=ROOT, KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="2")
    env.update(extra)
    return env


def _result(stdout):
    line = [line for line in stdout.splitlines() if line.startswith("RESULT")][-1]
    return json.loads(line[len("RESULT") :])


def test_mirrored_two_cpu_devices_matches_one_device(tmp_path):
    script = tmp_path / "mirrored.py"
    script.write_text(MIRRORED)
    done = subprocess.run([sys.executable, str(script)], env=_env(), capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    result = _result(done.stdout)
    assert result["mirrored"]["replicas"] == 2 and result["one_device"]["replicas"] == 1
    # XLA on one device; TensorFlow's kernels where XLA cannot place replicas on 2 CPU devices.
    assert result["one_device"]["jit"] is True and result["mirrored"]["jit"] is False
    # The same global batch split over two replicas gives the same losses and the same weights.
    np.testing.assert_allclose(result["mirrored"]["losses"], result["one_device"]["losses"], rtol=1e-4)
    np.testing.assert_allclose(result["mirrored"]["weights"], result["one_device"]["weights"], rtol=1e-4)
    assert result["one_device"]["losses"][-1] < result["one_device"]["losses"][0]


def _free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def test_multi_worker_two_processes_end_with_equal_weights(tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    workers = [f"127.0.0.1:{p}" for p in _free_ports(2)]
    procs = []
    for index in range(2):
        tf_config = json.dumps({"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}})
        procs.append(
            subprocess.Popen(
                [sys.executable, str(script), str(tmp_path / f"w{index}.npz")],
                env=_env(TF_CONFIG=tf_config),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    outputs = []
    try:
        for proc in procs:
            out, err = proc.communicate(timeout=240)
            assert proc.returncode == 0, err[-3000:]
            outputs.append(_result(out))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    assert [o["replicas"] for o in outputs] == [2, 2]
    assert [o["chief"] for o in outputs] == [True, False]
    w0, w1 = np.load(tmp_path / "w0.npz"), np.load(tmp_path / "w1.npz")
    assert len(w0.files) == len(w1.files) > 0
    for key in w0.files:
        np.testing.assert_array_equal(w0[key], w1[key])
    initial = np.random.default_rng(0).normal(scale=0.3, size=w0["arr_0"].shape)
    assert not np.allclose(w0["arr_0"], initial)  # it did train


def test_tpu_without_a_tpu_names_the_fix():
    from keras_vit.training.strategy import get_strategy

    with pytest.raises(RuntimeError, match="No TPU found.*TPU VM.*--strategy auto.*Received: strategy='tpu'"):
        get_strategy("tpu")


def test_strategy_argument_errors(monkeypatch):
    from keras_vit.training.strategy import get_strategy

    with pytest.raises(ValueError, match="Received: strategy='ddp'"):
        get_strategy("ddp")
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(ValueError, match="TF_CONFIG.*Received: strategy='multi_worker'"):
        get_strategy("multi_worker")
