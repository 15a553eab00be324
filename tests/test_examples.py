"""The experiment scripts of examples/: their pure parts against closed forms, and their `--quick` runs, so that
they cannot rot."""

import importlib.util
import json
import os
import sys

import numpy as np
import pytest

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")


def _example(name):
    if EXAMPLES not in sys.path:  # as when the script runs: its folder first on the path (its sibling imports)
        sys.path.insert(0, EXAMPLES)
    spec = importlib.util.spec_from_file_location(name, os.path.join(EXAMPLES, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_uniform_attention_distance_is_the_grids_mean_pairwise_distance():
    attention_distance = _example("attention_distance")
    # Two cells 4 px apart: the pairs (0, 0), (0, 4), (4, 0), (4, 4) average to 2 px.
    assert attention_distance.uniform_distance((1, 2), (4.0, 4.0)) == pytest.approx(2.0)
    # A 2×2 grid of 1-px cells: each point sees 0, 1, 1 and sqrt(2).
    assert attention_distance.uniform_distance((2, 2), (1.0, 1.0)) == pytest.approx((2 + np.sqrt(2)) / 4)


def test_local_fraction_counts_heads_below_the_threshold_per_layer():
    attention_distance = _example("attention_distance")
    distances = np.array([[1.0, 2.0, 9.0, 10.0], [8.0, 9.0, 10.0, 11.0]])
    assert attention_distance.local_fraction(distances, 5.0).tolist() == [0.5, 0.0]


def test_attention_distance_report_averages_the_seeds(tmp_path, capsys, monkeypatch):
    attention_distance = _example("attention_distance")
    monkeypatch.setattr(sys, "argv", ["attention_distance.py"])
    local, far = np.full((2, 4), 1.0), np.full((2, 4), 20.0)  # every head local (1 px) / none (20 px > 7.2)
    far[0, 0] = 3.0  # one local head of four in layer 1
    Run = attention_distance.Run
    results = {
        "ViT": [Run(0.80, 3, local, [far, local]), Run(0.90, 3, far, [far, local, far])],
        "hybrid": [Run(0.85, 3, far, [far, far]), Run(0.87, 4, far, [far, far])],
    }
    fractions = attention_distance.report(results, str(tmp_path))
    np.testing.assert_allclose(fractions["ViT"], [(1 + 0.25) / 2, 0.5])
    np.testing.assert_allclose(fractions["hybrid"], [0.25, 0.0])
    out = capsys.readouterr().out
    assert "ViT: test accuracy 85.00 ± 5.00 % after 3/3 epochs (2 seeds)" in out
    assert "hybrid: test accuracy 86.00 ± 1.00 % after 3/4 epochs (2 seeds)" in out
    # Layer 1: local fractions 1 and 0.25 (ViT), 0.25 twice (hybrid); closest heads 1 and 3 px (ViT), 3 px (hybrid).
    assert "| 1 | 0.62 ± 0.38 | 0.25 ± 0.00 | 2.0 ± 1.0 / 8.4 ± 7.4 | 3.0 ± 0.0 / 15.8 ± 0.0 |" in out
    assert "| 2 | 0.50 ± 0.50 | 0.00 ± 0.00 | 10.5 ± 9.5 / 10.5 ± 9.5 | 20.0 ± 0.0 / 20.0 ± 0.0 |" in out
    # By epoch, over the epochs every run has (2): closest head and mean of all heads, averaged over the seeds.
    # `far`'s 8 heads: one at 3 px, seven at 20 px: mean (3 + 7 * 20) / 8 = 17.875; `local`'s all at 1 px.
    assert "| 1 | 3.0 / 17.9 | 3.0 / 17.9 |" in out
    assert "| 2 | 1.0 / 1.0 | 3.0 / 17.9 |" in out
    assert "| 3 |" not in out.split("After each epoch")[1]
    assert (tmp_path / "attention_distance.png").stat().st_size > 0


@pytest.mark.tf_only
@pytest.mark.slow
def test_attention_distance_quick_run(tmp_path, capsys):
    from keras_vit.analysis.distance import read_distance_csv

    attention_distance = _example("attention_distance")
    assert attention_distance.main(["--quick", "--images", "8", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for name in attention_distance.MODELS.values():
        distances = read_distance_csv(tmp_path / f"attention_distance_{name}.csv")
        assert distances.shape == (4, 4) and np.isfinite(distances).all()
        # Every head's mean distance lies between attending to itself (0) and the farthest pair of cells.
        assert (distances >= 0).all() and (distances <= np.hypot(24, 24)).all()
    assert (tmp_path / "attention_distance.png").stat().st_size > 0
    assert "| layer | ViT: local heads | hybrid: local heads |" in out
    assert "| 1 | " in out.split("After each epoch")[1]  # the callback measured the heads after the epoch


def test_data_size_spearman_matches_scipy_with_ties():
    from scipy import stats

    data_size = _example("data_size")
    a = [0.41, 0.37, 0.37, 0.51, 0.2, 0.9]
    b = [0.10, 0.15, 0.14, 0.10, 0.3, 0.8]
    assert data_size.spearman(a, b) == pytest.approx(stats.spearmanr(a, b).statistic, abs=1e-12)
    assert data_size.spearman([1, 2, 3], [30, 20, 10]) == pytest.approx(-1.0)


def test_data_size_subsets_are_nested_and_keep_validation_apart():
    from keras_vit.data import Data

    data_size = _example("data_size")
    x = np.arange(100, dtype="float32").reshape(100, 1, 1, 1)
    data = Data((x, np.arange(100) % 10), None, (x[:5], np.zeros(5)), 10, (1, 1, 1), None, "toy")
    small, large = (data_size.subset(data, n, seed=3, val_size=20) for n in (10, 40))
    assert small.train[0].shape == (10, 1, 1, 1) and large.train[0].shape == (40, 1, 1, 1)
    np.testing.assert_array_equal(large.train[0][:10], small.train[0])  # nested: the first 10 of the 40
    assert not set(large.train[0].ravel()) & set(large.val[0].ravel())  # validation never trained on
    assert set(data_size.subset(data, 10, seed=4).train[0].ravel()) != set(small.train[0].ravel())
    with pytest.raises(ValueError, match="exceed the 100 available"):
        data_size.subset(data, 90, seed=0, val_size=20)


def test_data_size_schedule_caps_images_seen_and_epochs():
    data_size = _example("data_size")
    # 1,000 images: 15 passes (15,000 images) fit under 20,000 — 118 batches of 128, as one Keras epoch.
    assert data_size.schedule_for(1000, 128, 15, 20_000) == (1, 118)
    # 3,000 images: 15 passes would be 45,000, so 20,000 images: 157 batches.
    assert data_size.schedule_for(3000, 128, 15, 20_000) == (1, 157)
    # 60,000 images: 20,000 images seen are a third of a pass, so one pass, 469 batches.
    assert data_size.schedule_for(60_000, 128, 15, 20_000) == (1, 469)
    assert data_size.schedule_for(10_000, 100, 15, 20_000) == (1, 200)


def test_data_size_close_points_and_aggregate():
    data_size = _example("data_size")
    assert data_size.close_pairs({"a": 0.800, "b": 0.805, "c": 0.900}, 1.0) == {"a", "b"}
    assert data_size.close_pairs({"a": 0.800, "b": 0.811}, 1.0) == set()
    rows = [dict(model="a", size=10, test_accuracy=v) for v in (0.5, 0.7)] + [
        dict(model="b", size=10, test_accuracy=0.4)
    ]
    mean, std, seeds = data_size.aggregate(rows)[("a", 10)]
    assert (mean, seeds) == (pytest.approx(0.6), 2) and std == pytest.approx(0.1)
    assert data_size.aggregate(rows)[("b", 10)] == (pytest.approx(0.4), 0.0, 1)


@pytest.mark.tf_only
@pytest.mark.slow
def test_data_size_quick_run(tmp_path, capsys):
    import csv

    data_size = _example("data_size")
    models = ["bit_fmnist_s2", "vit_fmnist", "vit_fmnist_hybrid", "deit_fmnist_distilled"]
    assert data_size.main(["--quick", "--models", *models, "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    rows = list(csv.DictReader(open(tmp_path / "data_size.csv")))
    assert [r["model"] for r in rows] == models and {r["size"] for r in rows} == {"500"}
    # The distilled student was trained against the ResNet of the same images (its teacher file exists).
    assert (tmp_path / "bit_fmnist_s2-n500-s0" / "model.keras").exists() and rows[-1]["fewshot_5"] == ""
    fewshot = [r for r in rows if r["fewshot_5"]]
    rho = data_size.spearman([float(r["fewshot_5"]) for r in fewshot], [float(r["test_accuracy"]) for r in fewshot])
    assert f"{len(fewshot)} runs: {rho:.3f}" in out
    assert (tmp_path / "data_size.png").stat().st_size > 0
    assert (tmp_path / "data_size_fewshot.png").stat().st_size > 0


def test_data_size_report_reads_a_finished_runs_csv_back_without_training(tmp_path, capsys, monkeypatch):
    from scipy import stats

    data_size = _example("data_size")
    monkeypatch.setattr(data_size, "register_models", lambda: pytest.fail("--report must not train"))
    runs = [  # (model, size, seed, test accuracy, 5-shot)
        ("bit_fmnist_s2", 1000, 0, 0.80, 0.70),
        ("bit_fmnist_s2", 1000, 1, 0.84, 0.74),
        ("vit_fmnist", 1000, 0, 0.60, 0.55),
        ("vit_fmnist", 1000, 1, 0.62, 0.50),
        ("bit_fmnist_s2", 3000, 0, 0.85, 0.80),
        ("vit_fmnist", 3000, 0, 0.70, 0.65),
        ("deit_fmnist_distilled", 3000, 0, 0.72, None),
    ]
    rows = [
        dict(model=m, size=n, seed=s, lr=0.003, epochs=2, steps=8, test_accuracy=a, fewshot_5=f, train_time_s=1.5)
        for m, n, s, a, f in runs
    ]
    path = data_size.write_csv(rows, str(tmp_path / "run.csv"))
    assert data_size.read_csv(path) == rows  # typed as recorded, the missing few-shot score None
    assert data_size.main(["--report", path, "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "| model | 1,000 | 3,000 |" in out
    assert "| ResNet (BiT) (`bit_fmnist_s2`) | 82.00 ± 2.00 (2) | 85.00 |" in out
    assert "| ViT small (`vit_fmnist`) | 61.00 ± 1.00 (2) | 70.00 |" in out
    assert "| DeiT distilled (`deit_fmnist_distilled`) | — | 72.00 |" in out
    fewshot = [(a, f) for _, _, _, a, f in runs if f is not None]
    rho = stats.spearmanr([f for _, f in fewshot], [a for a, _ in fewshot]).statistic
    assert f"{len(fewshot)} runs: {rho:.3f}" in out
    assert (tmp_path / "out" / "data_size_fewshot.png").stat().st_size > 0


def test_data_size_report_refuses_a_csv_of_something_else(tmp_path):
    data_size = _example("data_size")
    (tmp_path / "other.csv").write_text("name,accuracy\nx,0.5\n")
    with pytest.raises(ValueError, match="is not a data_size.csv: it needs the columns model, size"):
        data_size.main(["--report", str(tmp_path / "other.csv")])


def _toy_data(n):
    """`n` blank 2×2 training images of two classes and 3 test images, for `data_size.measure` with a fake `train`."""
    from keras_vit.data import Data

    return Data(
        (np.zeros((n, 2, 2, 1)), np.arange(n) % 2), None, (np.zeros((3, 2, 2, 1)), [0, 1, 0]), 2, (2, 2, 1), None, "toy"
    )


def _measure_args(tmp_path, **settings):
    """`data_size.measure`'s arguments for a toy run in `tmp_path`: tiny sizes and batches, no resume."""
    import argparse

    defaults = dict(seeds=1, seeds_max_size=10, quick=False, resume=False, batch_size=4, max_epochs=2)
    defaults.update(images_seen=100, sweep_size=10, close=1.0, out=str(tmp_path))
    return argparse.Namespace(**dict(defaults, **settings))


def test_data_size_distilled_sweep_learns_from_the_resnet_sweep_at_its_chosen_rate(tmp_path, monkeypatch):
    """Every run's teacher is the ResNet trained on the same images: in the sweep, the ResNet's sweep run at the
    rate its sweep chose (validation accuracy, here a fake that prefers 3e-3 for the ResNet and 1e-3 for the ViT)."""
    import types

    data_size = _example("data_size")
    calls = []

    def fake_train(recipe, data, model, name, lr, teacher, **kwargs):
        calls.append(dict(model=model, name=name, lr=lr, teacher=teacher, test=len(data.test[0])))
        best = 3e-3 if model == data_size.TEACHER else 1e-3
        return types.SimpleNamespace(test_accuracy=0.9 if lr == best else 0.5, fewshot={}, train_time_s=1.0)

    monkeypatch.setattr(data_size, "train", fake_train)
    n = 10 + data_size.SWEEP_VAL
    data = _toy_data(n)
    args = _measure_args(tmp_path, models=[data_size.TEACHER, data_size.DISTILLED], lrs=[1e-3, 3e-3], sizes=[10])
    rows, lrs = data_size.measure(data, args)
    assert lrs == {data_size.TEACHER: 3e-3, data_size.DISTILLED: 1e-3}
    sweep = [c for c in calls if c["model"] == data_size.DISTILLED and "-lr" in c["name"]]
    want = os.path.join(str(tmp_path), f"{data_size.TEACHER}-n10-s0-lr0.003", "model.keras")
    assert [c["teacher"] for c in sweep] == [want, want]
    # A sweep run is scored on the held-out images, which take the test split's place; a recorded run is not.
    assert {c["test"] for c in calls if "-lr" in c["name"]} == {data_size.SWEEP_VAL}
    recorded = [c for c in calls if "-lr" not in c["name"]]
    assert [c["teacher"] for c in recorded] == [
        None,
        os.path.join(str(tmp_path), f"{data_size.TEACHER}-n10-s0", "model.keras"),
    ]
    assert {c["test"] for c in recorded} == {3} and [r["lr"] for r in rows] == [3e-3, 1e-3]


def test_data_size_extra_seeds_only_for_close_points_up_to_the_largest_size_named(tmp_path, monkeypatch):
    import types

    data_size = _example("data_size")
    calls = []

    def fake_train(recipe, data, model, name, lr, seed, **kwargs):
        calls.append((model, len(data.train[0]), seed))
        # vit_fmnist and vit_fmnist_large within a point of each other, the ResNet far ahead.
        accuracy = {"bit_fmnist_s2": 0.9, "vit_fmnist": 0.70, "vit_fmnist_large": 0.705}[model]
        return types.SimpleNamespace(test_accuracy=accuracy, fewshot={5: 0.5}, train_time_s=1.0)

    monkeypatch.setattr(data_size, "train", fake_train)
    n = 40
    data = _toy_data(n)
    args = _measure_args(
        tmp_path, models=["bit_fmnist_s2", "vit_fmnist", "vit_fmnist_large"], lrs=[3e-3], sizes=[10, 20], seeds=3
    )
    data_size.measure(data, args)
    extra = sorted(call for call in calls if call[2] > 0)
    assert extra == [(m, 10, s) for m in ("vit_fmnist", "vit_fmnist_large") for s in (1, 2)]
    assert sorted(call for call in calls if call[2] == 0) == sorted(
        (m, size, 0) for m in args.models for size in (10, 20)
    )


def test_data_size_resume_reads_back_only_runs_of_the_same_schedule(tmp_path):
    import json

    data_size = _example("data_size")
    run = tmp_path / "vit_fmnist-n1000-s0"
    run.mkdir()
    saved = dict(
        config=dict(lr=3e-3, epochs=20, steps_per_epoch=8),
        test_accuracy=0.81,
        fewshot={"5shot": 0.7},
        train_time_s=12.5,
    )
    (run / "results.json").write_text(json.dumps(saved))
    done = data_size.finished_run(str(tmp_path), "vit_fmnist-n1000-s0", 3e-3, 20, 8)
    assert (done.test_accuracy, done.fewshot, done.train_time_s) == (0.81, {5: 0.7}, 12.5)
    assert data_size.finished_run(str(tmp_path), "vit_fmnist-n1000-s0", 1e-3, 20, 8) is None
    assert data_size.finished_run(str(tmp_path), "vit_fmnist-n1000-s0", 3e-3, 10, 8) is None
    assert data_size.finished_run(str(tmp_path), "vit_fmnist-n3000-s0", 3e-3, 20, 8) is None


def test_compute_efficiency_pareto_front_drops_dominated_models():
    ce = _example("compute_efficiency")
    points = [(4.0, 0.80), (1.0, 0.70), (2.0, 0.65), (8.0, 0.90), (8.0, 0.85), (16.0, 0.88)]
    assert ce.pareto_front(points) == [(1.0, 0.70), (4.0, 0.80), (8.0, 0.90)]


def test_compute_efficiency_interpolates_in_log_compute():
    ce = _example("compute_efficiency")
    front = [(1.0, 0.70), (4.0, 0.80), (8.0, 0.90)]
    assert ce.compute_at(front, 0.75) == pytest.approx(2.0)  # halfway in accuracy: the geometric mean of 1 and 4
    assert ce.compute_at(front, 0.80) == pytest.approx(4.0)
    assert ce.compute_at(front, 0.875) == pytest.approx(4.0 * 2**0.75)
    assert ce.compute_at(front, 0.70) == pytest.approx(1.0)
    assert ce.compute_at(front, 0.95) is None and ce.compute_at(front, 0.60) is None


def test_compute_efficiency_ratio_of_a_resnet_front_twice_as_costly():
    ce = _example("compute_efficiency")
    vit = [dict(family="ViT", train_tflops=c, test_accuracy=a) for c, a in [(1.0, 0.70), (4.0, 0.80), (3.0, 0.60)]]
    resnet = [dict(family="ResNet", train_tflops=c, test_accuracy=a) for c, a in [(2.0, 0.75), (8.0, 0.85)]]
    ratios = ce.compute_ratios(vit + resnet)
    # Common accuracies: 0.75 (ResNet's point; ViT at sqrt(1 · 4) = 2) and 0.80 (ViT's; ResNet at sqrt(2 · 8) = 4).
    assert [r[0] for r in ratios] == [0.75, 0.80]
    assert [r[1:] for r in ratios] == [pytest.approx((2.0, 2.0, 1.0)), pytest.approx((4.0, 4.0, 1.0))]
    cheaper = [dict(r, train_tflops=r["train_tflops"] / 2) for r in vit]
    assert [r[3] for r in ce.compute_ratios(cheaper + resnet)] == pytest.approx([2.0, 2.0])
    assert ce.compute_ratios(vit) == []


@pytest.mark.tf_only
@pytest.mark.slow
def test_compute_efficiency_quick_run(tmp_path, capsys):
    import json

    ce = _example("compute_efficiency")
    from keras_vit.models.flops import count_flops

    models = ["vit_fmnist_p7_w32", "bit_fmnist_s2_111_w0p5"]
    assert ce.main(["--quick", "--families", "ViT", "ResNet", "--models", *models, "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    rows = json.load(open(tmp_path / "compute_efficiency.json"))["rows"]
    assert [(r["model"], r["family"]) for r in rows] == list(zip(models, ["ViT", "ResNet"]))
    # bit_fmnist_s2's 33.4 MFLOPs; two units per stage and width ×1 cost more.
    assert rows[1]["forward_gflops"] == pytest.approx(0.0334, abs=1e-4)
    flops = [count_flops(ce.bit_at(blocks, width)[1]()) for blocks, width in ce.RESNETS]
    assert flops[0] == pytest.approx(1e9 * rows[1]["forward_gflops"]) and flops[0] < flops[1] < flops[2]
    assert all(r["images_seen"] == 20 * 128 for r in rows)
    ratios = ce.compute_ratios(rows)
    if ratios:
        assert all(f"| {a:.4f} | {v:.2f} | {r:.2f} | {q:.2f} |" in out for a, v, r, q in ratios)
    else:
        assert "span no common accuracy" in out
    assert (tmp_path / "compute_efficiency.png").stat().st_size > 0


def test_posemb_table_gives_mean_and_population_std_over_seeds():
    ablation = _example("posemb_ablation")
    shots = {k: 0.5 for k in ablation.SHOTS}
    runs = {
        "none": [(100, 0.80, shots, 10.0), (100, 0.84, {**shots, 5: 0.7}, 20.0)],
        "learned": [(120, 0.9, shots, 5.0)],
    }
    none, learned = ablation.table(runs)
    # mean 82 %, population std 2 %; 5-shot mean 60 ± 10; the time is the mean.
    assert none.startswith("| `none` | 100 | 82.00 ± 2.00 | 50.00 ± 0.00 | 60.00 ± 10.00 |") and "| 15 |" in none
    assert "No Pos. Emb. 0.614" in none
    assert learned.startswith("| `learned` | 120 | 90.00 | 50.00 |") and "±" not in learned


@pytest.mark.tf_only
@pytest.mark.slow
def test_posemb_ablation_quick_run(tmp_path, capsys):
    ablation = _example("posemb_ablation")
    assert ablation.main(["--quick", "--posembs", "none", "relative", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("| `")]
    assert [row.split("`")[1] for row in rows] == ["none", "relative"] and "seeds 0 (mean ± std, %)" in out
    # Relative attention adds a learned embedding per token offset in every block; "none" adds nothing.
    params = [int(row.split("|")[2].replace(",", "")) for row in rows]
    assert params[1] > params[0]
    # The JSON holds each seed's figures, the ones the table averages.
    record = json.loads((tmp_path / "posemb_ablation.json").read_text())
    assert record["seeds"] == [0] and [run[0]["params"] for run in record["runs"].values()] == params
    assert [f"{100 * run[0]['test_accuracy']:.2f}" for run in record["runs"].values()] == [
        row.split("|")[3].strip() for row in rows
    ]
    assert (tmp_path / "posemb_ablation.png").stat().st_size > 0


@pytest.mark.tf_only
@pytest.mark.slow
def test_masked_patch_prediction_quick_run(tmp_path, capsys):
    mpp = _example("masked_patch_prediction")
    assert mpp.main(["--quick", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "| random init |" in out and "| MPP pre-trained |" in out
    for run in ("full_scratch-seed0", "small_mpp-seed0"):
        assert (tmp_path / run / "results.json").exists()
    assert mpp.mean_std([0.5, 0.7]) == "60.00 ± 10.00" and mpp.mean_std([0.5]) == "50.00"
    assert (tmp_path / "masked_patch_prediction.png").stat().st_size > 0
    record = json.loads((tmp_path / "masked_patch_prediction.json").read_text())
    table = out[out.index("| encoder |") :]
    # --resume trains nothing: it reads every run back and prints the same table.
    assert mpp.main(["--quick", "--out", str(tmp_path), "--resume"]) == 0
    again = capsys.readouterr().out
    assert "Epoch" not in again and again.count("read back") == 5  # the pre-training and the four fine-tunings
    assert again[again.index("| encoder |") :].split("Figure:")[0] == table.split("Figure:")[0]
    assert (
        json.loads((tmp_path / "masked_patch_prediction.json").read_text())["test_accuracy"]
        == (record["test_accuracy"])
    )
    # A run of other settings is not the one asked for: it trains again.
    results = tmp_path / "small_mpp-seed0" / "results.json"
    saved = json.loads(results.read_text())
    results.write_text(json.dumps(dict(saved, config=dict(saved["config"], epochs=2))))
    assert mpp.main(["--quick", "--out", str(tmp_path), "--resume"]) == 0
    assert capsys.readouterr().out.count("read back") == 4
    assert json.loads(results.read_text())["config"]["epochs"] == 1


@pytest.mark.tf_only
@pytest.mark.slow
def test_hybrid_vs_vit_quick_run(tmp_path, capsys):
    hybrid = _example("hybrid_vs_vit")
    assert hybrid.main(["--quick", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "vit_fmnist_p7" in out and "hybrid_fmnist" in out
    record = json.loads((tmp_path / "hybrid_vs_vit.json").read_text())
    for name, run in record.items():
        # One point per epoch trained, at the training time then, with the epoch's validation accuracy.
        assert len(run["epoch_ends"]) == run["epochs"] == 1
        seconds, accuracy = run["epoch_ends"][0]["train_s"], run["epoch_ends"][0]["val_accuracy"]
        assert 0 < seconds and 0 <= accuracy <= 1
        assert f"| `{name}` | {run['params']:,} | {run['mmacs']:.1f} | {run['test_accuracy']:.4f} |" in out
    assert (tmp_path / "hybrid_vs_vit.png").stat().st_size > 0


def test_xla_is_chosen_on_a_cpu_without_avx512_only():
    from keras_vit.deploy.cpu import cpu_features

    xla_choice = _example("xla_choice")
    avx2 = cpu_features("model name\t: AMD EPYC\nflags\t\t: fpu sse avx avx2 fma\n")
    avx512 = cpu_features("model name\t: AMD EPYC\nflags\t\t: fpu avx2 avx512f avx512_vnni avx512_bf16\n")
    assert xla_choice.xla_pays(avx2) is True
    assert xla_choice.xla_pays(avx512) is False
    assert xla_choice.use_xla(quick=False, features=avx2) is True
    assert xla_choice.use_xla(quick=True, features=avx2) is False  # a smoke run's few steps never compile
    assert xla_choice.use_xla(quick=False, features=avx512) is False
