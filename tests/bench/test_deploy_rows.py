"""The deployment rows: precisions per configuration, each row's fraction of its own precision's GEMM rate,
keras_vit's best path against the best peer path, the int8 GEMMs, and tiny exported rows checked for parity.

No timing is asserted (the machine is shared): the arithmetic is checked against hand computations on
made-up numbers, and the exported rows against keras_vit's logits.
"""

import importlib.util
import os

import numpy as np
import pytest

from keras_vit.bench import gemm, harness, plans, report
from keras_vit.bench.plans import TINY


def _record(config, runner, median, dtype="float32", task="infer", model="B/16", batch=8, phase="B/16", **extra):
    return dict(
        config=config,
        runner=runner,
        median=median,
        task=task,
        model=None if task == "gemm" else model,
        batch=None if task == "gemm" else batch,
        dtype=dtype,
        phase=phase,
        info=extra.pop("info", {}),
        n=4096 if task == "gemm" else None,
        p25=median,
        p75=median,
        min=median,
        max=median,
        **extra,
    )


def _gemm(config, median, dtype, phase="B/16"):
    return _record(config, "gemm", median, dtype=dtype, task="gemm", phase=phase)


def test_each_row_is_divided_by_the_gemm_rate_of_its_own_precision():
    # 2 GFLOP per image. float32 row: 100 images/s = 200 GFLOP/s of the phase's 400 (50 %); bf16 row: 300
    # images/s = 600 of 1,200 (50 %), and 150 % of the float32 rate; int8 row: 600 images/s = 1,200 GOP/s of
    # 4,800 (25 %). The int8 GEMM of another phase (the run's fastest, 9,600) is not the one used.
    records = [
        _gemm("gemm/tensorflow", 300.0, "float32"),
        _gemm("gemm/openvino", 400.0, "float32"),
        _gemm("gemm/torch", 1200.0, "bfloat16"),
        _gemm("gemm/openvino", 4800.0, "int8"),
        _gemm("gemm/torch", 9600.0, "int8", phase="S/16"),
        _record("keras_vit/tf-xla", "keras_vit", 100.0, info={"flops_per_image": 2_000_000_000}),
        _record("timm/eager", "timm", 300.0, dtype="bfloat16"),
        _record("keras_vit/openvino", "deploy", 600.0, dtype="int8"),
    ]
    results = harness.annotate(dict(records=records))
    f32, bf16, int8 = records[5:]
    assert f32["fraction_of_precision_peak"] == pytest.approx(0.5)
    assert f32["precision_peak_config"] == "gemm/openvino"
    assert bf16["fraction_of_precision_peak"] == pytest.approx(0.5)
    assert bf16["precision_peak_gflops"] == 1200.0
    assert bf16["fraction_of_gemm_peak"] == pytest.approx(1.5)  # the float32 fraction stays float32's
    assert int8["fraction_of_precision_peak"] == pytest.approx(0.25)
    assert int8["precision_peak_config"] == "gemm/openvino"
    assert results["peak_gemms"]["int8"]["gflops"] == 9600.0  # the run's fastest int8, reported on top
    assert results["peak_gemm"]["gflops"] == 400.0


def test_a_precision_without_a_gemm_in_its_phase_uses_the_runs_fastest():
    records = [
        _gemm("gemm/torch", 800.0, "bfloat16", phase="GEMM"),
        _record("timm/eager", "timm", 100.0, dtype="bfloat16", info={"flops_per_image": 2_000_000_000}),
    ]
    harness.annotate(dict(records=records))
    assert records[1]["fraction_of_precision_peak"] == pytest.approx(0.25)
    assert "fraction_of_gemm_peak" not in records[1]  # no float32 GEMM anywhere: no float32 fraction


