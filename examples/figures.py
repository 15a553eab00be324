"""One figure of the example scripts: `with axes_saved_to(path) as axes: ...` draws it and writes the PNG.

Matplotlib's object API (`matplotlib.figure.Figure`, no pyplot): no display, no global state, nothing to close.
"""

import contextlib


@contextlib.contextmanager
def axes_saved_to(path, figsize=(6.4, 4.4), dpi=120):
    """The axes of a new figure; when the block ends the figure is laid out and saved to `path` (PNG)."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=figsize)
    axes = figure.add_subplot()
    yield axes
    figure.tight_layout()
    figure.savefig(path, dpi=dpi)
