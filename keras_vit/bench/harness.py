"""The benchmark harness: configurations in their own processes, interleaved rounds, medians and spreads.

Fairness, by construction:
- every configuration (implementation × backend × compile mode) is a long-lived worker process of its
  own (`worker.py`), since Keras's backend is fixed per process; building and compiling happen before
  any timing, two workers at a time (`Plan.setup_parallel`), and are reported apart (`first_call_s`,
  so measured beside another worker's set-up); a configuration whose set-up needs the memory of the
  whole machine (`Config.setup_alone`: a conversion) is set up first, before any other worker starts;
- the timing is `rounds` rounds; in each round every (configuration, item) pair is measured once, in
  a freshly shuffled order, so drift in the machine's load (other users, thermal state) spreads over
  all configurations instead of landing on whichever ran last;
- a short pause before each measurement lets the previous worker's thread pools go idle, and cheap
  calls get one untimed call first to warm the caches another process has just evicted;
- every implementation reads the same random `.npz` checkpoint and the same input images, and its
  logits are compared with keras_vit's;
- each sample is one call (images/s = batch ÷ seconds); a result is the median of all samples over
  all rounds, with the interquartile range and min–max.

Phases group the work by model and task, so only one model size is in memory per worker at a time and
each worker's peak RSS belongs to one (configuration, model, task).
"""

import concurrent.futures
import dataclasses
import json
import os
import random
import select
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np

from keras_vit.bench import checkpoint
from keras_vit.bench.gemm import TRAIN_FLOPS_FACTOR, fraction_of_peak
from keras_vit.bench.runners import missing

WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "worker.py")
PARITY_BATCH = 2
# keras_vit's own rows: its Keras model on each backend, and its exported formats.
OURS = ("keras_vit", "deploy")


@dataclasses.dataclass
class Config:
    """One implementation in one setting: `runner` (a module of `runners/` or "gemm"), the Keras backend
    of its process (None for PyTorch/NumPy), and runner options (`xla`, `compile`, `framework`, ...)."""

    name: str
    runner: str
    backend: str | None = None
    options: dict = dataclasses.field(default_factory=dict)
    # A GEMM riding along in a model phase: its own task and items, measured in the same rounds.
    task: str | None = None
    items: tuple | None = None
    # The precisions it runs, each over the phase's batches (None: the phase's items as they are).
    dtypes: tuple | None = None
    # Set up before the phase's other workers start, one at a time: for a set-up whose peak memory would not fit
    # beside the other workers' models (tf2onnx converting ViT-B/16).
    setup_alone: bool = False

    def task_in(self, phase):
        return self.task or phase.task

    def items_in(self, phase):
        if self.items:
            return list(self.items)
        if self.dtypes:
            return [dict(item, dtype=dtype) for dtype in self.dtypes for item in phase.items]
        return phase.items


@dataclasses.dataclass
class Phase:
    """One model and task (or the GEMM), its items (batch/dtype, or GEMM size) and its configurations."""

    name: str
    task: str  # "infer", "train" or "gemm"
    items: list
    configs: list
    model: dict | None = None  # name, image_size, classes and decode_variant's sizes
    rounds: int | None = None  # None: the plan's


@dataclasses.dataclass
class Plan:
    phases: list
    rounds: int = 3
    min_time: float = 1.0  # seconds of timed calls per measurement (at least one call)
    max_calls: int = 20
    settle_s: float = 0.3
    warmup_below_s: float = 1.0  # cheaper calls get an untimed warm-up call per measurement
    second_call_below_s: float = 5.0  # after compiling, one more untimed call when the first was quicker
    max_call_s: float = 120.0  # a configuration slower than this per call is skipped, with the reason
    prepare_timeout_s: float = 900.0
    setup_parallel: int = 2  # workers set up at a time (the timed rounds are one measurement at a time)
    seed: int = 0


def exit_reason(code):
    """How a worker's process ended, from its return code; a SIGKILL is most often the kernel's out-of-memory
    killer."""
    if code is not None and code < 0:
        name = signal.Signals(-code).name if -code in signal.valid_signals() else f"signal {-code}"
        hint = " (out of memory? the kernel's OOM killer sends it: see `dmesg`)" if -code == signal.SIGKILL else ""
        return f"was killed by {name}{hint}"
    return f"exited with code {code}"