def _synthetic_deployment():
    """ViT-B/16 at batch 8 and 1 as in issue 17's table, keras_vit's exports made up."""
    records = [
        _record("keras_vit/tf-xla", "keras_vit", 7.6),
        _record("keras_vit/tf", "keras_vit", 12.2, dtype="bfloat16"),
        _record("keras_vit/openvino", "deploy", 40.0, dtype="int8"),
        _record("timm/eager", "timm", 30.0, dtype="bfloat16"),
        _record("timm/openvino", "timm_openvino", 36.1, dtype="bfloat16"),
        _record("timm/onnxruntime", "timm_onnxruntime", 30.2, dtype="int8"),
        _record("keras_vit/tf-xla", "keras_vit", 6.8, batch=1),
        _record("keras_vit/onnx", "deploy", 20.0, dtype="int8", batch=1),
        _record("timm/openvino", "timm_openvino", 30.7, dtype="bfloat16", batch=1),
    ]
    return dict(
        records=records,
        machine=dict(cpu="Intel(R) Xeon(R) Platinum 8488C", cores=2, cpu_flags={"amx_bf16": True, "avx2": True}),
        load_average_start=(0.1, 0.1, 0.1),
        load_average_end=(2.0, 2.0, 2.0),
        wall_s=60.0,
        plan=dict(rounds=3),
        skipped=[],
    )


def test_keras_vit_best_against_the_best_peer_across_precisions():
    results = harness.annotate(_synthetic_deployment())
    versus = {v["batch"]: v for v in report.best_versus_peers(results)}
    assert versus[8]["ours"] == "keras_vit/openvino int8" and versus[8]["peer"] == "timm/openvino bfloat16"
    assert versus[8]["ratio"] == pytest.approx(40.0 / 36.1)
    assert versus[1]["ours"] == "keras_vit/onnx int8"
    assert versus[1]["ratio"] == pytest.approx(20.0 / 30.7)
    # "× keras_vit best" compares with keras_vit's best path at any precision, not its float32 row.
    by_row = {(r["config"], r["dtype"], r["batch"]): r for r in results["records"]}
    assert by_row[("timm/openvino", "bfloat16", 8)]["ratio_to_keras_vit_best"] == pytest.approx(36.1 / 40.0)

    standing = {t["target"]: t for t in report.targets(results)}
    batch8 = standing[
        "B/16 inference batch 8: keras_vit best (keras_vit/openvino int8) ÷ best peer (timm/openvino bfloat16)"
    ]
    assert batch8["met"] and batch8["threshold"] == 1.0
    batch1 = standing[
        "B/16 inference batch 1: keras_vit best (keras_vit/onnx int8) ÷ best peer (timm/openvino bfloat16)"
    ]
    assert not batch1["met"]
    assert standing["B/16 inference batch 8: keras_vit best ÷ timm best"]["value"] == pytest.approx(40.0 / 30.0)


def test_report_prints_the_cpu_flags_the_gemm_rates_and_the_comparison():
    results = _synthetic_deployment()
    results["records"] += [_gemm("gemm/torch", 371.0, "float32"), _gemm("gemm/openvino", 1970.0, "int8")]
    results["records"][0]["info"] = {"flops_per_image": 35_100_000_000}
    text = report.table(harness.annotate(results))
    lines = text.splitlines()
    assert lines[0] == "CPU: Intel(R) Xeon(R) Platinum 8488C, 2 cores; flags: amx_bf16 yes, avx2 yes."
    assert "float32 371.0 GFLOP/s (gemm/torch, n=4096)" in lines[1]
    assert "int8 1970.0 GOP/s (gemm/openvino, n=4096)" in lines[1]
    # 35.1 GFLOP × 40 images/s = 1,404 GOP/s: 71 % of the int8 rate, 378 % of the float32 one.
    assert "| B/16 | 8 | int8 | keras_vit/openvino | 40.00 |" in text
    row = next(line for line in lines if line.startswith("| B/16 | 8 | int8 | keras_vit/openvino |"))
    assert row.split(" | ")[9:11] == ["378", "71"]
    assert "| B/16 | 8 | keras_vit/openvino int8 | 40.00 | timm/openvino bfloat16 | 36.10 | 1.11 |" in text


