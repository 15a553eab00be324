"""The time budget of a run: `TimeBudget` sets the number of epochs from the measured epoch lengths."""

import time

import keras


def epochs_within(epoch, epoch_s, left_s, planned, max_epochs):
    """How many epochs in all fit the time left, decided when `epoch` (0-based) has just ended.

    `epoch_s` is the expected length of an epoch and `left_s` the seconds left for training. The run may shrink
    at any epoch; it grows (up to `max_epochs`) only in the first half of the `planned` epochs, so that a
    late change does not raise an already decayed learning rate much.
    """
    fit = int(epoch + 1 + max(left_s, 0.0) // max(epoch_s, 1e-9))
    cap = max_epochs if planned is None or epoch + 1 <= planned / 2 else planned
    return max(epoch + 1, min(cap, fit))


class TimeBudget(keras.callbacks.Callback):
    """Sets the number of epochs from the measured epoch lengths so that training ends within the budget.

    After the first epoch (its compilation step left out) the run gets as many epochs as fit, at most
    `max_epochs`. After each later epoch the plan is made again from the mean length of the last three
    epochs: it shortens when they ran slower (a busier machine) and, in the first half of the run,
    lengthens when they ran faster (see `epochs_within`). An epoch's length includes the work between
    epochs (the other callbacks' checkpoints and logs): the mean of the last three such gaps is added.
    The schedule's length (a variable of the optimizer, see `WarmupDecay.make_adjustable`) follows, so
    the learning rate still decays to its end value.
    """

    def __init__(self, budget_s, start_time, reserve_s, schedule, steps_per_epoch, max_epochs, clock=time.time):
        super().__init__()
        self.budget_s, self.start_time, self.reserve_s = budget_s, start_time, reserve_s
        self.schedule, self.steps_per_epoch, self.max_epochs = schedule, steps_per_epoch, max_epochs
        self.clock = clock
        self.epochs = None
        self._epoch_start = None
        self._first_batch_end = None
        self._lengths = []
        self._epoch_end = None
        self._gaps = []

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = self.clock()
        if self._epoch_end is not None:
            self._gaps.append(self._epoch_start - self._epoch_end)
        self._first_batch_end = None
        if self.epochs is None and epoch > 0:
            # A resumed run: the length chosen before the interruption was restored with the optimizer.
            self.epochs = round(self.schedule.current_total_steps() / self.steps_per_epoch)

    def on_train_batch_end(self, batch, logs=None):
        if self._first_batch_end is None:
            self._first_batch_end = self.clock()

    def on_epoch_end(self, epoch, logs=None):
        now = self.clock()
        left = self.budget_s - (now - self.start_time) - self.reserve_s
        epoch_s = now - self._epoch_start
        steps = self.steps_per_epoch
        if epoch == 0 and steps > 1 and self._first_batch_end is not None:
            # The first step compiles: the epoch's length is measured from its end (validation included).
            epoch_s = (now - self._first_batch_end) * steps / (steps - 1)
        self._lengths.append(epoch_s)
        epoch_s = sum(self._lengths[-3:]) / len(self._lengths[-3:])
        if self._gaps:
            epoch_s += sum(self._gaps[-3:]) / len(self._gaps[-3:])
        epochs = epochs_within(epoch, epoch_s, left, self.epochs, self.max_epochs)
        if epochs != self.epochs:
            print(
                f"\nTime budget: an epoch takes {epoch_s:.0f} s, {max(left, 0):.0f} s left for training "
                f"→ {epochs} epochs in all",
                flush=True,
            )
            self.epochs = epochs
            self.schedule.set_total_steps(epochs * self.steps_per_epoch)
        if epoch + 1 >= self.epochs:
            self.model.stop_training = True
        self._epoch_end = self.clock()
