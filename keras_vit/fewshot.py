"""Few-shot linear evaluation of a frozen representation (paper §4.1; big_vision `evaluators/fewshot_lsr.py`).

k training images per class are mapped to the model's representation (the output of the layer named
"pre_logits"); a ridge regression to `2 · onehot − 1` targets is solved in closed form and scored by top-1
accuracy on held-out images. The features are whitened with the few-shot set's mean and standard deviation,
and a constant column of 100 stands in for an (almost unregularised) bias. One eigendecomposition of `XᵀX`
(or of `XXᵀ` when there are fewer images than features) serves every L2 value of the sweep:
`W = Q diag(1 / (e + λ)) Qᵀ Xᵀ Y` (or `Xᵀ P diag(1 / (e + λ)) Pᵀ Y`).

The solver is NumPy; the representation comes from `model.predict`, so this module runs on every backend.
"""

import inspect

import keras
import numpy as np

BIAS_CONSTANT = 100.0
# big_vision fixes λ = 2^10; the sweep spans the values used across ViT follow-ups.
DEFAULT_L2_REGS = tuple(2.0**e for e in range(-10, 20))
DEFAULT_SHOTS = (1, 5, 10, 25)
REPRESENTATION_LAYER = "pre_logits"


def ridge_solver(x, y, num_classes):
    """Precomputes one eigendecomposition for the whitened, bias-augmented ridge regression.

    Args:
        x: `(n, d)` features of the few-shot images.
        y: `(n,)` integer labels.
        num_classes: number of classes.

    Returns:
        A function `solve(l2) -> (weights (d + 1, classes), predict)` where `predict(features)` returns
        `(m, classes)` scores for new features (whitened and augmented the same way).
    """
    x = np.asarray(x, np.float64)
    mean = x.mean(axis=0, keepdims=True)
    std = x.std(axis=0, keepdims=True) + 1e-5

    def prepare(features):
        features = (np.asarray(features, np.float64) - mean) / std
        return np.pad(features, ((0, 0), (0, 1)), constant_values=BIAS_CONSTANT)

    xa = prepare(x)
    targets = 2.0 * np.eye(num_classes)[np.asarray(y, int)] - 1.0
    n, d = xa.shape
    if n >= d:
        eigs, q = np.linalg.eigh(xa.T @ xa)
        lhs, rhs = q, q.T @ (xa.T @ targets)
    else:
        eigs, q = np.linalg.eigh(xa @ xa.T)
        lhs, rhs = xa.T @ q, q.T @ targets

    def solve(l2):
        w = (lhs / (eigs + l2)[None, :]) @ rhs
        return w, lambda features: prepare(features) @ w

    return solve


def linear_fewshot(
    train_features, train_labels, test_features, test_labels, num_classes, l2_regs=DEFAULT_L2_REGS, val=None
):
    """Top-1 accuracy of the closed-form ridge classifier for each L2 value, and the chosen one.

    Args:
        train_features, train_labels: the few-shot set.
        test_features, test_labels: held-out images scored with the chosen L2.
        num_classes: number of classes.
        l2_regs: L2 values to try.
        val: optional `(features, labels)` that choose the L2 (never the test images); without it, the
            first of `l2_regs` is used.

    Returns:
        `dict(accuracy=test top-1 at the chosen L2, l2=chosen L2, val_accuracy=... or None)`.
    """
    l2_regs = tuple(l2_regs)
    if not l2_regs:
        raise ValueError(f"`l2_regs` needs at least one value. Received: l2_regs={l2_regs}")
    solve = ridge_solver(train_features, train_labels, num_classes)
    best, best_val = l2_regs[0], None
    if val is not None and len(l2_regs) > 1:
        val_x, val_y = val
        for l2 in l2_regs:
            _, predict = solve(l2)
            accuracy = float(np.mean(np.argmax(predict(val_x), axis=1) == np.asarray(val_y)))
            if best_val is None or accuracy > best_val:
                best, best_val = l2, accuracy
    _, predict = solve(best)
    accuracy = float(np.mean(np.argmax(predict(test_features), axis=1) == np.asarray(test_labels)))
    return dict(accuracy=accuracy, l2=best, val_accuracy=best_val)


def sample_shots(labels, shots, num_classes, rng):
    """Indices of `shots` random images of each class (fewer when a class has fewer)."""
    labels = np.asarray(labels)
    picked = [rng.permutation(np.flatnonzero(labels == c))[:shots] for c in range(num_classes)]
    return np.concatenate(picked)


def representation_model(model, layer=REPRESENTATION_LAYER):
    """A model from `model`'s inputs to the output of its layer `layer` (default "pre_logits")."""
    try:
        target = model.get_layer(layer)
    except ValueError:
        names = [lay.name for lay in model.layers][-4:]
        raise ValueError(
            f"The model has no layer named {layer!r} to take the representation from; few-shot evaluation needs "
            f"a model with its top (include_top=True) or pass layer=NAME. Received: last layers={names}"
        ) from None
    return keras.Model(model.inputs, target.output, name=f"{model.name}_{layer}")


def _features(extractor, images, batch_size):
    return np.asarray(extractor.predict(images, batch_size=batch_size, verbose=0), np.float64)


def _labels(labels):
    labels = np.asarray(labels)
    return labels.argmax(-1) if labels.ndim == 2 else labels


