"""`BestModelCheckpoint`: `best.keras`, the model of the best validation epoch so far, written atomically.

Keras's `ModelCheckpoint(save_best_only=True)` writes the file in place, so a run killed while it saves leaves a
half-written `best.keras`; this callback writes it beside the target and renames (`keras_vit.training.atomic`).
"""

import math

import keras

from keras_vit.training import atomic


class BestModelCheckpoint(keras.callbacks.Callback):
    """Saves the model to `path` after each epoch whose `monitor` beats every earlier one (`mode` "max" or "min")."""

    def __init__(self, path, monitor="val_accuracy", mode="max"):
        super().__init__()
        if mode not in ("max", "min"):
            raise ValueError(f"`mode` must be 'max' or 'min'. Received: mode={mode!r}")
        self.path, self.monitor, self.mode = path, monitor, mode
        self.best = -math.inf if mode == "max" else math.inf

    def _improves(self, value):
        return value > self.best if self.mode == "max" else value < self.best

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None or not math.isfinite(float(value)) or not self._improves(float(value)):
            return
        self.best = float(value)
        atomic.save_model(self.model, self.path)
