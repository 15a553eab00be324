"""The time budget's epoch planning, driven by a fake clock (no real training, no timing dependence)."""

import types

import pytest

from keras_vit.training.recipes import WarmupDecay
from keras_vit.training.time_budget import TimeBudget, epochs_within


def test_epochs_within_closed_form():
    # 100 s per epoch, 450 s left after epoch 0: 1 + 4 more epochs.
    assert epochs_within(0, 100.0, 450.0, None, 20) == 5
    assert epochs_within(0, 100.0, 450.0, None, 3) == 3  # capped at max_epochs
    assert epochs_within(0, 100.0, -5.0, None, 20) == 1  # budget spent: stop after this epoch
    # Shrinks at any epoch...
    assert epochs_within(7, 100.0, 50.0, 10, 20) == 8
    # ... grows only in the first half of the planned run, and never past max_epochs.
    assert epochs_within(1, 50.0, 500.0, 6, 20) == 12
    assert epochs_within(4, 50.0, 500.0, 6, 20) == 6
    assert epochs_within(1, 10.0, 10_000.0, 6, 20) == 20


class _Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def _run(epoch_lengths, budget_s, max_epochs=20, steps=10, compile_s=0.0, gap_s=0.0):
    """Drives `TimeBudget` through epochs of the given lengths; returns (epochs run, planned totals, schedule)."""
    clock = _Clock()
    schedule = WarmupDecay(1e-3, max_epochs * steps, 0)
    callback = TimeBudget(budget_s, 0.0, 0.0, schedule, steps, max_epochs, clock=clock)
    callback.set_model(types.SimpleNamespace(stop_training=False))
    plans = []
    for epoch, length in enumerate(epoch_lengths):
        callback.on_epoch_begin(epoch)
        clock.now += compile_s if epoch == 0 else 0.0
        clock.now += length / steps
        callback.on_train_batch_end(0)
        clock.now += length * (steps - 1) / steps
        callback.on_epoch_end(epoch)
        plans.append(callback.epochs)
        if callback.model.stop_training:
            return epoch + 1, plans, schedule
        clock.now += gap_s  # the other callbacks' end-of-epoch work
    return len(epoch_lengths), plans, schedule


def test_first_epoch_plan_leaves_compilation_out():
    # 60 s of compilation in the first step, then 100 s epochs, 1000 s budget: 60 + 100·k ≤ 1000 → 9 epochs.
    epochs, plans, schedule = _run([100.0] * 20, 1000.0, compile_s=60.0)
    assert plans[0] == 9 and epochs == 9
    assert schedule.current_total_steps() == 90


def test_slower_epochs_shorten_and_faster_ones_lengthen_the_run():
    # A busy first epoch (200 s) plans 5 of a 1000-s budget; at 50-s epochs the run grows again early on,
    # planned from the mean of the last three epochs: after epoch 1, 750 s left at 125 s → 8 in all; after
    # epoch 2, 700 s at 100 s → 10; after epoch 3, 650 s at 50 s → 17 (200 + 16 · 50 = 1000).
    epochs, plans, schedule = _run([200.0, 50.0, 50.0] + [50.0] * 30, 1000.0)
    assert plans[:4] == [5, 8, 10, 17]
    assert epochs == 17
    assert schedule.current_total_steps() == 170
    # Epochs that slow down late cut the run: after epoch 4, 300 s left at a mean of 167 s → 6 in all.
    epochs, plans, _ = _run([100.0, 100.0, 100.0, 100.0, 300.0, 300.0, 300.0], 1000.0)
    assert plans[0] == 10 and plans[4] == 6 and epochs == 6


def test_work_between_epochs_counts():
    # 90-s epochs with 10 s of checkpointing after each, 1000-s budget. After epoch 0 no gap is known yet:
    # 910 s left at 90 s → 11 in all. After epoch 1 (t = 190) an epoch costs 100 s: 810 s left → 10 in all,
    # which end at 10 · 90 + 9 · 10 = 990 s; 11 would have ended at 1090 s.
    epochs, plans, _ = _run([90.0] * 20, 1000.0, gap_s=10.0)
    assert plans[:2] == [11, 10] and epochs == 10


@pytest.mark.parametrize("budget", [50.0, 99.0])
def test_budget_spent_by_first_epoch(budget):
    epochs, plans, schedule = _run([100.0] * 5, budget)
    assert epochs == 1 and plans == [1] and schedule.current_total_steps() == 10
