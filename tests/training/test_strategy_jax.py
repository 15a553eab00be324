"""JAX: `--strategy mirrored` is `keras.distribution.DataParallel`; over 2 host devices it must match one device.

XLA fixes the host device count at start-up (`--xla_force_host_platform_device_count`): a fresh process.
"""

import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

pytestmark = pytest.mark.skipif(keras.backend.backend() != "jax", reason="JAX's distribution API: the JAX pass")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SCRIPT = textwrap.dedent(
    """
    import json
    import jax, keras, keras_vit
    import numpy as np
    from keras_vit.training.strategy import get_strategy

    def run(name):
        dist = get_strategy(name)
        model = keras_vit.ViT(image_size=8, patch_size=4, hidden_size=16, depth=1, num_heads=2, mlp_dim=32,
                              classes=3, classifier="gap")
        rng = np.random.default_rng(0)
        model.set_weights([rng.normal(scale=0.3, size=w.shape).astype("float32") for w in model.get_weights()])
        model.compile(keras.optimizers.SGD(0.1), keras.losses.CategoricalCrossentropy(), jit_compile=True)
        rng = np.random.default_rng(1)
        x = rng.normal(size=(64, 8, 8, 3)).astype("float32")
        y = np.eye(3, dtype="float32")[rng.integers(0, 3, 64)]
        losses = []

        class Record(keras.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                losses.append(float(logs["loss"]))

        # One step per epoch: Keras reports a running mean within an epoch.
        model.fit(x, y, batch_size=16, epochs=4, steps_per_epoch=1, verbose=0, callbacks=[Record()], shuffle=False)
        kernel = model.get_layer("encoderblock_0").weights[0].value
        result = dict(losses=losses, replicas=dist.num_replicas, devices=len(jax.devices()),
                      kernel_shards=len(kernel.sharding.device_set),
                      weights=[float(np.sum(np.abs(w))) for w in model.get_weights()])
        keras.distribution.set_distribution(None)
        return result

    print("RESULT" + json.dumps(dict(one_device=run("one_device"), mirrored=run("mirrored"))))
    """
)


def test_data_parallel_over_two_host_devices_matches_one_device(tmp_path):
    script = tmp_path / "data_parallel.py"
    script.write_text(SCRIPT)
    env = dict(
        os.environ,
        PYTHONPATH=ROOT,
        KERAS_BACKEND="jax",
        XLA_FLAGS="--xla_force_host_platform_device_count=2",
        JAX_PLATFORMS="cpu",
    )
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = [line for line in proc.stdout.splitlines() if line.startswith("RESULT")][-1]
    result = json.loads(line[len("RESULT") :])
    one, two = result["one_device"], result["mirrored"]
    assert one["devices"] == two["devices"] == 2
    assert one["replicas"] == 1 and two["replicas"] == 2
    assert one["kernel_shards"] == 1 and two["kernel_shards"] == 2  # replicated on both devices
    assert one["losses"][0] > one["losses"][-1]
    np.testing.assert_allclose(two["losses"], one["losses"], rtol=1e-4)
    np.testing.assert_allclose(two["weights"], one["weights"], rtol=1e-4)
