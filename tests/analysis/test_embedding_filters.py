"""Principal components of the embedding filters against a kernel built from known components."""

import numpy as np
import pytest

import keras_vit
from keras_vit.analysis import embedding_filters, embedding_kernel


def normalise(v):
    return (v - v.min()) / (v.max() - v.min())


def test_known_components_and_variances():
    rng = np.random.default_rng(0)
    p, c, hidden = 4, 3, 64
    basis, _ = np.linalg.qr(rng.normal(size=(p * p * c, 3)))  # three orthonormal filter directions
    coeff = rng.normal(size=(hidden, 3))
    coeff = (coeff - coeff.mean(0)) @ np.linalg.inv(np.linalg.cholesky(np.cov(coeff.T, bias=True))).T  # white
    coeff = coeff * [3.0, 2.0, 1.0]  # variances 9, 4, 1
    filters = coeff @ basis.T + rng.normal(size=p * p * c)  # plus a common mean filter, removed by PCA
    kernel = filters.T.reshape(p, p, c, hidden)
    components, explained = embedding_filters(kernel, num_components=5)
    assert components.shape == (5, p, p, c)
    np.testing.assert_allclose(explained[:3], [9 / 14, 4 / 14, 1 / 14], atol=1e-10)
    np.testing.assert_allclose(explained[3:], 0.0, atol=1e-10)
    for k in range(3):
        direction = basis[:, k].reshape(p, p, c)
        match = min(np.abs(components[k] - normalise(s * direction)).max() for s in (1, -1))
        assert match < 1e-5, k
    assert components.min() >= 0 and components.max() <= 1


def test_explained_variance_matches_covariance_eigenvalues():
    kernel = np.random.default_rng(2).normal(size=(4, 4, 3, 32))
    _, explained = embedding_filters(kernel, num_components=28)
    eig = np.sort(np.linalg.eigvalsh(np.cov(kernel.reshape(-1, 32)))[::-1])[::-1]
    np.testing.assert_allclose(explained, (eig / eig.sum())[:28], atol=1e-10)


def test_model_kernel_and_errors():
    model = keras_vit.ViT(image_size=32, patch_size=8, hidden_size=32, depth=1, num_heads=4, mlp_dim=64)
    kernel = embedding_kernel(model)
    assert kernel.shape == (8, 8, 3, 32)
    assert embedding_filters(kernel)[0].shape == (28, 8, 8, 3)
    with pytest.raises(ValueError, match=r"\(p, p, channels, hidden\).*Received: kernel.shape=\(8, 8, 3\)"):
        embedding_filters(kernel[..., 0])
    with pytest.raises(ValueError, match="positive integer.*Received: num_components=0"):
        embedding_filters(kernel, num_components=0)