def test_configurations_run_each_of_their_precisions_over_the_phases_batches():
    phase = harness.Phase("p", "infer", [dict(batch=1, dtype="float32"), dict(batch=8, dtype="float32")], [])
    config = harness.Config("timm/openvino", "timm_openvino", dtypes=("float32", "int8"))
    assert config.items_in(phase) == [
        dict(batch=1, dtype="float32"),
        dict(batch=8, dtype="float32"),
        dict(batch=1, dtype="int8"),
        dict(batch=8, dtype="int8"),
    ]
    assert harness.Config("keras_vit/tf", "keras_vit").items_in(phase) == phase.items


def test_deploy_plan_runs_every_row_and_gemm_precision_per_model():
    plan = plans.deploy_plan()
    assert [p.name for p in plan.phases] == ["S/16 deployment", "B/16 deployment"]
    phase = plan.phases[1]
    assert phase.model["hidden_size"] == 768 and [i["batch"] for i in phase.items] == [1, 8]
    rows = {(c.name, i["dtype"]) for c in phase.configs if c.task_in(phase) == "infer" for i in c.items_in(phase)}
    for row in [
        ("keras_vit/tf-xla", "float32"),
        ("keras_vit/tf", "bfloat16"),
        ("keras_vit/openvino", "int8"),
        ("keras_vit/onnx", "int8"),
        ("keras_vit/litert", "int8"),
        ("timm/eager", "bfloat16"),
        ("timm/onnxruntime", "int8"),
        ("timm/openvino", "bfloat16"),
        ("timm/openvino", "int8"),
    ]:
        assert row in rows
    gemm_dtypes = {i["dtype"] for c in phase.configs if c.task == "gemm" for i in c.items_in(phase)}
    assert gemm_dtypes == {"float32", "bfloat16", "int8"}
    only = plans.deploy_plan(models=("S/16",), only=["timm"])
    assert {c.runner for c in only.phases[0].configs} == {"timm", "timm_onnxruntime", "timm_openvino", "gemm"}


def test_torch_bf16_gemm_is_timed_only_where_the_cpu_multiplies_bf16_natively():
    def dtypes(native):
        return {c.name: [i["dtype"] for i in c.items] for c in plans.deploy_gemms(64, native=native)}

    assert dtypes(("float32", "bfloat16", "int8"))["gemm/torch"] == ["float32", "bfloat16", "int8"]
    without = dtypes(("float32",))
    assert without["gemm/torch"] == ["float32", "int8"]
    assert without["gemm/openvino"] == ["float32", "bfloat16", "int8"]  # converts: seconds, and still timed


@pytest.mark.parametrize("framework", ["torch", "onnxruntime"])
def test_int8_gemms_compute_the_exact_integer_product(framework):
    out = gemm.make_gemm(framework, 64, "int8", seed=1)()
    result = np.asarray(out[0] if isinstance(out, list) else out)
    rng = np.random.default_rng(1)
    a, b = (gemm._int8(rng.standard_normal((64, 64), dtype=np.float32)).astype(np.int64) for _ in range(2))
    if framework == "onnxruntime":  # uint8 activations: the int8 ones shifted by 128
        a = a + 128
    assert result.dtype == np.int32
    np.testing.assert_array_equal(result, a @ b)


@pytest.mark.parametrize("dtype, expected", [("int8", {"u8", "i8"}), ("bfloat16", {"bf16"}), ("float32", {"f32"})])
def test_openvino_gemm_runs_its_product_at_the_precision_asked(dtype, expected):
    from keras_vit.deploy.cpu import native_precisions

    if dtype == "bfloat16" and "bfloat16" not in native_precisions():
        expected = {"f32"}  # no native bf16 (AVX2 only): OpenVINO's CPU plugin runs the product in float32
    b = np.random.default_rng(0).standard_normal((64, 64), dtype=np.float32)
    runtime = gemm.openvino_matmul(64, b, dtype).get_runtime_model()
    info = [op.get_rt_info() for op in runtime.get_ordered_ops()]
    precisions = {i["runtimePrecision"].astype(str) for i in info if i["layerType"].astype(str) == "FullyConnected"}
    assert precisions and precisions <= expected, precisions


