"""The benchmark scripts' timers, on a fake clock (no timing dependence)."""

import itertools

from keras_vit.bench import timing


def fake_clock(monkeypatch, step_s):
    ticks = itertools.count()
    monkeypatch.setattr(timing.time, "perf_counter", lambda: next(ticks) * step_s)


def test_windows_are_images_per_second_of_each_window(monkeypatch):
    calls = []
    fake_clock(monkeypatch, 0.5)  # every clock reading is half a second after the last
    rates = timing.time_windows(lambda: calls.append(1), lambda: None, warmup=2, count=3, steps=4, batch=8)
    assert len(calls) == 2 + 3 * 4
    assert rates["windows"] == [8 * 4 / 0.5] * 3 and rates["median"] == rates["min"] == rates["max"] == 64.0


def test_seconds_per_call_leaves_out_the_warmup_and_waits_for_the_last_result(monkeypatch):
    results, waited = iter(range(10)), []
    fake_clock(monkeypatch, 1.0)
    seconds = timing.seconds_per_call(lambda: next(results), waited.append, calls=4, warmup=1)
    assert seconds == 1.0 / 4 and waited == [0, 4]


def test_interleaved_rounds_sample_every_call_the_same_number_of_times():
    counts = {"a": 0, "b": 0}

    def call(name):
        counts[name] += 1

    calls = {name: (lambda name=name: call(name)) for name in counts}
    samples = timing.interleaved_seconds(calls, rounds=3, sync=lambda _: None, calls_per_sample=2, warmup_per_sample=1)
    assert {name: len(s) for name, s in samples.items()} == {"a": 3, "b": 3}
    assert counts == {"a": 9, "b": 9}
