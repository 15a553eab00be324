"""Position-embedding similarity against hand-made embeddings and scipy's cosine distance."""

import keras
import numpy as np
import pytest
import scipy.spatial.distance

import keras_vit
from keras_vit.analysis import posemb_similarity, position_embedding_grid


def test_orthogonal_embeddings_give_identity():
    gh, gw = 3, 4
    scales = np.random.default_rng(0).uniform(0.5, 3.0, gh * gw)[:, None]  # lengths must not matter
    embedding = (np.eye(gh * gw, 20) * scales).reshape(gh, gw, 20)
    np.testing.assert_allclose(posemb_similarity(embedding), np.eye(gh * gw).reshape(gh, gw, gh, gw), atol=1e-12)


def test_matches_scipy_cosine():
    embedding = np.random.default_rng(1).normal(size=(3, 3, 8))
    flat = embedding.reshape(9, 8)
    want = 1 - scipy.spatial.distance.cdist(flat, flat, "cosine")
    np.testing.assert_allclose(posemb_similarity(embedding).reshape(9, 9), want, atol=1e-12)


def test_model_embedding_grid_drops_the_class_token():
    model = keras_vit.ViT(image_size=(32, 24), patch_size=8, hidden_size=32, depth=1, num_heads=4, mlp_dim=64)
    table = keras.ops.convert_to_numpy(model.get_layer("posembed_input").pos_embedding)
    np.testing.assert_allclose(position_embedding_grid(model), table[0, 1:].reshape(4, 3, 32))
    model = keras_vit.ViT(
        image_size=32, patch_size=8, hidden_size=32, depth=1, num_heads=4, mlp_dim=64, posemb="learned_2d"
    )
    layer = model.get_layer("posembed_input")
    rows, cols = (keras.ops.convert_to_numpy(w) for w in (layer.row_embedding, layer.col_embedding))
    np.testing.assert_allclose(position_embedding_grid(model)[2, 1], rows[2, 0] + cols[0, 1], rtol=1e-6)


def test_errors():
    with pytest.raises(ValueError, match=r"\(gh, gw, hidden\).*Received: embedding.shape=\(4, 8\)"):
        posemb_similarity(np.ones((4, 8)))
    model = keras_vit.ViT(image_size=32, patch_size=8, hidden_size=32, depth=1, num_heads=4, mlp_dim=64, posemb="none")
    with pytest.raises(ValueError, match="no 'posembed_input'.*Received: model="):
        position_embedding_grid(model)