class WorkerError(RuntimeError):
    """The worker died or hung: all of its remaining items are skipped."""


class RequestError(RuntimeError):
    """One request failed inside a live worker: that item is skipped."""


class Worker:
    """The parent's handle on one worker process."""

    def __init__(self, config, log_path, timeout=300.0):
        self.config = config
        self.log_path = log_path
        env = dict(os.environ)
        if config.backend:
            env["KERAS_BACKEND"] = config.backend
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        self.log = open(log_path, "a")  # noqa: SIM115  (closed in close())
        payload = json.dumps({"runner": config.runner, "options": config.options})
        self.proc = subprocess.Popen(
            [sys.executable, WORKER, payload],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
            bufsize=1,
            env=env,
        )
        self._read(timeout)

    def _tail(self, lines=6):
        self.log.flush()
        with open(self.log_path, errors="replace") as f:
            tail = [line.rstrip() for line in f.readlines()[-lines:]]
        return " | ".join(t for t in tail if t)

    def _read(self, timeout):
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            self.kill()
            raise WorkerError(f"no answer within {timeout:.0f} s (see {self.log_path})")
        line = self.proc.stdout.readline()
        if not line:
            raise WorkerError(f"the worker {exit_reason(self.proc.wait())}: {self._tail()}")
        message = json.loads(line)
        if not message.get("ok"):
            raise RequestError(message.get("error", "unknown error"))
        return message

    def request(self, timeout, **message):
        try:
            self.proc.stdin.write(json.dumps(message) + "\n")
            self.proc.stdin.flush()
        except BrokenPipeError as error:
            raise WorkerError(f"the worker {exit_reason(self.proc.wait())}: {self._tail()}") from error
        return self._read(timeout)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def close(self):
        if self.proc.poll() is None:
            try:
                self.request(30, cmd="quit")
            except (WorkerError, RequestError):
                pass
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        for pipe in (self.proc.stdin, self.proc.stdout):
            try:
                pipe.close()
            except OSError:  # stdin of a worker that died with unread input
                pass
        self.log.close()


def spread(samples):
    """Median, interquartile range and min–max of a list of rates."""
    values = np.asarray(samples, dtype=float)
    p25, median, p75 = np.percentile(values, [25, 50, 75])
    return dict(median=float(median), p25=float(p25), p75=float(p75), min=float(values.min()), max=float(values.max()))


VERSIONED = (
    "keras",
    "tensorflow",
    "jax",
    "torch",
    "timm",
    "keras-hub",
    "vit-keras",
    "numpy",
    "openvino",
    "nncf",
    "onnx",
    "onnxruntime",
    "tf2onnx",
    "ai-edge-litert",
)


