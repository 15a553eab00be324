"""One benchmark configuration in its own process, driven by the harness over stdin/stdout (JSON lines).

Run by path (`python keras_vit/bench/worker.py '{"runner": ..., "options": ...}'`), not with `-m`, so
that a PyTorch or NumPy worker does not import keras_vit's package (and with it Keras and a backend):
the peak memory of each configuration is its own. Keras's backend is fixed per process, which is the
other reason every configuration lives in a process of its own.

Commands: `prepare` (build, compile, warm up), `measure` (timed calls), `logits` (parity output to a
`.npy`), `rss`, `quit`. Everything libraries print goes to stderr (the worker's log file); stdout
carries only the protocol.
"""

import importlib.util
import json
import os
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))


def _load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class GemmRunner:
    """A large square GEMM in one framework: the machine's reachable matmul rate."""

    def __init__(self, options):
        self.framework = options["framework"]
        self.gemm = _load(os.path.join(HERE, "gemm.py"), "keras_vit_bench_gemm")

    def prepare(self, item):
        step = self.gemm.make_gemm(self.framework, item["n"], item["dtype"])
        return step, {"framework": self.framework, "flops_per_call": self.gemm.gemm_flops(item["n"])}


# Runners that import no Keras (PyTorch, and runtimes fed by PyTorch): loaded from `runners/` as a package of
# their own, so that neither keras_vit's package nor Keras is imported (torch and TensorFlow in one process crash).
KERAS_FREE_RUNNERS = ("timm", "timm_onnxruntime", "timm_openvino")
KERAS_FREE_PACKAGE = "keras_vit_bench_runners"


def _keras_free_runners():
    """`runners/` imported by path as the package `KERAS_FREE_PACKAGE` (its `__init__` imports only importlib)."""
    if KERAS_FREE_PACKAGE not in sys.modules:
        folder = os.path.join(HERE, "runners")
        spec = importlib.util.spec_from_file_location(
            KERAS_FREE_PACKAGE, os.path.join(folder, "__init__.py"), submodule_search_locations=[folder]
        )
        package = importlib.util.module_from_spec(spec)
        sys.modules[KERAS_FREE_PACKAGE] = package
        spec.loader.exec_module(package)
    return sys.modules[KERAS_FREE_PACKAGE]


def make_runner(runner, options):
    import importlib

    if runner == "gemm":
        return GemmRunner(options)
    if runner in KERAS_FREE_RUNNERS:
        _keras_free_runners()
        return importlib.import_module(f"{KERAS_FREE_PACKAGE}.{runner}").Runner(options)
    # Keras runners: keras_vit is importable (installed, or the source tree put on the path below).
    return importlib.import_module(f"keras_vit.bench.runners.{runner}").Runner(options)


def peak_rss_mb():
    """This process's own peak RSS: `VmHWM` of `/proc/self/status`.

    Not `getrusage(RUSAGE_SELF).ru_maxrss`: Linux carries the high-water mark across `execve`, so a worker
    started from a parent that had imported TensorFlow would report at least the parent's RSS at the fork.
    """
    with open("/proc/self/status") as f:
        kib = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    return kib / 1024


def rss_mb():
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def main():
    config = json.loads(sys.argv[1])
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    if HERE in sys.path:  # run by path: this folder would shadow packages (gemm.py, runners/...)
        sys.path.remove(HERE)
    # The source tree, for a keras_vit that is not installed (the GPU script's case).
    sys.path.append(os.path.dirname(os.path.dirname(HERE)))

    def reply(**message):
        protocol.write(json.dumps(message) + "\n")

    try:
        runner = make_runner(config["runner"], config.get("options", {}))
    except Exception as error:  # noqa: BLE001  (reported to the parent as the reason to skip)
        reply(ok=False, error=f"{type(error).__name__}: {error}", trace=traceback.format_exc())
        return 1
    reply(ok=True, pid=os.getpid())
    steps = {}
    for line in sys.stdin:
        message = json.loads(line)
        command = message["cmd"]
        try:
            if command == "quit":
                reply(ok=True)
                return 0
            if command == "prepare":
                step, info = runner.prepare(message["item"])
                start = time.perf_counter()
                step()  # compiles (XLA, jit, torch.compile) on the first call
                info["first_call_s"] = time.perf_counter() - start
                # A second call gives the steady time, unless the first already shows a slow
                # configuration (then the rounds' calls are the only ones: the budget is minutes).
                info["call_s"] = info["first_call_s"]
                if info["first_call_s"] < message.get("second_call_below_s", 30.0):
                    start = time.perf_counter()
                    step()
                    info["call_s"] = info["second_call_s"] = time.perf_counter() - start
                steps[message["key"]] = step
                reply(ok=True, info=info)
            elif command == "measure":
                step = steps[message["key"]]
                for _ in range(message.get("warmup", 0)):
                    step()
                times = []
                begin = time.perf_counter()
                while True:
                    start = time.perf_counter()
                    step()
                    times.append(time.perf_counter() - start)
                    if len(times) >= message["max_calls"] or time.perf_counter() - begin >= message["min_time"]:
                        break
                reply(ok=True, times=times)
            elif command == "logits":
                import numpy as np

                np.save(message["out"], runner.logits(message["item"], tanh_gelu=message.get("tanh_gelu", False)))
                reply(ok=True)
            elif command == "rss":
                reply(ok=True, peak_rss_mb=peak_rss_mb(), rss_mb=rss_mb())
            else:
                reply(ok=False, error=f"unknown command {command!r}")
        except Exception as error:  # noqa: BLE001  (one failing item must not end the worker)
            traceback.print_exc()
            reply(ok=False, error=f"{type(error).__name__}: {error}".strip()[:500])
    return 0


if __name__ == "__main__":
    sys.exit(main())
