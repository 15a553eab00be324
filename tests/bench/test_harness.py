"""The benchmark plumbing (one tiny configuration, one call, its files) and the roofline arithmetic.

No timing is asserted: the machine is shared. What is checked is what a wrong harness would get wrong:
the files and their fields, the FLOP figure it attaches, the arithmetic of fractions and ratios.
"""

import csv
import json
import os
import signal

import keras
import numpy as np
import pytest
import reference

from keras_vit import cli
from keras_vit.bench import checkpoint, gemm, harness, report
from keras_vit.bench.plans import TINY
from keras_vit.models.vit import build_vit

SIZES = {k: TINY[k] for k in ("patch_size", "hidden_size", "depth", "num_heads", "mlp_dim")}


def tiny_macs():
    """MACs per image of the tiny model, by hand: patch embedding, two blocks, head."""
    tokens, hidden, mlp = 17, 32, 64
    embedding = 16 * (8 * 8 * 3) * hidden
    block = 4 * tokens * hidden**2 + 2 * tokens**2 * hidden + 2 * tokens * hidden * mlp
    return embedding + 2 * block + hidden * 10


def test_quick_bench_runs_one_configuration_and_writes_its_files(tmp_path):
    assert cli.main(["bench", "--quick", "--out", str(tmp_path)]) == 0

    results = json.loads((tmp_path / "bench.json").read_text())
    assert results["skipped"] == []
    gemm_record, model_record = results["records"]
    assert gemm_record["task"] == "gemm" and gemm_record["config"] == "gemm/numpy" and gemm_record["median"] > 0
    assert model_record["task"] == "infer" and model_record["runner"] == "keras_vit"
    assert model_record["samples"] == 1 and model_record["median"] > 0
    assert model_record["flops_per_image"] == 2 * tiny_macs()
    assert model_record["max_abs_diff"] == 0.0  # keras_vit is its own parity reference
    assert model_record["peak_rss_mb"] > 0
    assert results["peak_gemm"]["config"] == "gemm/numpy"

    with open(tmp_path / "bench.csv") as f:
        rows = list(csv.DictReader(f))
    assert [r["config"] for r in rows] == ["gemm/numpy", model_record["config"]]
    assert (tmp_path / "bench.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "| tiny | 2 | float32 |" in (tmp_path / "bench.md").read_text()
    assert (tmp_path / "logs").is_dir() and (tmp_path / "progress.log").exists()


def test_two_workers_set_up_side_by_side_then_timed_in_config_order(tmp_path):
    # Two configurations set up concurrently (setup_parallel=2): both are timed, recorded in the plan's
    # order, and the second computes keras_vit's logits (parity against the first).
    configs = [
        harness.Config("keras_vit/tf", "keras_vit", "tensorflow", {"xla": False}),
        harness.Config("keras_vit/tf-xla", "keras_vit", "tensorflow", {"xla": True}),
    ]
    phase = harness.Phase("tiny inference", "infer", [dict(batch=2, dtype="float32")], configs, TINY)
    plan = harness.Plan([phase], rounds=2, min_time=0.0, max_calls=1, settle_s=0.0, setup_parallel=2)
    results = harness.Suite(plan, str(tmp_path), log=lambda line: None).run()
    assert results["skipped"] == []
    assert [r["config"] for r in results["records"]] == ["keras_vit/tf", "keras_vit/tf-xla"]
    assert all(r["samples"] == 2 for r in results["records"])
    assert results["records"][1]["max_abs_diff"] < 1e-5


def test_a_setup_alone_configuration_is_ready_before_any_other_worker_starts(tmp_path, monkeypatch):
    # The alone configuration is last in the plan and the pool would set up two at a time: it must still be
    # prepared before the others' workers exist; the records keep the plan's order.
    events = []

    class RecordingWorker(harness.Worker):
        def __init__(self, config, log_path, **kwargs):
            events.append(("start", config.name))
            super().__init__(config, log_path, **kwargs)
            self.name = config.name

        def request(self, timeout, **message):
            answer = super().request(timeout, **message)
            if message.get("cmd") == "prepare":
                events.append(("prepared", self.name))
            return answer

    monkeypatch.setattr(harness, "Worker", RecordingWorker)
    configs = [
        harness.Config("keras_vit/tf", "keras_vit", "tensorflow", {"xla": False}),
        harness.Config("keras_vit/tf-b", "keras_vit", "tensorflow", {"xla": False}),
        harness.Config("keras_vit/tf-alone", "keras_vit", "tensorflow", {"xla": False}, setup_alone=True),
    ]
    phase = harness.Phase("tiny inference", "infer", [dict(batch=2, dtype="float32")], configs, TINY)
    plan = harness.Plan([phase], rounds=1, min_time=0.0, max_calls=1, settle_s=0.0, setup_parallel=2)
    results = harness.Suite(plan, str(tmp_path), log=lambda line: None).run()
    assert results["skipped"] == []
    alone_ready = events.index(("prepared", "keras_vit/tf-alone"))
    assert events[:alone_ready] == [("start", "keras_vit/tf-alone")]
    assert {name for kind, name in events if kind == "start"} == {c.name for c in configs}
    assert [r["config"] for r in results["records"]] == [c.name for c in configs]


def test_random_checkpoint_is_the_official_layout(tmp_path):
    """keras_vit's strict loader takes every tensor, and its logits match the independent NumPy forward pass."""
    path = checkpoint.write_random_checkpoint(tmp_path / "tiny.npz", SIZES, image_size=32, classes=10, seed=3)
    params = dict(np.load(path))
    model = build_vit(**SIZES, image_size=32, classes=10, weights=path, classifier_activation=None)
    images = checkpoint.images(2, 32)
    expected = reference.forward(params, images, heads=SIZES["num_heads"])
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model(images)), expected, atol=1e-4, rtol=1e-4)
    assert np.abs(expected).max() > 0.1  # a random head: the logits are not all equal


