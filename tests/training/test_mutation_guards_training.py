"""What `compile_model` puts into training: the label-smoothed loss (against smoothed targets computed here) and
weight decay on the kernels only (biases, norms, position embedding and class token untouched by a step)."""

import dataclasses

import keras
import numpy as np
import pytest

import keras_vit
from keras_vit.training import get_recipe
from keras_vit.training.recipes import warmup_steps_for
from keras_vit.training.train import compile_model

TINY = dict(image_size=16, patch_size=8, hidden_size=16, depth=1, num_heads=2, mlp_dim=32, classes=5)


def config(**changes):
    return dataclasses.replace(get_recipe("fmnist"), time_budget_min=None, warmup=0, **changes)


def test_compiled_loss_is_cross_entropy_against_smoothed_targets():
    model = keras_vit.ViT(**TINY)
    compile_model(model, config(label_smoothing=0.2), steps_per_epoch=1, jit_compile=False)
    rng = np.random.default_rng(0)
    for variable in model.get_layer("head").weights:  # a zero head would predict uniform probabilities
        variable.assign(rng.standard_normal(variable.shape).astype("float32"))
    x = rng.uniform(-1, 1, (6, 16, 16, 3)).astype("float32")
    y = np.eye(5, dtype="float32")[[0, 1, 2, 3, 4, 0]]
    probabilities = np.asarray(model.predict(x, verbose=0), "float64")
    smoothed = y * (1 - 0.2) + 0.2 / 5
    want = -np.mean(np.sum(smoothed * np.log(probabilities), axis=-1))
    unsmoothed = -np.mean(np.sum(y * np.log(probabilities), axis=-1))
    assert abs(want - unsmoothed) > 1e-3
    got = model.evaluate(x, y, batch_size=6, verbose=0, return_dict=True)["loss"]
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_a_step_decays_the_kernels_and_leaves_every_other_variable_alone():
    model = keras_vit.ViT(**TINY)
    lr, decay = 0.01, 0.1
    compile_model(model, config(lr=lr, weight_decay=decay), steps_per_epoch=10, jit_compile=False)
    variables = model.trainable_variables
    before = [np.array(v) for v in variables]
    # Zero gradients: Adam's update is zero, so whatever changes is the decoupled weight decay lr * wd * w.
    model.optimizer.apply_gradients([(keras.ops.zeros(v.shape, v.dtype), v) for v in variables])
    kinds = set()
    for variable, old in zip(variables, before):
        new = np.array(variable)
        name = variable.path.rsplit("/", 1)[-1]
        if name.endswith("kernel"):
            np.testing.assert_allclose(new, old * (1 - lr * decay), rtol=1e-5, err_msg=variable.path)
            kinds.add("kernel")
        else:
            np.testing.assert_array_equal(new, old, err_msg=variable.path)
            kinds.add(name)
    # Every kind the exclusions are for is in the model.
    assert {"kernel", "bias", "gamma", "beta", "pos_embedding", "cls"} <= kinds


def test_warmup_below_one_is_a_fraction_and_from_one_a_step_count():
    assert [warmup_steps_for(w, 200) for w in (0, 0.05, 0.5, 1, 1.0, 2, 300)] == [0, 10, 100, 1, 1, 2, 200]


@pytest.mark.tf_only
def test_fit_traces_the_train_step_once():
    """compile_model creates the optimizer's variables, so `fit` traces its step once, not twice (a tf.function
    that creates variables on its first trace is traced again): a layer counts the traces of its training call."""

    class CountTraces(keras.layers.Layer):
        traces = 0

        def call(self, x, training=False):
            if training:
                CountTraces.traces += 1  # Python runs at trace time only
            return x

    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(5, activation="softmax")(CountTraces()(inputs)))
    compile_model(model, config(), steps_per_epoch=3, jit_compile=False)
    x = np.random.default_rng(0).standard_normal((12, 4)).astype("float32")
    model.fit(x, np.eye(5, dtype="float32")[np.arange(12) % 5], batch_size=4, epochs=2, verbose=0)
    assert CountTraces.traces == 1