def test_gemm_precisions_each_library_does_not_run_are_refused():
    with pytest.raises(ValueError, match="onnxruntime GEMM runs float32, int8;.*dtype='bfloat16'"):
        gemm.make_gemm("onnxruntime", 8, "bfloat16")
    with pytest.raises(ValueError, match="`dtype` must be one of.*Received: dtype='int4'"):
        gemm.make_gemm("torch", 8, "int4")


def test_worker_reports_its_own_peak_memory_not_its_parents(tmp_path):
    ballast = np.ones(600 * 2**20 // 8)  # 600 MiB resident in this (the parent) process
    config = harness.Config("gemm/numpy", "gemm", options={"framework": "numpy"})
    worker = harness.Worker(config, str(tmp_path / "worker.log"))
    try:
        peak = worker.request(30, cmd="rss")["peak_rss_mb"]
    finally:
        worker.close()
    assert ballast.sum() > 0
    assert 0 < peak < 300


@pytest.mark.tf_only
def test_tiny_exported_rows_match_keras_vit_logits(tmp_path):
    """timm -> ONNX Runtime / OpenVINO and keras_vit -> ONNX, float32 and int8, on the tiny model."""
    configs = [
        harness.Config("keras_vit/tf", "keras_vit", "tensorflow", {"xla": False}),
        harness.Config("keras_vit/onnx", "deploy", "tensorflow", {"format": "onnx"}, dtypes=("float32", "int8")),
    ]
    if importlib.util.find_spec("timm") is not None:  # the bench extra; `make test` installs only the test extra
        configs += [
            harness.Config("timm/onnxruntime", "timm_onnxruntime", dtypes=("float32", "int8")),
            harness.Config("timm/openvino", "timm_openvino", dtypes=("float32", "int8")),
        ]
    phase = harness.Phase("tiny deployment", "infer", [dict(batch=2, dtype="float32")], configs, TINY)
    plan = harness.Plan([phase], rounds=1, min_time=0.0, max_calls=1, settle_s=0.0, setup_parallel=2)
    results = harness.Suite(plan, str(tmp_path), log=lambda line: None, work_dir=str(tmp_path)).run()
    assert results["skipped"] == []
    rows = {(r["config"], r["dtype"]): r for r in results["records"]}
    assert set(rows) == {(c.name, d) for c in configs for d in (c.dtypes or ("float32",))}
    scale = rows[("keras_vit/tf", "float32")]["logit_scale"]
    assert scale > 0.1
    for name in sorted({c.name for c in configs} - {"keras_vit/tf"}):
        # float32: the same function (timm's exact GELU aside); int8: quantised, off by more, but still close.
        assert rows[(name, "float32")]["max_abs_diff_tanh_gelu"] < 1e-5
        assert 1e-4 < rows[(name, "int8")]["max_abs_diff_tanh_gelu"] < 0.25 * scale
        assert rows[(name, "int8")]["info"]["build_s"] >= 0
    if ("timm/onnxruntime", "float32") in rows:
        assert rows[("timm/onnxruntime", "float32")]["max_abs_diff"] > 1e-4  # timm as shipped: exact GELU
    assert rows[("keras_vit/onnx", "int8")]["info"]["precision"] == "int8"
    for dtype in ("float32", "int8"):  # each export made in a child process, the worker keeps the runtime only
        info = rows[("keras_vit/onnx", dtype)]["info"]
        assert info["convert_pid"] != info["worker_pid"]
        assert info["flops_per_image"] > 0
    assert os.path.exists(tmp_path / "tiny.npz")
