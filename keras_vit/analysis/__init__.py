"""Inspecting a trained ViT (paper §4.5): attention weights, mean attention distance, attention
rollout, position-embedding similarity and embedding filters, with their plots."""

from keras_vit.analysis.attention import (
    TokenLayout,
    attention_weights,
    iter_attention_weights,
    num_prefix_tokens,
    token_layout,
)
from keras_vit.analysis.distance import (
    attention_distance,
    mean_attention_distance,
    pairwise_distances,
    read_distance_csv,
    write_distance_csv,
)
from keras_vit.analysis.filters import embedding_filters, embedding_kernel
from keras_vit.analysis.plots import (
    plot_attention_distance,
    plot_distance_comparison,
    plot_embedding_filters,
    plot_posemb_similarity,
    plot_rollout,
)
from keras_vit.analysis.posemb_similarity import posemb_similarity, position_embedding_grid
from keras_vit.analysis.rollout import attention_rollout, rollout_matrix, upsample_map

__all__ = [
    "TokenLayout",
    "attention_distance",
    "attention_rollout",
    "attention_weights",
    "embedding_filters",
    "embedding_kernel",
    "iter_attention_weights",
    "mean_attention_distance",
    "num_prefix_tokens",
    "pairwise_distances",
    "plot_attention_distance",
    "plot_distance_comparison",
    "plot_embedding_filters",
    "plot_posemb_similarity",
    "plot_rollout",
    "posemb_similarity",
    "position_embedding_grid",
    "read_distance_csv",
    "rollout_matrix",
    "token_layout",
    "upsample_map",
    "write_distance_csv",
]
