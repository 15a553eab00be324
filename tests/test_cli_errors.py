"""The `keras-vit` executable reports bad input in one line, names the fix, and exits with 2."""

import pytest

from keras_vit import cli
from keras_vit.training import build_model, get_recipe


def test_bad_input_is_one_line_with_exit_code_2(capsys, monkeypatch, tmp_path):
    monkeypatch.delenv("KERAS_VIT_TRACEBACK", raising=False)
    assert cli.console(["export", "--model", "vit_nope", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("keras-vit export: error: Unknown model name.") and "Traceback" not in err
    assert "'vit_b16'" in err and "vit_base_patch16_224" in err
    assert err.count("\n") == 1


def test_traceback_on_request(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_VIT_TRACEBACK", "1")
    with pytest.raises(ValueError, match="Unknown model name"):
        cli.console(["export", "--model", "vit_nope", "--out", str(tmp_path)])


def test_train_lists_the_recipes_small_models_too():
    config = get_recipe("fmnist").__class__(model="vit_nope")
    with pytest.raises(ValueError, match=r"Unknown model name.*'vit_b16'.*small models: \[.*'vit_fmnist'"):
        build_model(config, num_classes=10)