def test_roofline_arithmetic():
    # ViT-B/16: 35.2 GFLOPs per image; 3 images/s on a 105.6 GFLOP/s GEMM is 100 % of it.
    assert gemm.achieved_flops(35.2e9, 3.0) == pytest.approx(105.6e9)
    assert gemm.fraction_of_peak(35.2e9, 3.0, 105.6e9) == pytest.approx(1.0)
    assert gemm.fraction_of_peak(35.2e9, 1.5, 105.6e9) == pytest.approx(0.5)
    assert gemm.gemm_flops(4096) == 2 * 4096**3


def _record(config, runner, median, task="infer", model="B/16", batch=32, dtype="float32", info=None, n=None):
    return dict(
        config=config,
        runner=runner,
        median=median,
        task=task,
        model=model,
        batch=batch,
        dtype=dtype,
        info=info or {},
        n=n,
    )


def test_annotate_and_targets_on_made_up_numbers():
    records = [
        _record("gemm/numpy", "gemm", 100.0, task="gemm", model=None, batch=None, n=4096),
        _record("gemm/torch", "gemm", 160.0, task="gemm", model=None, batch=None, n=4096),
        _record("keras_vit/jax", "keras_vit", 2.0, info={"flops_per_image": 35_200_000_000}),
        _record("keras_vit/tf-xla", "keras_vit", 4.0),
        _record("timm/eager", "timm", 5.0),
        _record("keras_hub/tf-xla", "keras_hub", 2.5),
        _record("keras_vit/tf-xla", "keras_vit", 1.0, task="train"),
    ]
    results = harness.annotate(dict(records=records))
    assert results["peak_gemm"] == dict(gflops=160.0, config="gemm/torch", n=4096, phase=None, dtype="float32")
    by_config = {(r["config"], r["task"]): r for r in records}
    ours = by_config[("keras_vit/tf-xla", "infer")]
    assert ours["ratio_to_keras_vit_best"] == 1.0
    assert by_config[("timm/eager", "infer")]["ratio_to_keras_vit_best"] == pytest.approx(1.25)
    # 35.2 GFLOPs × 4 images/s = 140.8 GFLOP/s = 88 % of 160.
    assert ours["gflops_per_s"] == pytest.approx(140.8)
    assert ours["fraction_of_gemm_peak"] == pytest.approx(0.88)
    # Training counts forward + backward as 3 × the forward FLOPs.
    assert by_config[("keras_vit/tf-xla", "train")]["gflops_per_s"] == pytest.approx(105.6)

    standing = {t["target"].split(": ")[1]: t for t in report.targets(results)}
    assert standing["keras_vit best ÷ timm best"]["value"] == pytest.approx(0.8)
    assert not standing["keras_vit best ÷ timm best"]["met"]
    assert standing["keras_vit best ÷ keras_hub best"]["value"] == pytest.approx(1.6)
    assert standing["keras_vit best ÷ keras_hub best"]["met"]
    assert standing["keras_vit best (keras_vit/tf-xla) fraction of GEMM peak"]["met"]


