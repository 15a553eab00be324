import csv

import keras
import numpy as np
import pytest

from keras_vit.fewshot import (
    BIAS_CONSTANT,
    FewShotCallback,
    fewshot_evaluate,
    linear_fewshot,
    representation_model,
    ridge_solver,
)


def _augment(x, reference):
    mean, std = reference.mean(0), reference.std(0) + 1e-5
    return np.pad((x - mean) / std, ((0, 0), (0, 1)), constant_values=BIAS_CONSTANT)


@pytest.mark.parametrize("n, d", [(40, 6), (7, 15)])  # more images than features, and fewer
@pytest.mark.parametrize("l2", [1e-3, 1.0, 1024.0])
def test_ridge_solution_equals_lstsq(rng, n, d, l2):
    x = rng.normal(size=(n, d))
    y = rng.integers(0, 4, n)
    weights, predict = ridge_solver(x, y, 4)(l2)
    # Independent reference: ridge as an ordinary least-squares problem on [X; √λ I] w = [Y; 0].
    xa = _augment(x, x)
    targets = 2.0 * np.eye(4)[y] - 1.0
    stacked = np.concatenate([xa, np.sqrt(l2) * np.eye(d + 1)])
    expected = np.linalg.lstsq(stacked, np.concatenate([targets, np.zeros((d + 1, 4))]), rcond=None)[0]
    np.testing.assert_allclose(weights, expected, rtol=1e-6, atol=1e-8)
    x_new = rng.normal(size=(5, d))
    np.testing.assert_allclose(predict(x_new), _augment(x_new, x) @ expected, rtol=1e-6, atol=1e-8)


def test_tiny_l2_gives_the_minimum_norm_least_squares_fit(rng):
    x = rng.normal(size=(6, 20))
    y = np.arange(6) % 3
    weights, _ = ridge_solver(x, y, 3)(1e-9)
    expected = np.linalg.lstsq(_augment(x, x), 2.0 * np.eye(3)[y] - 1.0, rcond=None)[0]
    np.testing.assert_allclose(weights, expected, rtol=1e-4, atol=1e-6)


def test_known_answer_linearly_separable(rng):
    # Three well-separated clusters: any sensible linear classifier is perfect.
    centers = np.array([[10.0, 0, 0, 0], [0, 10.0, 0, 0], [0, 0, 10.0, 0]])
    y = np.repeat(np.arange(3), 5)
    x = centers[y] + rng.normal(scale=0.5, size=(15, 4))
    y_test = np.repeat(np.arange(3), 50)
    x_test = centers[y_test] + rng.normal(scale=0.5, size=(150, 4))
    result = linear_fewshot(x, y, x_test, y_test, 3, l2_regs=(1.0, 1024.0), val=(x_test[:30], y_test[:30]))
    assert result["accuracy"] == 1.0 and result["val_accuracy"] == 1.0
    # Pure noise features: chance level, not better.
    noise = linear_fewshot(rng.normal(size=(15, 4)), y, rng.normal(size=(3000, 4)), rng.integers(0, 3, 3000), 3)
    assert abs(noise["accuracy"] - 1 / 3) < 0.05


def _feature_model(dim, classes):
    inputs = keras.Input((dim,))
    x = keras.layers.Identity(name="pre_logits")(inputs)
    outputs = keras.layers.Dense(classes, activation="softmax", name="head")(x)
    return keras.Model(inputs, outputs)


def _clusters(rng, n_per_class, classes=4, dim=8):
    centers = 6.0 * np.eye(classes, dim)
    y = np.repeat(np.arange(classes), n_per_class)
    return (centers[y] + rng.normal(size=(len(y), dim))).astype("float32"), y


def test_fewshot_evaluate_uses_the_pre_logits_representation(rng):
    train, test = _clusters(rng, 60), _clusters(rng, 30)
    model = _feature_model(8, 4)
    results = fewshot_evaluate(model, train, test, shots=(1, 5), num_classes=4, seeds=2, num_val=40)
    assert set(results) == {1, 5}
    assert results[5] >= 0.95 and results[5] >= results[1] - 0.02
    # Labels may be one-hot.
    onehot = fewshot_evaluate(model, (train[0], np.eye(4)[train[1]]), test, shots=(5,), seeds=2, num_val=40)
    assert onehot[5] == results[5]


def test_representation_layer_must_exist():
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Dense(2, name="head")(inputs))
    with pytest.raises(ValueError, match="no layer named 'pre_logits'.*Received: last layers="):
        representation_model(model)
    with pytest.raises(ValueError, match="Received: shots=\\(0,\\)"):
        fewshot_evaluate(_feature_model(3, 2), (np.zeros((4, 3)), np.arange(4) % 2), (np.zeros((2, 3)), [0, 1]), (0,))


def test_callback_logs_reach_history_and_csv(rng, tmp_path):
    train, test = _clusters(rng, 30), _clusters(rng, 10)
    model = _feature_model(8, 4)
    model.compile("sgd", "sparse_categorical_crossentropy")
    path = tmp_path / "log.csv"
    callbacks = [
        FewShotCallback(train, test, shots=(1, 5), every_n_epochs=2, seeds=1, num_val=20),
        keras.callbacks.CSVLogger(str(path)),
    ]
    history = model.fit(train[0], train[1], epochs=3, batch_size=40, verbose=0, callbacks=callbacks)
    five = history.history["fewshot_5shot"]
    assert np.isnan(five[0]) and five[1] > 0.9 and five[2] > 0.9  # every 2nd epoch, and the last one
    with open(path) as f:
        rows = list(csv.DictReader(f))
    assert [float(r["fewshot_5shot"]) for r in rows[1:]] == pytest.approx(five[1:])
    with pytest.raises(ValueError, match="Received: every_n_epochs=0"):
        FewShotCallback(train, test, every_n_epochs=0)
    with pytest.raises(TypeError, match="l2_reg"):
        FewShotCallback(train, test, l2_reg=1.0)  # a typo of `l2_regs` fails at once, not after an epoch
