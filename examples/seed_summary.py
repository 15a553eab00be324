"""What the example scripts report of runs repeated over seeds: "mean ± std" cells, and a JSON of every figure."""

import json

import numpy as np


def mean_std(values, scale=100, digits=2):
    """ "mean ± std" of `values` × `scale` (default: fractions in percent); the population std over the seeds,
    the mean alone for one value."""
    values = scale * np.asarray(values, dtype=float)
    return f"{values.mean():.{digits}f}" + (f" ± {values.std():.{digits}f}" if len(values) > 1 else "")


def write_record(path, record):
    """`record` as JSON at `path`; NumPy numbers written as plain floats."""
    with open(path, "w") as f:
        json.dump(record, f, indent=2, default=float)
    return path