def test_fraction_of_peak_uses_the_gemm_timed_in_the_same_phase():
    records = [
        dict(_record("gemm/torch", "gemm", 200.0, task="gemm", model=None, batch=None, n=4096), phase="quiet"),
        dict(_record("gemm/torch", "gemm", 100.0, task="gemm", model=None, batch=None, n=4096), phase="B/16"),
        dict(_record("keras_vit/tf", "keras_vit", 50.0, info={"flops_per_image": 10**9}), phase="B/16"),
    ]
    harness.annotate(dict(records=records))
    assert records[2]["gemm_peak_gflops"] == 100.0
    assert records[2]["fraction_of_gemm_peak"] == pytest.approx(0.5)  # not 50 / 200


def test_spread_is_median_iqr_and_range():
    assert harness.spread([5, 1, 3, 2, 4]) == dict(median=3.0, p25=2.0, p75=4.0, min=1.0, max=5.0)


def test_errors_name_the_fix():
    with pytest.raises(ValueError, match="peak rate must be positive.*Received: peak_flops_per_s=0"):
        gemm.fraction_of_peak(1.0, 1.0, 0)
    with pytest.raises(ValueError, match="`framework` must be one of.*Received: framework='mkl'"):
        gemm.make_gemm("mkl", 8)
    with pytest.raises(ValueError, match="`dtype` must be.*Received: dtype='float16'"):
        gemm.make_gemm("numpy", 8, "float16")
    with pytest.raises(
        ValueError, match="numpy GEMM runs float32; pick.*Received: framework='numpy', dtype='bfloat16'"
    ):
        gemm.make_gemm("numpy", 8, "bfloat16")
    with pytest.raises(
        ValueError, match="tensorflow GEMM runs float32;.*Received: framework='tensorflow', dtype='int8'"
    ):
        gemm.make_gemm("tensorflow", 8, "int8")
    with pytest.raises(ValueError, match="divisible by the patch size 8.*Received: image_size=30"):
        checkpoint.random_checkpoint(SIZES, image_size=30)
    with pytest.raises(ValueError, match="`--rounds` and `--train-rounds` must be at least 1.*Received: rounds=0"):
        cli.main(["bench", "--rounds", "0", "--out", "unused"])


def test_bf16_rows_infer_with_bf16_weights_and_train_in_mixed_precision(tmp_path):
    from keras_vit.bench.runners.keras_vit import Runner

    runner = Runner({"xla": False})
    path = checkpoint.write_random_checkpoint(tmp_path / "tiny.npz", SIZES, image_size=32, classes=10)
    dtypes = {}
    for task in ("infer", "train"):
        item = {"model": {**TINY, "name": "tiny"}, "dtype": "bfloat16", "task": task, "weights": path, "batch": 2}
        model = runner.model(item)
        dtypes[task] = {v.dtype for v in model.weights if "head" not in v.path}
    assert dtypes == {"infer": {"bfloat16"}, "train": {"float32"}}


def test_a_worker_killed_for_memory_is_reported_as_killed(tmp_path):
    config = harness.Config("gemm/numpy", "gemm", options={"framework": "numpy"})
    worker = harness.Worker(config, str(tmp_path / "worker.log"))
    try:
        os.kill(worker.proc.pid, signal.SIGKILL)  # as the kernel's out-of-memory killer does
        worker.proc.wait()
        with pytest.raises(harness.WorkerError, match=r"the worker was killed by SIGKILL \(out of memory\?"):
            worker.request(30, cmd="rss")
    finally:
        worker.close()
    assert harness.exit_reason(3) == "exited with code 3"
    assert harness.exit_reason(-signal.SIGTERM) == "was killed by SIGTERM"