def fewshot_evaluate(
    model,
    train_data,
    test_data,
    shots=DEFAULT_SHOTS,
    num_classes=None,
    seeds=3,
    l2_regs=DEFAULT_L2_REGS,
    num_val=1000,
    max_test=None,
    layer=REPRESENTATION_LAYER,
    batch_size=256,
    preprocess=None,
):
    """Few-shot linear evaluation of `model`'s representation.

    For each seed and each k in `shots`, k images per class are drawn from `train_data`, the ridge
    classifier is solved for every L2 of `l2_regs`, the L2 is chosen on `num_val` other training images
    (never the test images) and the accuracy is measured on `test_data`. `l2_regs=(1024.0,)` is
    big_vision's fixed choice (no selection).

    Args:
        model: a Keras model with a layer named `layer`.
        train_data: `(images, labels)`: NumPy images the model accepts (or `preprocess` makes) and integer or one-hot
            labels; the few-shot sets and the validation images are drawn from it.
        test_data: `(images, labels)` held-out images.
        shots: the k values (paper: 1, 5, 10, 25).
        num_classes: default `max(label) + 1`.
        seeds: number of random draws averaged.
        l2_regs: L2 values to choose from.
        num_val: training images (outside the few-shot sets) that choose the L2.
        max_test: score on at most this many test images (the first ones).
        layer: the representation layer.
        batch_size: for the forward passes.
        preprocess: optional `fn(images) -> model input` applied to the selected images before the forward
            pass (e.g. raw uint8 images → normalised RGB at the model's resolution).

    Returns:
        `{k: mean top-1 accuracy over seeds}`.
    """
    shots = tuple(int(k) for k in shots)
    if not shots or min(shots) < 1:
        raise ValueError(f"`shots` must be positive integers. Received: shots={shots}")
    images, labels = train_data
    labels = _labels(labels)
    test_images, test_labels = test_data
    test_labels = _labels(test_labels)
    if max_test is not None:
        test_images, test_labels = test_images[:max_test], test_labels[:max_test]
    num_classes = num_classes or int(labels.max()) + 1
    extractor = representation_model(model, layer)

    # One forward pass over every image any seed needs.
    rng = np.random.default_rng(0)
    draws = []
    for _ in range(seeds):
        per_class = sample_shots(labels, max(shots), num_classes, rng)
        rest = np.setdiff1d(np.arange(len(labels)), per_class)
        val = rng.permutation(rest)[:num_val] if len(l2_regs) > 1 else rest[:0]
        draws.append((per_class, val))
    needed = np.unique(np.concatenate([np.concatenate(d) for d in draws]))
    position = {int(i): j for j, i in enumerate(needed)}
    prepare = preprocess or (lambda x: x)
    features = _features(extractor, prepare(images[needed]), batch_size)
    test_features = _features(extractor, prepare(test_images), batch_size)

    results = {k: [] for k in shots}
    for per_class, val in draws:
        per_class_labels = labels[per_class]
        val_set = (features[[position[int(i)] for i in val]], labels[val]) if len(val) else None
        for k in shots:
            # The first k of each class's draw, so that the k-shot sets of one seed are nested.
            chosen = np.concatenate([per_class[per_class_labels == c][:k] for c in range(num_classes)])
            result = linear_fewshot(
                features[[position[int(i)] for i in chosen]],
                labels[chosen],
                test_features,
                test_labels,
                num_classes,
                l2_regs,
                val_set,
            )
            results[k].append(result["accuracy"])
    return {k: float(np.mean(v)) for k, v in results.items()}


class FewShotCallback(keras.callbacks.Callback):
    """Adds `fewshot_{k}shot` (few-shot linear accuracy) to the epoch logs every `every_n_epochs` epochs.

    Put it BEFORE the callbacks that record the logs (CSVLogger, TensorBoard, ModelCheckpoint): Keras runs
    callbacks in list order and they share one logs dict (History and the progress bar come last on their
    own). `keras_vit.training.train` inserts it first. On epochs without an evaluation the keys are NaN, so
    that CSVLogger, which fixes its columns at the first epoch, keeps them.

    Args:
        train_data: `(images, labels)` NumPy arrays; few-shot sets and L2-selection images
            are drawn from it.
        test_data: `(images, labels)` held-out images.
        shots: the k values.
        every_n_epochs: evaluate after every n-th epoch (and always after the last one when `epochs` is
            known to `fit`).
        **fewshot_kwargs: `num_classes`, `seeds`, `l2_regs`, `num_val`, `max_test`, `layer`, `batch_size`,
            `preprocess`, as in `fewshot_evaluate`.
    """

    def __init__(self, train_data, test_data, shots=DEFAULT_SHOTS, every_n_epochs=1, **fewshot_kwargs):
        super().__init__()
        if every_n_epochs < 1:
            raise ValueError(f"`every_n_epochs` must be at least 1. Received: every_n_epochs={every_n_epochs}")
        # An argument `fewshot_evaluate` does not take fails here, not at the end of the first epoch.
        inspect.signature(fewshot_evaluate).bind(None, train_data, test_data, shots, **fewshot_kwargs)
        self.train_data = train_data
        self.test_data = test_data
        self.shots = tuple(shots)
        self.every_n_epochs = every_n_epochs
        self.kwargs = fewshot_kwargs
        self.last_results = None
        self._epochs = None

    def on_train_begin(self, logs=None):
        self._epochs = self.params.get("epochs") if self.params else None

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        last = self._epochs is not None and epoch + 1 == self._epochs
        if (epoch + 1) % self.every_n_epochs and not last:
            for k in self.shots:
                logs[f"fewshot_{k}shot"] = float("nan")
            return
        self.last_results = fewshot_evaluate(self.model, self.train_data, self.test_data, self.shots, **self.kwargs)
        for k, accuracy in self.last_results.items():
            logs[f"fewshot_{k}shot"] = accuracy
