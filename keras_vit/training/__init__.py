"""Training: the one entry `train(config)`, the paper's recipes, strategies and few-shot evaluation.

Importing this package does not import TensorFlow; the data pipeline and tf.distribute are imported
when `train` runs.
"""

from keras_vit.fewshot import FewShotCallback, fewshot_evaluate, linear_fewshot
from keras_vit.training.model_source import build_model, load_or_build_model
from keras_vit.training.recipes import (
    MODELS,
    RECIPES,
    TrainConfig,
    WarmupDecay,
    finetune_optimizer,
    get_recipe,
    pretrain_optimizer,
)
from keras_vit.training.train import TrainResult, train

__all__ = [
    "MODELS",
    "RECIPES",
    "FewShotCallback",
    "TrainConfig",
    "TrainResult",
    "WarmupDecay",
    "build_model",
    "fewshot_evaluate",
    "finetune_optimizer",
    "get_recipe",
    "linear_fewshot",
    "load_or_build_model",
    "pretrain_optimizer",
    "train",
]
