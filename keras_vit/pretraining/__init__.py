"""Self-supervised pre-training: masked patch prediction (paper §4.6, Appendix B.1.2).

`masked_patch_predictor(vit)` wraps a plain ViT's layers into the pre-training model; `pretrain_mpp` runs it
on a dataset's images (the `keras-vit pretrain-mpp` command); `keras_vit.weights.transfer.transfer_weights` starts a
classifier from the pre-trained encoder.
"""

from keras_vit.pretraining.corruption import INTACT, KEPT, MASKED, REPLACED, PatchCorruption, corruption_counts
from keras_vit.pretraining.model import MaskedPatchPredictor, masked_patch_predictor
from keras_vit.pretraining.targets import MeanColourTargets, mean_colour_targets, num_target_classes

__all__ = [
    "INTACT",
    "KEPT",
    "MASKED",
    "REPLACED",
    "MaskedPatchPredictor",
    "MeanColourTargets",
    "PatchCorruption",
    "corruption_counts",
    "masked_patch_predictor",
    "mean_colour_targets",
    "num_target_classes",
]
