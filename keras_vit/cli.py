"""The `keras-vit` command: one sub-command per module in `keras_vit.commands`.

Each command module has a docstring (its description), `HELP` (one line), `add_arguments(parser)`
and `run(args) -> int`; heavy imports stay inside `run` so that `--help` is instant.
"""

import argparse
import importlib
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


if __name__ == "__main__":
    sys.exit(main())
