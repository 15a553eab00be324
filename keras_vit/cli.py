"""The `keras-vit` command: one sub-command per module in `keras_vit.commands`.

Each command module has a docstring (its description), `HELP` (one line), `add_arguments(parser)`
and `run(args) -> int`; heavy imports stay inside `run` so that `--help` is instant.
"""

import argparse
import importlib
import os
import pkgutil
import sys

from keras_vit import commands


def _command_modules():
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"keras_vit.commands.{info.name}")
        if hasattr(module, "run"):
            yield info.name.replace("_", "-"), module


def build_parser():
    parser = argparse.ArgumentParser(prog="keras-vit", description="Vision Transformers for Keras 3.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module in _command_modules():
        command = sub.add_parser(
            name, help=module.HELP, description=module.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
        )
        module.add_arguments(command)
        command.set_defaults(run=module.run)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
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
