"""The `keras-vit` command: one sub-command per module in `keras_vit.commands`.

Each command module has a docstring (its description), `HELP` (one line), `add_arguments(parser)`
and `run(args) -> int`; Keras, TensorFlow and JAX are imported inside `run`, never at a module's top, so that
`--help` answers at once (`tests/test_cli_help.py` checks it).

TensorFlow's and XLA's start-up INFO lines (oneDNN, CUDA stubs, CPU features, XLA service, compiled
clusters) are kept off the terminal unless `keras-vit --verbose COMMAND` or `KERAS_VIT_VERBOSE=1`:
`TF_CPP_MIN_LOG_LEVEL` / `GLOG_minloglevel` are set before TensorFlow is imported (only where the user has
not set them), and the native INFO lines that absl writes before its logging is initialised, which no
variable reaches, are dropped from the process's stderr while the command runs. Warnings and errors pass, all but
the failed CUDA initialisation of a machine without a GPU.
"""

import argparse
import contextlib
import importlib
import os
import pkgutil
import re
import sys
import threading

from keras_vit import commands

# Hidden: INFO; shown: WARNING and above (TensorFlow's levels: 0 all, 1 no INFO, 2 no WARNING, 3 no ERROR).
# TF_ENABLE_ONEDNN_OPTS is deliberately left alone: it changes numerics, not logging.
QUIET_ENVIRONMENT = {"TF_CPP_MIN_LOG_LEVEL": "1", "GLOG_minloglevel": "1"}

# Native log lines dropped in quiet mode: absl's pre-initialisation notice, INFO lines in absl/glog form
# ("I0000 00:00:1796192513.032738   30896 port.cc:153] ..."), the tail of cpu_feature_guard's message, and the
# failed CUDA initialisation of a machine without a GPU (an error line, but the expected one there).
_NOISE = re.compile(
    rb"^(WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    rb"|I\d{4} \d\d:\d\d:\d+\.\d+ +\d+ [\w.-]+:\d+\] "
    rb"|E\d{4} \d\d:\d\d:\d+\.\d+ +\d+ cuda_[\w.-]+:\d+\] failed call to cuInit"
    rb"|To enable the following instructions: .*rebuild TensorFlow with the appropriate compiler flags)"
)


def _command_modules():
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"keras_vit.commands.{info.name}")
        if hasattr(module, "run"):
            yield info.name.replace("_", "-"), module


def build_parser():
    parser = argparse.ArgumentParser(prog="keras-vit", description="Vision Transformers for Keras 3.")
    parser.add_argument(
        "--verbose",
        action="store_true",
        dest="native_logs",
        help="show TensorFlow's and XLA's start-up log lines (also: KERAS_VIT_VERBOSE=1)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module in _command_modules():
        command = sub.add_parser(
            name, help=module.HELP, description=module.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
        )
        module.add_arguments(command)
        command.set_defaults(run=module.run)
    return parser


def _verbose(args):
    return args.native_logs or os.environ.get("KERAS_VIT_VERBOSE", "").strip().lower() not in ("", "0", "false", "no")


def quiet_environment():
    """Sets `QUIET_ENVIRONMENT`'s variables that the user has not set; effective before TensorFlow is imported."""
    for name, value in QUIET_ENVIRONMENT.items():
        os.environ.setdefault(name, value)


@contextlib.contextmanager
def native_stderr_filtered():
    """File descriptor 2 passes through a filter that drops `_NOISE` lines, for native code's writes too."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (AttributeError, OSError, ValueError):  # no real stderr (an embedding host): nothing to filter
        yield
        return
    read_end, write_end = os.pipe()

    def forward():
        pending = b""
        while chunk := os.read(read_end, 65536):
            # Complete lines (ended by \n or a progress bar's \r) are judged and forwarded; the rest waits.
            *lines, pending = re.split(rb"(?<=[\r\n])", pending + chunk)
            kept = b"".join(line for line in lines if not _NOISE.match(line))
            if kept:
                os.write(saved, kept)
        if pending and not _NOISE.match(pending):
            os.write(saved, pending)
        os.close(read_end)

    thread = threading.Thread(target=forward, name="keras-vit-stderr-filter", daemon=True)
    thread.start()
    os.dup2(write_end, 2)
    os.close(write_end)
    try:
        yield
    finally:
        with contextlib.suppress(Exception):
            sys.stderr.flush()
        os.dup2(saved, 2)  # the pipe's last write end closes (unless a child process still holds it)
        thread.join(timeout=5)
        os.close(saved)


def main(argv=None):
    args = build_parser().parse_args(argv)
    if _verbose(args):
        return args.run(args) or 0
    quiet_environment()
    with native_stderr_filtered():
        return args.run(args) or 0


def console(argv=None):
    """The `keras-vit` executable: `main`, with bad input reported in one line (exit 2) instead of a traceback.

    `KERAS_VIT_TRACEBACK=1` shows the traceback.
    """
    try:
        return main(argv)
    except (ValueError, OSError) as error:
        if os.environ.get("KERAS_VIT_TRACEBACK"):
            raise
        command = next((a for a in (argv if argv is not None else sys.argv[1:]) if not a.startswith("-")), None)
        prog = f"keras-vit {command}" if command else "keras-vit"
        print(f"{prog}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(console())
