"""Timers for the one-off scripts of `benchmarks/`: windows of calls, mean seconds per call, interleaved rounds.

Imports only the standard library: a script times JAX, PyTorch, TensorFlow or NumPy calls with them, each
call's result waited for by the `sync` the caller passes (`block_until_ready`, `torch.cuda.synchronize`,
`np.asarray`).
"""

import random
import statistics
import time


def time_windows(step, sync, warmup, count, steps, batch):
    """Images/s of `count` windows of `steps` calls of `step()` each, after `warmup` calls.

    Returns `dict(median, min, max, windows)`, the rates in images/s (`batch` images a call).
    """
    for _ in range(warmup):
        step()
    sync()
    rates = []
    for _ in range(count):
        start = time.perf_counter()
        for _ in range(steps):
            step()
        sync()
        rates.append(batch * steps / (time.perf_counter() - start))
    return dict(median=statistics.median(rates), min=min(rates), max=max(rates), windows=rates)


def seconds_per_call(call, sync, calls=10, warmup=1):
    """Mean seconds of `calls` calls of `call()` after `warmup` untimed ones; `sync(result)` waits for a result."""
    for _ in range(warmup):
        sync(call())
    start = time.perf_counter()
    for _ in range(calls):
        result = call()
    sync(result)
    return (time.perf_counter() - start) / calls


def interleaved_seconds(calls, rounds, sync, calls_per_sample=1, warmup_per_sample=0, seed=0):
    """Seconds per call of each of `calls` (name → no-argument callable), sampled in interleaved rounds.

    Every name gets `rounds` samples, taken in one shuffled order (seeded) so that drift in the machine's load
    spreads over all of them; a sample is the mean of `calls_per_sample` calls after `warmup_per_sample` calls.
    Returns name → the list of its samples.
    """
    order = [name for name in calls for _ in range(rounds)]
    random.Random(seed).shuffle(order)
    samples = {name: [] for name in calls}
    for name in order:
        samples[name].append(seconds_per_call(calls[name], sync, calls_per_sample, warmup_per_sample))
    return samples