def machine_info():
    """The CPU (`lscpu`'s model name, and the instruction-set flags the runtimes' fast paths use), versions."""
    from importlib import metadata

    from keras_vit.deploy.cpu import cpu_features

    model = "unknown"
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
        model = next(
            (line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Model name")), model
        )
    except (OSError, subprocess.SubprocessError):
        pass
    versions = {}
    for package in VERSIONED:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    features = cpu_features()
    return dict(
        cpu=model if model != "unknown" else features["model_name"],
        cpu_flags=features["flags"],
        cores=os.cpu_count(),
        python=sys.version.split()[0],
        versions=versions,
    )


class Suite:
    """Runs a `Plan`: `Suite(plan, out_dir).run()` returns the results dict (also what `report` writes)."""

    def __init__(self, plan, out_dir, log=print, work_dir=None):
        self.plan = plan
        self.out_dir = out_dir
        self._print = log
        self.rng = random.Random(plan.seed)
        self.work_dir = work_dir
        self.records = []
        self.skipped = []
        os.makedirs(os.path.join(out_dir, "logs"), exist_ok=True)
        self.progress = os.path.join(out_dir, "progress.log")

    def log(self, line):
        self._print(line)
        with open(self.progress, "a") as f:
            f.write(f"{time.strftime('%H:%M:%S')} {line}\n")

    # -- inputs -----------------------------------------------------------------------------------
    def _files(self, model, batch):
        name = model["name"].replace("/", "")
        weights = os.path.join(self.work_dir, f"{name}.npz")
        inputs = os.path.join(self.work_dir, f"{name}_images.npy")
        labels = os.path.join(self.work_dir, f"{name}_labels.npy")
        if not os.path.exists(weights):
            sizes = {k: model[k] for k in ("patch_size", "hidden_size", "depth", "num_heads", "mlp_dim")}
            checkpoint.write_random_checkpoint(weights, sizes, model["image_size"], model["classes"], self.plan.seed)
        if not os.path.exists(inputs) or np.load(inputs, mmap_mode="r").shape[0] < batch:
            np.save(inputs, checkpoint.images(max(batch, PARITY_BATCH), model["image_size"], self.plan.seed))
            np.save(labels, checkpoint.labels(max(batch, PARITY_BATCH), model["classes"], self.plan.seed))
        return dict(weights=weights, inputs=inputs, labels=labels)

    def _skip(self, phase, config, item, reason):
        entry = dict(phase=phase.name, config=config.name, item=item, reason=reason)
        self.skipped.append(entry)
        self.log(f"  skipped {config.name} {_item_label(config.task_in(phase), item) if item else ''}: {reason}")

    # -- one phase --------------------------------------------------------------------------------
    def run_phase(self, phase):
        workers = {}
        try:
            self._run_phase(phase, workers)
        finally:  # an interrupted run leaves no worker behind
            for worker in workers.values():
                worker.kill()

    def _run_phase(self, phase, workers):
        plan = self.plan
        self.log(f"== {phase.name}")
        files = {}
        if phase.model is not None:
            files = self._files(phase.model, max(item["batch"] for item in phase.items))
        # Set-up (start, build, compile, first calls): the `setup_alone` configurations one by one, then the
        # others `setup_parallel` workers at a time; the timed rounds below run one measurement at a time.
        alone = [config for config in phase.configs if config.setup_alone]
        prepared = [entry for config in alone for entry in self._prepare(phase, config, files, workers)]
        others = [config for config in phase.configs if not config.setup_alone]
        with concurrent.futures.ThreadPoolExecutor(max_workers=plan.setup_parallel) as pool:
            ready = pool.map(lambda config: self._prepare(phase, config, files, workers), others)
            prepared += [entry for entries in ready for entry in entries]
        prepared.sort(key=lambda entry: phase.configs.index(entry["config"]))  # the records in the plan's order

        rounds = phase.rounds or plan.rounds
        for round_index in range(rounds):
            order = list(prepared)
            self.rng.shuffle(order)
            for entry in order:
                worker = workers.get(entry["config"].name)
                if worker is None:
                    continue
                time.sleep(plan.settle_s)
                warmup = 1 if entry["info"]["call_s"] < plan.warmup_below_s else 0
                try:
                    times = worker.request(
                        plan.max_call_s * (plan.max_calls + 1),
                        cmd="measure",
                        key=entry["key"],
                        min_time=plan.min_time,
                        max_calls=plan.max_calls,
                        warmup=warmup,
                    )["times"]
                except (WorkerError, RequestError) as error:
                    self._skip(phase, entry["config"], entry["item"], f"failed while timing: {error}")
                    workers.pop(entry["config"].name).close()
                    continue
                entry["times"].extend(times)
                entry["loads"].append(os.getloadavg()[0])
            self.log(f"  round {round_index + 1}/{rounds} done (load {os.getloadavg()[0]:.2f})")

        parity = self._parity(phase, workers, files) if phase.task == "infer" else {}
        memory = {}
        for name, worker in list(workers.items()):
            try:
                memory[name] = worker.request(30, cmd="rss")
            except (WorkerError, RequestError):
                pass
            workers.pop(name).close()

        for entry in prepared:
            config, item, info = entry["config"], entry["item"], entry["info"]
            task = config.task_in(phase)
            if not entry["times"]:
                continue
            per_call = item.get("batch", 1)
            rates = [per_call / t for t in entry["times"]]
            record = dict(
                phase=phase.name,
                model=phase.model["name"] if phase.model and task != "gemm" else None,
                task=task,
                config=config.name,
                runner=config.runner,
                backend=config.backend,
                options=config.options,
                batch=item.get("batch"),
                dtype=item.get("dtype"),
                n=item.get("n"),
                samples=len(rates),
                rates=rates,
                unit="GFLOP/s" if task == "gemm" else "images/s",
                info=info,
                peak_rss_mb=memory.get(config.name, {}).get("peak_rss_mb"),
                load_average=float(np.mean(entry["loads"])),  # 1-minute load average after each measurement
                **parity.get((config.name, item.get("dtype")), {}),
            )
            if task == "gemm":
                rates = [info["flops_per_call"] / t / 1e9 for t in entry["times"]]
                record["rates"] = rates
            record.update(spread(rates))
            self.records.append(record)

    def _prepare(self, phase, config, files, workers):
        """Starts `config`'s worker and prepares its items: the entries ready to be timed."""
        plan = self.plan
        reason = missing(config.runner)
        if reason:
            self._skip(phase, config, None, reason)
            return []
        log_path = os.path.join(self.out_dir, "logs", f"{config.name.replace('/', '_')}.log")
        try:
            worker = workers[config.name] = Worker(config, log_path)
        except (WorkerError, RequestError) as error:
            self._skip(phase, config, None, f"could not start: {error}")
            return []
        task = config.task_in(phase)
        prepared = []
        for index, item in enumerate(config.items_in(phase)):
            full = dict(item, task=task, model=phase.model, **files)
            key = f"{phase.name}#{index}"
            try:
                info = worker.request(
                    plan.prepare_timeout_s,
                    cmd="prepare",
                    key=key,
                    item=full,
                    second_call_below_s=plan.second_call_below_s,
                )["info"]
            except RequestError as error:
                self._skip(phase, config, item, str(error))
                continue
            except WorkerError as error:
                self._skip(phase, config, item, str(error))
                workers.pop(config.name).close()
                break
            if info["call_s"] > plan.max_call_s:
                self._skip(phase, config, item, f"one call takes {info['call_s']:.0f} s (> {plan.max_call_s:.0f} s)")
                continue
            second = f"then {info['call_s']:.3f} s" if "second_call_s" in info else "(no second call)"
            self.log(
                f"  ready {config.name:24s} {_item_label(task, item):16s} "
                f"first call {info['first_call_s']:6.1f} s, {second}"
            )
            prepared.append(dict(config=config, item=item, key=key, info=info, times=[], loads=[]))
        return prepared

    def _parity(self, phase, workers, files):
        """Max |logits − keras_vit's float32 logits| on the same images and weights, for each configuration
        and each precision it runs, as shipped and with tanh GELU: `{(config name, dtype): fields}`."""
        outputs = {}
        for config in phase.configs:
            worker = workers.get(config.name)
            if worker is None or config.task_in(phase) != "infer":
                continue
            for dtype in dict.fromkeys(item["dtype"] for item in config.items_in(phase)):
                item = dict(batch=PARITY_BATCH, dtype=dtype, task="infer", model=phase.model, **files)
                for tanh in (False, True):
                    stem = f"logits_{config.name.replace('/', '_')}_{dtype}_{int(tanh)}"
                    path = os.path.join(self.work_dir, f"{stem}.npy")
                    try:
                        worker.request(self.plan.prepare_timeout_s, cmd="logits", item=item, out=path, tanh_gelu=tanh)
                        outputs[(config.name, dtype, tanh)] = np.load(path)
                    except (WorkerError, RequestError) as error:
                        self.log(f"  parity: {config.name} {dtype} failed: {error}")
        reference = next(
            (c.name for c in phase.configs if c.runner == "keras_vit" and (c.name, "float32", False) in outputs), None
        )
        if reference is None:
            return {}
        ref = outputs[(reference, "float32", False)]
        result = {}
        for name, dtype, _ in outputs:
            entry = {"parity_reference": reference, "logit_scale": float(np.abs(ref).max())}
            for tanh, field in ((False, "max_abs_diff"), (True, "max_abs_diff_tanh_gelu")):
                if (name, dtype, tanh) in outputs:
                    entry[field] = float(np.abs(outputs[(name, dtype, tanh)] - ref).max())
            result[(name, dtype)] = entry
        return result

    # -- everything -------------------------------------------------------------------------------
    def run(self):
        start = time.perf_counter()
        load_start = os.getloadavg()
        cleanup = None
        if self.work_dir is None:
            cleanup = tempfile.TemporaryDirectory(prefix="keras_vit_bench_")
            self.work_dir = cleanup.name
        try:
            for phase in self.plan.phases:
                self.run_phase(phase)
        finally:
            if cleanup is not None:
                cleanup.cleanup()
        results = dict(
            machine=machine_info(),
            load_average_start=load_start,
            load_average_end=os.getloadavg(),
            wall_s=time.perf_counter() - start,
            plan=dict(
                rounds=self.plan.rounds,
                min_time=self.plan.min_time,
                max_calls=self.plan.max_calls,
                settle_s=self.plan.settle_s,
                seed=self.plan.seed,
            ),
            records=self.records,
            skipped=self.skipped,
        )
        annotate(results)
        return results


def _item_label(task, item):
    if task == "gemm":
        return f"n={item['n']} {item['dtype']}"
    return f"batch {item['batch']} {item['dtype']}"


def peak_gemm(records, dtype="float32"):
    """The fastest `dtype` GEMM among `records` (median GFLOP/s) and the configuration that reached it."""
    gemms = [r for r in records if r["task"] == "gemm" and r["dtype"] == dtype]
    if not gemms:
        return None
    best = max(gemms, key=lambda r: r["median"])
    return dict(gflops=best["median"], config=best["config"], n=best["n"], phase=best.get("phase"), dtype=dtype)


def _group_key(record):
    """Rows compared with each other: inference across precisions (keras_vit's best path at any precision),
    training per precision."""
    dtype = None if record["task"] == "infer" else record["dtype"]
    return (record["model"], record["task"], record["batch"], dtype)


def annotate(results):
    """Adds to each model record: FLOPs per image, GFLOP/s, fraction of the GEMM peaks, ratio to keras_vit's best.

    Two peaks: the float32 one (`fraction_of_gemm_peak`, every row) and the one of the row's own precision
    (`fraction_of_precision_peak`: float32, bfloat16 or int8 GEMM). Each is the fastest GEMM of that precision
    measured in the record's own phase (same rounds, same load) when there is one, else the fastest of the run.
    """
    records = results["records"]
    flops = {}
    for r in records:
        if "flops_per_image" in r["info"]:
            flops[r["model"]] = r["info"]["flops_per_image"]
    dtypes = sorted({r["dtype"] for r in records if r["task"] == "gemm"})
    peaks = {dtype: peak_gemm(records, dtype) for dtype in dtypes}
    results["peak_gemm"] = peaks.get("float32")
    results["peak_gemms"] = peaks
    phases = {r.get("phase") for r in records}
    phase_peaks = {
        (p, dtype): peak_gemm([r for r in records if r.get("phase") == p], dtype) for p in phases for dtype in dtypes
    }
    groups = {}
    for r in records:
        if r["task"] != "gemm":
            groups.setdefault(_group_key(r), []).append(r)
    for group in groups.values():
        ours = [r["median"] for r in group if r["runner"] in OURS]
        best = max(ours) if ours else None
        for r in group:
            r["ratio_to_keras_vit_best"] = r["median"] / best if best else None
            per_image = flops.get(r["model"])
            if per_image is None:
                continue
            if r["task"] == "train":
                per_image *= TRAIN_FLOPS_FACTOR
            r["flops_per_image"] = per_image
            r["gflops_per_s"] = per_image * r["median"] / 1e9
            for dtype, peak in (("float32", "gemm_peak"), (r["dtype"], "precision_peak")):
                reference = phase_peaks.get((r.get("phase"), dtype)) or peaks.get(dtype)
                if reference:
                    r[f"{peak}_gflops"] = reference["gflops"]
                    r[f"{peak}_config"] = reference["config"]
                    r[f"fraction_of_{peak}"] = fraction_of_peak(per_image, r["median"], reference["gflops"] * 1e9)
    return results
