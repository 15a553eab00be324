"""Distribution strategies by name: `--strategy auto|one_device|mirrored|multi_worker|tpu`.

TensorFlow backend: `tf.distribute` strategies; build and compile the model inside `scope()`.
JAX backend: `keras.distribution.DataParallel` over the local (or, with multi_worker, all) devices.
"""

import contextlib
import dataclasses
import os

import keras

STRATEGIES = ("auto", "one_device", "mirrored", "multi_worker", "tpu")


@dataclasses.dataclass
class Distribution:
    """What `get_strategy` set up: `scope()` to build the model in and the replica count."""

    name: str
    strategy: object = None  # a tf.distribute.Strategy (TensorFlow backend) or None
    distribution: object = None  # a keras.distribution.Distribution (JAX backend) or None
    num_replicas: int = 1

    def scope(self):
        if self.strategy is not None:
            return self.strategy.scope()
        return contextlib.nullcontext()

    def resolve_jit(self, jit_compile):
        """`jit_compile`, unless the strategy replicates over several CPU devices or workers.

        `None` is the backend's default: XLA on TensorFlow and JAX, eager on torch (as Keras's `"auto"`).
        XLA cannot compile a train step whose replicas' variables live on different CPU devices (TensorFlow's
        "variable on a different device" limitation), so such runs fall back to TensorFlow's own kernels.
        """
        if jit_compile is None:
            jit_compile = keras.backend.backend() != "torch"
        if not jit_compile or self.strategy is None or self.num_replicas == 1:
            return jit_compile
        devices = getattr(self.strategy.extended, "worker_devices", ())
        on_cpu = all("CPU" in d.upper() for d in devices)
        if on_cpu or self.name == "multi_worker":
            print(f"Note: jit_compile turned off: XLA does not support the {self.name} strategy on CPU devices.")
            return False
        return jit_compile

    @property
    def is_chief(self):
        """True on the worker that should write logs and models (always, outside multi-worker training)."""
        if self.name != "multi_worker" or self.strategy is None:
            return True
        resolver = self.strategy.cluster_resolver
        return resolver.task_type in (None, "chief") or (
            resolver.task_type == "worker" and resolver.task_id == 0 and "chief" not in resolver.cluster_spec().jobs
        )


def _check(name):
    if name not in STRATEGIES:
        raise ValueError(f"`strategy` must be one of {STRATEGIES}. Received: strategy={name!r}")


def get_strategy(name="auto", tpu=None):
    """Sets up the distribution strategy `name` for the current backend.

    Args:
        name: "auto" (all local GPUs mirrored if more than one, else the default device), "one_device",
            "mirrored" (all local GPUs, or CPU), "multi_worker" (needs `TF_CONFIG`; JAX: the
            `keras.distribution.initialize` environment), "tpu".
        tpu: TPU name or address for the TPU cluster resolver (TensorFlow; default: the local TPU VM).

    Returns:
        `Distribution`.
    """
    _check(name)
    if keras.backend.backend() == "tensorflow":
        return _tensorflow(name, tpu)
    if keras.backend.backend() == "jax":
        return _jax(name)
    if name not in ("auto", "one_device"):
        raise ValueError(
            f"Distribution strategies need the tensorflow or jax backend; set KERAS_BACKEND. Received: strategy={name!r}"
        )
    return Distribution(name)


def _tensorflow(name, tpu):
    import tensorflow as tf

    if name == "multi_worker":
        # Before anything else touches the TensorFlow context: collective ops are configured at startup.
        if "TF_CONFIG" not in os.environ:
            raise ValueError(
                "The multi_worker strategy needs the TF_CONFIG environment variable describing the cluster "
                '(e.g. {"cluster": {"worker": ["host1:port", "host2:port"]}, "task": {"type": "worker", "index": 0}}) '
                "on every worker. Received: strategy='multi_worker' with TF_CONFIG unset"
            )
        strategy = _multi_worker_strategy_class()()
        return Distribution(name, strategy, num_replicas=strategy.num_replicas_in_sync)
    gpus = tf.config.list_logical_devices("GPU")
    if name == "auto":
        if len(gpus) > 1:
            strategy = tf.distribute.MirroredStrategy()
            return Distribution("mirrored", strategy, num_replicas=strategy.num_replicas_in_sync)
        return Distribution("auto")
    if name == "one_device":
        device = gpus[0].name if gpus else "/cpu:0"
        return Distribution(name, tf.distribute.OneDeviceStrategy(device))
    if name == "mirrored":
        strategy = tf.distribute.MirroredStrategy()
        return Distribution(name, strategy, num_replicas=strategy.num_replicas_in_sync)
    # tpu
    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu or "")
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
    except (ValueError, RuntimeError, tf.errors.OpError) as error:
        raise RuntimeError(
            "No TPU found for the tpu strategy: run on a TPU VM (or pass the TPU's name or grpc:// address with "
            "--tpu), or choose --strategy auto/one_device/mirrored for this machine. "
            f"Received: strategy='tpu', tpu={tpu!r} ({type(error).__name__}: {str(error).splitlines()[0][:200]})"
        ) from error
    strategy = tf.distribute.TPUStrategy(resolver)
    return Distribution(name, strategy, num_replicas=strategy.num_replicas_in_sync)


def _multi_worker_strategy_class():
    import tensorflow as tf

    class MultiWorkerMirroredStrategy(tf.distribute.MultiWorkerMirroredStrategy):
        """`tf.distribute.MultiWorkerMirroredStrategy` whose `reduce` also takes nested structures.

        Two calls of Keras 3's TensorFlow trainer fail on the multi-worker strategy as it is: the reduction
        of a whole `(x, y)` batch before the first step (`_maybe_symbolic_build`; the strategy takes single
        values only) and `reduce("MEAN", scalar_metric, axis=0)` after each step (no axis 0 on a scalar).
        Here a nest is reduced leaf by leaf and a scalar across replicas only.
        """

        def reduce(self, reduce_op, value, axis=None):
            parent = super()

            def one(v):
                rank = len(self.experimental_local_results(v)[0].shape)
                return parent.reduce(reduce_op, v, axis if rank else None)

            return tf.nest.map_structure(one, value)

    return MultiWorkerMirroredStrategy


def _jax(name):
    import jax

    if name == "multi_worker":
        # Reads the coordinator address, process count and id from the environment (KERAS_DISTRIBUTION_*).
        keras.distribution.initialize()
    if name == "tpu" and not any(d.platform == "tpu" for d in jax.devices()):
        raise RuntimeError(
            "No TPU found for the tpu strategy: run on a TPU VM with jax[tpu] installed, or choose "
            f"--strategy auto/one_device/mirrored for this machine. Received: strategy='tpu', jax devices={jax.devices()}"
        )
    if name in ("auto", "one_device") and len(jax.devices()) == 1:
        return Distribution(name)
    if name == "one_device":
        return Distribution(name)
    distribution = keras.distribution.DataParallel()
    keras.distribution.set_distribution(distribution)
    return Distribution(name, distribution=distribution, num_replicas=len(jax.devices()))
