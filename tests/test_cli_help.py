"""`keras-vit --help` imports no framework; TensorFlow's start-up log lines stay off the terminal unless asked."""

import os
import subprocess
import sys

import pytest

from keras_vit.commands.common import RECIPE_NAMES

HEAVY = ("tensorflow", "jax", "torch", "keras")

# Runs the `keras-vit` entry point in a fresh interpreter, then lists the heavy packages it imported.
_WRAPPER = """
import sys
sys.argv[0] = "/usr/local/bin/keras-vit"  # as the console script runs: keras_vit/__init__.py reads it
from keras_vit.cli import console
try:
    code = console(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
print("IMPORTED", sorted({m.split(".")[0] for m in sys.modules} & set(HEAVY)))
sys.exit(code)
""".replace("HEAVY", repr(HEAVY))

# The start-up lines of TensorFlow (and XLA) that the quiet default keeps off stderr.
NOISE = (
    "All log messages before absl::InitializeLog()",
    "oneDNN custom operations are on",
    "cudart_stub",
    "Could not find cuda drivers",
    "cpu_feature_guard",
    "rebuild TensorFlow",
    "XLA service",
    "Compiled cluster using XLA",
)


def _environment(**extra):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("TF_CPP_MIN_LOG_LEVEL", "GLOG_minloglevel", "KERAS_VIT_VERBOSE")
    }
    env.update(extra)
    return env


def _keras_vit(*argv, **env):
    return subprocess.run(
        [sys.executable, "-c", _WRAPPER, *argv], capture_output=True, text=True, env=_environment(**env), timeout=300
    )


@pytest.mark.parametrize(
    "argv", [("--help",), ("train", "--help"), ("predict", "--help"), ("export", "--help"), ("pretrain-mpp", "--help")]
)
def test_help_imports_no_framework(argv):
    result = _keras_vit(*argv)
    assert result.returncode == 0, result.stderr
    assert "usage: keras-vit" in result.stdout
    assert "IMPORTED []" in result.stdout, result.stdout.splitlines()[-1]


def test_the_names_in_help_are_the_recipes():
    from keras_vit.training.recipes import RECIPES

    assert sorted(RECIPE_NAMES) == sorted(RECIPES)


def test_startup_logs_only_with_verbose(tmp_path):
    # `convert` of a missing checkpoint imports Keras (and so TensorFlow) and fails fast with exit 2.
    argv = ("convert", str(tmp_path / "missing.npz"), str(tmp_path / "out.keras"))
    quiet = _keras_vit(*argv, KERAS_BACKEND="tensorflow")
    assert quiet.returncode == 2 and "IMPORTED" in quiet.stdout and "tensorflow" in quiet.stdout
    assert "keras-vit convert: error: No weights file at this path" in quiet.stderr  # real errors still pass
    assert [line for line in quiet.stderr.splitlines() if any(n in line for n in NOISE)] == []

    for verbose in (
        _keras_vit("--verbose", *argv, KERAS_BACKEND="tensorflow"),
        _keras_vit(*argv, KERAS_BACKEND="tensorflow", KERAS_VIT_VERBOSE="1"),
    ):
        assert verbose.returncode == 2
        # What TensorFlow prints on this machine: the oneDNN notice on x86 builds, the CUDA stub without a GPU.
        assert "oneDNN custom operations are on" in verbose.stderr or "cudart_stub" in verbose.stderr


def test_user_settings_are_kept():
    wrapper = "import os\nfrom keras_vit import cli\ncli.quiet_environment()\nprint(os.environ['TF_CPP_MIN_LOG_LEVEL'])"
    run = lambda **env: subprocess.run(  # noqa: E731
        [sys.executable, "-c", wrapper], capture_output=True, text=True, env=_environment(**env), check=True
    ).stdout.strip()
    assert run(TF_CPP_MIN_LOG_LEVEL="0") == "0"
    assert run() == "1"


def test_onednn_is_left_alone():
    from keras_vit import cli

    assert "TF_ENABLE_ONEDNN_OPTS" not in cli.QUIET_ENVIRONMENT
