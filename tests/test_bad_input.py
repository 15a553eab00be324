"""The table of bad input: every case ends in one line that names the problem and the fix, and exit status 2.

Each row is `(case id, argv, what the error must say)`. `README.md`'s "Errors" section lists the same cases
(checked below), so the table a user reads is the one that is tested. The model and checkpoint cases of the
Python API are in tests/weights/test_errors.py, the folder dataset's in tests/data/test_folder.py, the exported
signature's inputs in tests/deploy/.
"""

import os
import re

import pytest

from keras_vit import cli

README = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "README.md")
TINY_TRAIN = ["--model", "vit_tiny", "--steps", "1", "--epochs", "1", "--verbose", "0"]

CASES = [
    # train: model, data and numbers
    ("train-unknown-model", ["train", "--model", "vit_nope"], r"Unknown model name.*'vit_b16'"),
    ("train-missing-keras-file", ["train", "--model", "gone.keras"], r"File not found.*gone\.keras"),
    ("train-missing-init-from", ["train", *TINY_TRAIN, "--init-from", "gone.keras"], r"File not found.*gone\.keras"),
    ("train-unknown-recipe", ["train", "--recipe", "nope"], r"recipe.*fmnist"),
    ("train-unknown-dataset", ["train", "--dataset", "imagenet"], r"Unknown dataset.*folder:PATH"),
    ("train-missing-folder", ["train", "--dataset", "folder:gone"], r"image folder does not exist"),
    ("train-missing-data-dir", ["train", "--data-dir", "gone"], r"install Debian's `dataset-fashion-mnist`"),
    ("train-unknown-augmentation", ["train", "--augment", "bogus"], r"Unknown augmentation.*'crop'"),
    ("train-zero-epochs", ["train", "--epochs", "0"], r"`epochs` must be at least 1"),
    ("train-zero-batch", ["train", "--batch-size", "0"], r"`batch_size` must be at least 1"),
    ("train-zero-steps", ["train", "--steps", "0"], r"`steps_per_epoch` must be at least 1"),
    ("train-negative-lr", ["train", "--lr", "-0.1"], r"`lr` must be > 0"),
    ("train-negative-weight-decay", ["train", "--weight-decay", "-1"], r"`weight_decay` must be >= 0"),
    ("train-label-smoothing-one", ["train", "--label-smoothing", "1"], r"`label_smoothing` must be in \[0, 1\)"),
    ("train-zero-time-budget", ["train", "--time-budget-min", "0"], r"`time_budget_min` must be > 0"),
    ("train-holdout-one", ["train", "--holdout", "1"], r"`holdout` must be a fraction in \(0, 1\)"),
    ("train-name-is-a-path", ["train", "--name", "../elsewhere"], r"plain folder name.*--out"),
    ("train-val-size-too-large", ["train", *TINY_TRAIN, "--val-size", "70000"], r"`val_size` must leave training"),
    ("train-image-size-not-divisible", ["train", *TINY_TRAIN, "--image-size", "30"], r"divisible by the patch"),
    ("train-bad-mixed-precision", ["train", "--mixed-precision", "int4"], r"invalid choice: 'int4'"),
    # export
    ("export-unknown-model", ["export", "--model", "vit_nope", "--out", "out"], r"Unknown model name"),
    ("export-unknown-format", ["export", "--format", "tflite2"], r"invalid choice: 'tflite2'"),
    (
        "export-precision-the-format-lacks",
        ["export", "--model", "vit_tiny", "--out", "out", "--precision", "int8"],
        r"int8.*format",
    ),
    # predict
    ("predict-missing-image", ["predict", "gone.jpg", "--model", "vit_tiny"], r"Image file not found"),
    ("predict-zero-top", ["predict", "x.jpg", "--model", "vit_tiny", "--top", "0"], r"`--top` must be at least 1"),
    (
        "predict-missing-class-names",
        ["predict", "x.jpg", "--model", "vit_tiny", "--class-names", "gone.txt"],
        r"`--class-names` file not found",
    ),
    ("predict-not-an-image", ["predict", "text.jpg", "--model", "vit_tiny"], r"text\.jpg"),
    # fewshot, analyze, convert
    ("fewshot-missing-model", ["fewshot", "--model", "gone.keras"], r"File not found.*gone\.keras"),
    ("fewshot-unknown-dataset", ["fewshot", "--model", "vit_tiny", "--dataset", "nope"], r"Unknown dataset"),
    ("analyze-missing-images", ["analyze", "--model", "vit_tiny", "--images", "gone"], r"`--images` must be a folder"),
    ("convert-missing-checkpoint", ["convert", "gone.npz", "x.keras"], r"gone\.npz"),
]


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KERAS_VIT_TRACEBACK", raising=False)
    (tmp_path / "x.jpg").write_bytes(b"")  # exists; the case is about another argument
    (tmp_path / "text.jpg").write_text("not an image")
    return tmp_path


def _run(argv, capsys):
    try:
        code = cli.console(argv)
    except SystemExit as exit_:  # argparse's own errors (unknown choices)
        code = exit_.code
    return code, capsys.readouterr().err


@pytest.mark.parametrize("case, argv, message", CASES, ids=[case for case, _, _ in CASES])
def test_bad_input_is_one_line_naming_the_fix(workdir, capsys, case, argv, message):
    code, err = _run(argv, capsys)
    assert code == 2, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err
    assert re.search(message, lines[-1]), lines[-1]
    assert lines[-1].startswith(f"keras-vit {argv[0]}: error: "), lines[-1]
    if "invalid choice" not in message:  # argparse prints its usage first; ours is the error line alone
        assert len(lines) == 1, err


def test_the_readme_lists_every_case():
    with open(README, encoding="utf-8") as f:
        text = f.read()
    section = text[text.index("## Errors") :]
    section = section[: section.index("\n## ", 4)] if "\n## " in section[4:] else section
    missing = [case for case, _, _ in CASES if f"`{case}`" not in section]
    assert not missing, f"README's Errors section lacks {missing}"
