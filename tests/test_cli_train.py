import json
import os

import keras
import numpy as np
import pytest

from keras_vit import cli
from keras_vit.commands.train import config_from_args
from keras_vit.data import fashion_mnist

needs_data = pytest.mark.skipif(
    not os.path.exists(os.path.join(fashion_mnist.DEFAULT_DIR, "train-images-idx3-ubyte.gz")),
    reason="Debian's dataset-fashion-mnist is not installed",
)


def test_help_lists_the_commands_and_flags(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    assert "train" in out and "fewshot" in out and "pretrain-mpp" in out
    with pytest.raises(SystemExit):
        cli.main(["train", "--help"])
    out = capsys.readouterr().out
    for flag in (
        "--recipe",
        "--steps",
        "--epochs",
        "--batch-size",
        "--lr",
        "--strategy",
        "--mixed-precision",
        "--time-budget-min",
        "--data-dir",
        "--dataset",
        "--out",
        "--drop-path",
        "--label-smoothing",
        "--init-from",
    ):
        assert flag in out
    with pytest.raises(SystemExit):
        cli.main(["fewshot", "--help"])
    assert "--shots" in capsys.readouterr().out


def test_flags_override_the_recipe():
    parser = cli.build_parser()
    recipe, config = config_from_args(
        parser.parse_args(["train", "--epochs", "3", "--lr", "0.01", "--augment", "none"])
    )
    assert recipe == "fmnist" and config.epochs == 3 and config.lr == 0.01 and config.augment == ()
    recipe, config = config_from_args(
        parser.parse_args(["train", "--model", "vit_b16", "--weights", "imagenet21k", "--image-size", "384"])
    )
    # Released weights select the paper's fine-tuning recipe.
    assert recipe == "finetune" and config.optimizer == "sgd" and config.global_clipnorm == 1.0
    assert config.image_size == 384 and config.weight_decay == 0.0
    _, config = config_from_args(parser.parse_args(["train", "--mixed-precision", "bfloat16", "--no-jit"]))
    assert config.mixed_precision == "bfloat16" and config.jit_compile is False
    # fmnist-long trains in bfloat16 without XLA; both can be turned back.
    _, config = config_from_args(parser.parse_args(["train", "--recipe", "fmnist-long"]))
    assert config.mixed_precision == "bfloat16" and config.jit_compile is False
    _, config = config_from_args(
        parser.parse_args(["train", "--recipe", "fmnist-long", "--mixed-precision", "none", "--jit"])
    )
    assert config.mixed_precision is None and config.jit_compile is True


@needs_data
def test_one_step_train_then_fewshot(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    argv = ["train", "--steps", "1", "--epochs", "1", "--model", "vit_tiny", "--name", "smoke", "--verbose", "0"]
    argv += ["--fewshot-shots", "1,5", "--fewshot-seeds", "1", "--val-size", "500"]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    run_dir = tmp_path / "runs" / "smoke"
    results = json.loads((run_dir / "results.json").read_text())
    assert results["epochs"] == 1 and results["steps_per_epoch"] == 1
    assert f"Test accuracy: {results['test_accuracy']:.4f}" in out and "Wall time:" in out and str(run_dir) in out
    assert set(results["fewshot"]) == {"1shot", "5shot"}
    for name in ("model.keras", "best.keras", "log.csv"):
        assert (run_dir / name).exists()
    if keras.backend.backend() == "tensorflow":
        assert (run_dir / "saved_model").exists()

    # The few-shot command on the model just written.
    json_path = tmp_path / "fewshot.json"
    argv = ["fewshot", "--model", str(run_dir / "model.keras"), "--shots", "1,5", "--seeds", "1", "--max-test", "500"]
    assert cli.main(argv + ["--json", str(json_path)]) == 0
    accuracies = json.loads(json_path.read_text())
    assert set(accuracies) == {"1shot", "5shot"} and all(0.0 <= v <= 1.0 for v in accuracies.values())
    assert "5-shot" in capsys.readouterr().out
    assert np.isfinite(list(accuracies.values())).all()
