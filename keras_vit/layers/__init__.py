from keras_vit.layers.attention import dot_product_attention
from keras_vit.layers.class_token import ClassToken, PrefixTokens
from keras_vit.layers.classifier_head import ClassifierHead
from keras_vit.layers.layer_scale import LayerScale
from keras_vit.layers.multi_head_attention import MultiHeadSelfAttention
from keras_vit.layers.patch_encoder import PatchEncoder
from keras_vit.layers.pixel_normalization import PIXEL_STATISTICS, PixelNormalization
from keras_vit.layers.position_embedding import AddPositionEmbs
from keras_vit.layers.preact_unit import PreActBottleneck
from keras_vit.layers.resnet_unit import ResNetUnit
from keras_vit.layers.std_conv import StdConv2D
from keras_vit.layers.token_pooling import TokenPooling
from keras_vit.layers.transformer_block import TransformerBlock

__all__ = [
    "AddPositionEmbs",
    "ClassToken",
    "ClassifierHead",
    "LayerScale",
    "MultiHeadSelfAttention",
    "PIXEL_STATISTICS",
    "PatchEncoder",
    "PixelNormalization",
    "PreActBottleneck",
    "PrefixTokens",
    "ResNetUnit",
    "StdConv2D",
    "TokenPooling",
    "TransformerBlock",
    "dot_product_attention",
]
