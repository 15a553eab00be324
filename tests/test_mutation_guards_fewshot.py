"""Few-shot probe against a reference written from big_vision's `fewshot_lsr.py`: its constants are hard-coded
here (bias column 100, whitening epsilon 1e-5, targets 2 · onehot − 1), and the data make the L2 choice matter."""

import numpy as np

from keras_vit.fewshot import linear_fewshot, ridge_solver, sample_shots

L2_REGS = (2.0**-10, 2.0**4, 2.0**14)


def reference_predict(x, y, num_classes, l2):
    """Ridge regression by the normal equations, big_vision's preprocessing."""
    mean, std = x.mean(0, keepdims=True), x.std(0, keepdims=True) + 1e-5

    def prepare(features):
        return np.pad((features - mean) / std, ((0, 0), (0, 1)), constant_values=100.0)

    xa = prepare(x)
    targets = 2.0 * np.eye(num_classes)[y] - 1.0
    w = np.linalg.solve(xa.T @ xa + l2 * np.eye(xa.shape[1]), xa.T @ targets)
    return w, lambda features: prepare(features) @ w


def test_ridge_weights_use_the_reference_constants():
    rng = np.random.default_rng(0)
    # Features of very different spreads: the whitening epsilon and the bias column both change the weights.
    x = rng.standard_normal((12, 5)) * np.array([1e-4, 1e-3, 1.0, 10.0, 3.0]) + 2.0
    y = np.arange(12) % 3
    for l2 in (1e-3, 1.0, 100.0):
        got, predict = ridge_solver(x, y, 3)(l2)
        want, reference = reference_predict(x, y, 3, l2)
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-9)
        test = rng.standard_normal((4, 5)) + 2.0
        np.testing.assert_allclose(predict(test), reference(test), rtol=1e-6, atol=1e-9)


def blobs(seed=2, d=12, classes=3):
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((classes, d))

    def draw(n):
        y = np.arange(n) % classes
        return centres[y] + 1.5 * rng.standard_normal((n, d)), y

    return draw(9), draw(60), draw(60)


def test_the_l2_with_the_best_validation_accuracy_is_chosen_and_scored():
    (x, y), (vx, vy), (tx, ty) = blobs()
    val = [np.mean(reference_predict(x, y, 3, l2)[1](vx).argmax(1) == vy) for l2 in L2_REGS]
    test = [np.mean(reference_predict(x, y, 3, l2)[1](tx).argmax(1) == ty) for l2 in L2_REGS]
    best, worst = int(np.argmax(val)), int(np.argmin(val))
    # The data make the choice matter: the best L2 is not the first, and its test accuracy differs from the others'.
    assert best != 0 and len(set(val)) == len(val)
    assert test[best] != test[0] and test[best] != test[worst]
    result = linear_fewshot(x, y, tx, ty, 3, L2_REGS, val=(vx, vy))
    assert result["l2"] == L2_REGS[best]
    assert result["val_accuracy"] == val[best]
    assert result["accuracy"] == test[best]


def test_sample_shots_takes_exactly_k_distinct_images_of_each_class():
    labels = np.repeat(np.arange(4), 10)
    for k in (1, 3, 10):
        picked = sample_shots(labels, k, 4, np.random.default_rng(k))
        assert len(picked) == len(set(picked.tolist())) == 4 * k
        assert np.bincount(labels[picked], minlength=4).tolist() == [k] * 4
