import math

import keras
import numpy as np
import pytest

from keras_vit.training import recipes
from keras_vit.training.recipes import WarmupDecay, finetune_optimizer, pretrain_optimizer


def _values(schedule, steps):
    return np.array([float(keras.ops.convert_to_numpy(schedule(s))) for s in steps])


def test_cosine_matches_keras_cosine_decay():
    ours = WarmupDecay(3e-3, total_steps=1000, warmup_steps=100, decay="cosine", end_lr=3e-5)
    # An independent implementation: Keras' CosineDecay with linear warm-up (alpha = end / peak).
    theirs = keras.optimizers.schedules.CosineDecay(
        0.0, decay_steps=900, alpha=0.01, warmup_target=3e-3, warmup_steps=100
    )
    steps = [0, 1, 50, 99, 100, 101, 333, 550, 999, 1000, 1200]
    np.testing.assert_allclose(_values(ours, steps), _values(theirs, steps), rtol=1e-5, atol=1e-9)


def test_linear_and_warmup_closed_form():
    s = WarmupDecay(1.0, total_steps=110, warmup_steps=10, decay="linear", end_lr=0.0)
    # warm-up 0 → 1 over 10 steps, then 1 → 0 over 100 steps.
    np.testing.assert_allclose(_values(s, [0, 5, 10, 35, 60, 110, 500]), [0, 0.5, 1.0, 0.75, 0.5, 0.0, 0.0], atol=1e-6)
    c = WarmupDecay(2.0, total_steps=100, warmup_steps=0, decay="cosine")
    np.testing.assert_allclose(_values(c, [0, 25, 50, 100]), [2.0, 1 + math.cos(math.pi / 4), 1.0, 0.0], atol=1e-6)
    k = WarmupDecay(0.1, total_steps=10, warmup_steps=4, decay="constant")
    np.testing.assert_allclose(_values(k, [2, 4, 9]), [0.05, 0.1, 0.1], atol=1e-7)


def test_adjustable_length():
    optimizer = keras.optimizers.SGD()
    s = WarmupDecay(1.0, total_steps=110, warmup_steps=10, decay="linear")
    s.make_adjustable(optimizer)
    s.set_total_steps(60)
    np.testing.assert_allclose(_values(s, [35, 60]), [0.5, 0.0], atol=1e-6)
    assert s.current_total_steps() == 60 and s.get_config()["total_steps"] == 60
    s.set_total_steps(6)  # shorter than the warm-up: the warm-up is cut to half the run
    np.testing.assert_allclose(_values(s, [0, 1, 3, 6]), [0.0, 1 / 3, 1.0, 0.0], atol=1e-6)
    assert s.get_config()["warmup_steps"] == 3
    with pytest.raises(ValueError, match="Received: total_steps=0"):
        s.set_total_steps(0)


def test_schedule_serialization_round_trip():
    s = WarmupDecay(1e-3, total_steps=50, warmup_steps=5, decay="linear", end_lr=1e-5)
    restored = keras.optimizers.schedules.deserialize(keras.optimizers.schedules.serialize(s))
    assert isinstance(restored, WarmupDecay) and restored.get_config() == s.get_config()


def test_schedule_errors():
    with pytest.raises(ValueError, match="Received: decay='step'"):
        WarmupDecay(1.0, 10, decay="step")
    with pytest.raises(ValueError, match="shorten the warm-up.*Received: warmup_steps=20"):
        WarmupDecay(1.0, 10, warmup_steps=20)
    with pytest.raises(ValueError, match="Received: total_steps=0"):
        WarmupDecay(1.0, 0)


def test_paper_pretraining_recipe():
    optimizer, schedule = pretrain_optimizer(total_steps=20_000)
    assert isinstance(optimizer, keras.optimizers.AdamW)
    assert (optimizer.beta_1, optimizer.beta_2, optimizer.weight_decay) == (0.9, 0.999, 0.1)
    assert optimizer.global_clipnorm == 1.0
    assert schedule.decay == "linear" and schedule.warmup_steps == 10_000 and schedule.peak_lr == 1e-3


def test_paper_finetuning_recipe():
    optimizer, schedule = finetune_optimizer(total_steps=100)
    assert isinstance(optimizer, keras.optimizers.SGD)
    assert optimizer.momentum == 0.9 and optimizer.global_clipnorm == 1.0 and not optimizer.weight_decay
    # The 500-step warm-up is capped at a short run's length.
    assert schedule.decay == "cosine" and schedule.warmup_steps == 100


def test_warmup_fraction_or_steps():
    assert recipes.warmup_steps_for(0.05, 1000) == 50
    assert recipes.warmup_steps_for(500, 1000) == 500
    assert recipes.warmup_steps_for(500, 100) == 100
    with pytest.raises(ValueError, match="Received: warmup=-1"):
        recipes.warmup_steps_for(-1, 10)


def test_named_recipes_and_config_checks():
    assert recipes.get_recipe("finetune").optimizer == "sgd"
    assert recipes.get_recipe("finetune").weight_decay == 0.0
    assert recipes.get_recipe("fmnist-long").epochs > recipes.get_recipe("fmnist").epochs
    with pytest.raises(ValueError, match="Unknown recipe.*Received: recipe='fast'"):
        recipes.get_recipe("fast")
    with pytest.raises(ValueError, match="Received: optimizer='lamb'"):
        recipes.TrainConfig(optimizer="lamb")
    with pytest.raises(ValueError, match="Received: mixed_precision='int8'"):
        recipes.TrainConfig(mixed_precision="int8")
