"""The named models and their checkpoints: one literal table (as keras-hub's `*_presets.py`, timm's `default_cfgs`).

`MODELS`: every model name → its builder and arguments. `kind` "paper" (the variants of the paper's Table 1,
arXiv 2010.11929, with their `keras.applications`-style constructor), "hybrid" (ResNet + ViT, official
`configs/models.py`) or "small" (the 28-px Fashion-MNIST models of the training recipes); `family` the builder:
"vit" (`build_vit` / `ViT`), "hybrid" (`build_hybrid` / `ViTHybrid`), "conv_stem" (`conv_stem_vit`); `timm` the
timm architecture name without its resolution.

`CHECKPOINTS`: every downloadable checkpoint, a file of the public `vit_models` bucket of
google-research/vision_transformer:

- `imagenet21k`: the original ViT paper's ImageNet-21k pre-trained files (224 px, 21843 classes, with the
  `pre_logits` representation layer, width = hidden size). File names: `gsutil ls gs://vit_models/imagenet*` in
  google-research/vision_transformer vit_jax.ipynb; pre_logits widths: timm's `*_in21k` defs (2020-2021).
  The L/32 and H/14 files have a 21843-class head of zeros (timm vision_transformer.py notes): features only.
- `imagenet21k+imagenet2012`: the same models fine-tuned on ImageNet-1k (384 px, 1000 classes, no pre_logits);
  `imagenet21k+imagenet2012_224` is the 224 px fine-tune, released for B/16 and L/16 only.
- `augreg_in21k`: the AugReg ("How to train your ViT?") ImageNet-21k checkpoints recommended in the official
  README (B/8: timm's; 224 px, 21843 classes, no pre_logits); `augreg_in21k_ft_in1k_384` its ImageNet-1k
  fine-tune from that README table, `augreg_in21k_ft_in1k` the 224 px ImageNet-1k fine-tune timm uses (for S/32,
  B/32, L/16 and R26+S/32 that one starts from another AugReg ImageNet-21k run; see the URL).
- `imagenet` is an alias (`ALIASES`): `augreg_in21k_ft_in1k` where it exists, else `imagenet21k+imagenet2012`.

No SHA-256 of these files is published, so `sha256` is None for all of them. All are JAX-trained: tanh GELU,
LayerNorm epsilon 1e-6. The two original directories share basenames (`ViT-B_16.npz`), so the loader caches by
folder and basename. Adding a checkpoint is adding one row; `register` adds or replaces one at run time, e.g. a
private mirror: `register(dataclasses.replace(get_checkpoint("B/16", "imagenet"), url=..., sha256=...))`.
"""

import dataclasses

from keras_vit.weights.checkpoint import Checkpoint

KINDS = ("paper", "hybrid", "small")
FAMILIES = ("vit", "hybrid", "conv_stem")


@dataclasses.dataclass(frozen=True)
class ModelPreset:
    """One named model: its builder `family` and the `arguments` that make it (sizes, stem, classifier)."""

    kind: str
    family: str
    arguments: dict
    variant: str | None = None  # "B/16", "R50+B/16"; the key of its checkpoints
    title: str | None = None  # "ViT-B/16", for docstrings
    constructor: str | None = None  # the public constructor, `keras_vit.ViTB16`
    timm: str | None = None  # timm's architecture name without the resolution: "vit_base_patch16"


MODELS = {
    # The paper's variants (Table 1): Ti, S, B, L, H widths with their released patch sizes.
    "vit_ti16": ModelPreset(
        kind="paper",
        family="vit",
        arguments=dict(patch_size=16, hidden_size=192, depth=12, num_heads=3, mlp_dim=768),
        variant="Ti/16",
        title="ViT-Ti/16",
        constructor="ViTTi16",
        timm="vit_tiny_patch16",
    ),
    "vit_s16": ModelPreset(
        kind="paper",
        family="vit",
        arguments=dict(patch_size=16, hidden_size=384, depth=12, num_heads=6, mlp_dim=1536),
        variant="S/16",
        title="ViT-S/16",
        constructor="ViTS16",
        timm="vit_small_patch16",
    ),
    "vit_s32": ModelPreset(
        kind="paper",
        family="vit",
        arguments=dict(patch_size=32, hidden_size=384, depth=12, num_heads=6, mlp_dim=1536),
        variant="S/32",
        title="ViT-S/32",
        constructor="ViTS32",
        timm="vit_small_patch32",
    ),
    "vit_b8": ModelPreset(
        kind="paper",
        family="vit",
        arguments=dict(patch_size=8, hidden_size=768, depth=12, num_heads=12, mlp_dim=3072),
        variant="B/8",
        title="ViT-B/8",
        constructor="ViTB8",
        timm="vit_base_patch8",
    ),
    "vit_b16": ModelPreset(
        kind="paper",
        family="vit",
        arguments=dict(patch_size=16, hidden_size=768, depth=12, num_heads=12, mlp_dim=3072),
        variant="B/16",
        title="ViT-B/16",
        constructor="ViTB16",
        timm="vit_base_patch16",
    ),
    "vit_b32": ModelPreset(
        kind="paper",
        family="vit",
        arguments=dict(patch_size=32, hidden_size=768, depth=12, num_heads=12, mlp_dim=3072),
        variant="B/32",
        title="ViT-B/32",
        constructor="ViTB32",
        timm="vit_base_patch32",
    ),
    "vit_l16": ModelPreset(
        kind="paper",
        family="vit",
        arguments=dict(patch_size=16, hidden_size=1024, depth=24, num_heads=16, mlp_dim=4096),
        variant="L/16",
        title="ViT-L/16",
        constructor="ViTL16",
        timm="vit_large_patch16",
    ),
    "vit_l32": ModelPreset(
        kind="paper",
        family="vit",
        arguments=dict(patch_size=32, hidden_size=1024, depth=24, num_heads=16, mlp_dim=4096),
        variant="L/32",
        title="ViT-L/32",
        constructor="ViTL32",
        timm="vit_large_patch32",
    ),
    "vit_h14": ModelPreset(
        kind="paper",
        family="vit",
        arguments=dict(patch_size=14, hidden_size=1280, depth=32, num_heads=16, mlp_dim=5120),
        variant="H/14",
        title="ViT-H/14",
        constructor="ViTH14",
        timm="vit_huge_patch14",
    ),
    # Hybrids: the ResNet's stages in `resnet_blocks`; `patch_size` is the patch on its feature map. R+Ti/16 has
    # no stages: its root alone downsamples 4× (the official config's comment says 2×, but conv_root and the
    # max-pool both have stride 2), so its 8×8 patches are 32 px: a 7×7 grid at 224 px.
    "vit_r50_b16": ModelPreset(
        kind="hybrid",
        family="hybrid",
        arguments=dict(patch_size=1, hidden_size=768, depth=12, num_heads=12, mlp_dim=3072, resnet_blocks=(3, 4, 9)),
        variant="R50+B/16",
        title="R50+ViT-B/16",
        constructor="ViTR50B16",
        timm="vit_base_r50_s16",
    ),
    "vit_r50_l32": ModelPreset(
        kind="hybrid",
        family="hybrid",
        arguments=dict(
            patch_size=1, hidden_size=1024, depth=24, num_heads=16, mlp_dim=4096, resnet_blocks=(3, 4, 6, 3)
        ),
        variant="R50+L/32",
        title="R50+ViT-L/32",
        constructor="ViTR50L32",
        timm="vit_large_r50_s32",
    ),
    "vit_r26_s32": ModelPreset(
        kind="hybrid",
        family="hybrid",
        arguments=dict(patch_size=1, hidden_size=384, depth=12, num_heads=6, mlp_dim=1536, resnet_blocks=(2, 2, 2, 2)),
        variant="R26+S/32",
        title="R26+ViT-S/32",
        constructor="ViTR26S32",
        timm="vit_small_r26_s32",
    ),
    "vit_r26_b32": ModelPreset(
        kind="hybrid",
        family="hybrid",
        arguments=dict(patch_size=1, hidden_size=768, depth=12, num_heads=12, mlp_dim=3072, resnet_blocks=(2, 2, 2, 2)),
        variant="R26+B/32",
        title="R26+ViT-B/32",
        constructor="ViTR26B32",
        timm="vit_base_r26_s32",
    ),
    "vit_rti16": ModelPreset(
        kind="hybrid",
        family="hybrid",
        arguments=dict(patch_size=8, hidden_size=192, depth=12, num_heads=3, mlp_dim=768, resnet_blocks=()),
        variant="R+Ti/16",
        title="R+ViT-Ti/16",
        constructor="ViTRTi16",
        timm="vit_tiny_r_s16_p8",
    ),
    # The small models share a Transformer for 28-px images: width 96, 4 blocks of 4 heads (2 heads ran 12 % faster
    # here but learned markedly slower per epoch), MLP 192, no class token (the tokens' mean feeds the head).
    # vit_fmnist: the plain ViT, 49 tokens of 4×4 pixels.
    "vit_fmnist": ModelPreset(
        kind="small",
        family="vit",
        arguments=dict(
            image_size=28, hidden_size=96, depth=4, num_heads=4, mlp_dim=192, classifier="gap", patch_size=4
        ),
    ),
    # 16 tokens of 7×7 pixels: 1.6× the images/s of vit_fmnist, but it levels off near 89 % in a 10-minute run.
    "vit_fmnist_p7": ModelPreset(
        kind="small",
        family="vit",
        arguments=dict(
            image_size=28, patch_size=7, hidden_size=128, depth=6, num_heads=4, mlp_dim=256, classifier="gap"
        ),
    ),
    # The paper's small-data answer, a hybrid: the ResNet root (7×7/2 conv, GroupNorm, max-pool /2) makes a
    # 7×7 map of 64-channel features whose cells are the 49 tokens (patch 1): R+ViT-Ti/16's stem.
    "vit_fmnist_hybrid": ModelPreset(
        kind="small",
        family="hybrid",
        arguments=dict(
            image_size=28,
            hidden_size=96,
            depth=4,
            num_heads=4,
            mlp_dim=192,
            classifier="gap",
            patch_size=1,
            resnet_blocks=(),
        ),
    ),
    # A convolutional stem (Xiao et al. 2021, "Early convolutions help transformers see better"): two 3×3
    # stride-2 convolutions make a 7×7 map whose cells are the 49 tokens (patch 1).
    "vit_fmnist_cs": ModelPreset(
        kind="small",
        family="conv_stem",
        arguments=dict(
            image_size=28,
            hidden_size=96,
            depth=4,
            num_heads=4,
            mlp_dim=192,
            classifier="gap",
            patch_size=1,
            stem_convs=((32, 2), (64, 2)),
        ),
    ),
    # The default (recipes fmnist, fmnist-long): a convolutional stem that keeps the detail of 28 and 14 px
    # before the 7×7 tokens, four 3×3 convolutions (32, 64, 64, 128 channels; stride 1, 2, 1, 2), then the
    # same Transformer. Per epoch it learns much faster than vit_fmnist, at 0.58× its images/s.
    "vit_fmnist_cs4": ModelPreset(
        kind="small",
        family="conv_stem",
        arguments=dict(
            image_size=28,
            hidden_size=96,
            depth=4,
            num_heads=4,
            mlp_dim=192,
            classifier="gap",
            patch_size=1,
            stem_convs=((32, 1), (64, 2), (64, 1), (128, 2)),
        ),
    ),
    # Tiny, for tests and smoke runs.
    "vit_tiny": ModelPreset(
        kind="small",
        family="vit",
        arguments=dict(image_size=28, patch_size=7, hidden_size=32, depth=2, num_heads=2, mlp_dim=64, classifier="gap"),
    ),
}

CHECKPOINTS = [
    Checkpoint(
        model="vit_ti16",
        name="augreg_in21k",
        url="https://storage.googleapis.com/vit_models/augreg/Ti_16-i21k-300ep-lr_0.001-aug_none-wd_0.03-do_0.0-sd_0.0.npz",
        sha256=None,
        image_size=224,
        classes=21843,
        pre_logits=None,
        format="npz",
        gelu="tanh",
        layer_norm_epsilon=1e-6,
        timm="vit_tiny_patch16_224.augreg_in21k",
        source="AugReg, Steiner et al. 2021, arXiv 2106.10270; ImageNet-21k, 300 epochs",
    ),
    Checkpoint(
        model="vit_ti16",
        name="augreg_in21k_ft_in1k",
        url="https://storage.googleapis.com/vit_models/augreg/Ti_16-i21k-300ep-lr_0.001-aug_none-wd_0.03-do_0.0-sd_0.0--imagenet2012-steps_20k-lr_0.03-res_224.npz",
        sha256=None,
        image_size=224,
        classes=1000,
        pre_logits=None,
        format="npz",
        gelu="tanh",
        layer_norm_epsilon=1e-6,
        timm="vit_tiny_patch16_224.augreg_in21k_ft_in1k",
        source="AugReg, Steiner et al. 2021, arXiv 2106.10270; ImageNet-21k, fine-tuned on ImageNet-1k at 224 px",
    ),
    Checkpoint(
        model="vit_ti16",
        name="augreg_in21k_ft_in1k_384",
        url="https://storage.googleapis.com/vit_models/augreg/Ti_16-i21k-300ep-lr_0.001-aug_none-wd_0.03-do_0.0-sd_0.0--imagenet2012-steps_20k-lr_0.03-res_384.npz",
        sha256=None,
        image_size=384,
        classes=1000,
        pre_logits=None,
        format="npz",
        gelu="tanh",
        layer_norm_epsilon=1e-6,
        timm="vit_tiny_patch16_384.augreg_in21k_ft_in1k",
        source="AugReg, Steiner et al. 2021, arXiv 2106.10270; ImageNet-21k, fine-tuned on ImageNet-1k at 384 px",
    ),
    Checkpoint(
        model="vit_s16",
        name="augreg_in21k",
        url="https://storage.googleapis.com/vit_models/augreg/S_16-i21k-300ep-lr_0.001-aug_light1-wd_0.03-do_0.0-sd_0.0.npz",
        sha256=None,
        image_size=224,
        classes=21843,
        pre_logits=None,
        format="npz",
        gelu="tanh",
        layer_norm_epsilon=1e-6,
        timm="vit_small_patch16_224.augreg_in21k",
        source="AugReg, Steiner et al. 2021, arXiv 2106.10270; ImageNet-21k, 300 epochs",
    ),
    Checkpoint(
        model="vit_s16",
        name="augreg_in21k_ft_in1k",
        url="https://storage.googleapis.com/vit_models/augreg/S_16-i21k-300ep-lr_0.001-aug_light1-wd_0.03-do_0.0-sd_0.0--imagenet2012-steps_20k-lr_0.03-res_224.npz",
        sha256=None,
        image_size=224,
        classes=1000,
        pre_logits=None,
        format="npz",
        gelu="tanh",
        layer_norm_epsilon=1e-6,
        timm="vit_small_patch16_224.augreg_in21k_ft_in1k",
        source="AugReg, Steiner et al. 2021, arXiv 2106.10270; ImageNet-21k, fine-tuned on ImageNet-1k at 224 px",
    ),
    Checkpoint(
        model="vit_s16",
        name="augreg_in21k_ft_in1k_384",
        url="https://storage.googleapis.com/vit_models/augreg/S_16-i21k-300ep-lr_0.001-aug_light1-wd_0.03-do_0.0-sd_0.0--imagenet2012-steps_20k-lr_0.03-res_384.npz",
        sha256=None,
        image_size=384,
        classes=1000,
        pre_logits=None,
        format="npz",
        gelu="tanh",
        layer_norm_epsilon=1e-6,
        timm="vit_small_patch16_384.augreg_in21k_ft_in1k",
        source="AugReg, Steiner et al. 2021, arXiv 2106.10270; ImageNet-21k, fine-tuned on ImageNet-1k at 384 px",
    ),
    Checkpoint(
        model="vit_s32",
        name="augreg_in21k",
        url="https://storage.googleapis.com/vit_models/augreg/S_32-i21k-300ep-lr_0.001-aug_none-wd_0.1-do_0.0-sd_0.0.npz",
        sha256=None,
        image_size=224,
        classes=21843,
        pre_logits=None,
        format="npz",
        gelu="tanh",
        layer_norm_epsilon=1e-6,
        timm="vit_small_patch32_224.augreg_in21k",
        source="AugReg, Steiner et al. 2021, arXiv 2106.10270; ImageNet-21k, 300 epochs",
    ),
    Checkpoint(
        model="vit_s32",
        name="augreg_in21k_ft_in1k",
        url="https://storage.googleapis.com/vit_models/augreg/S_32-i21k-300ep-lr_0.001-aug_light1-wd_0.03-do_0.0-sd_0.0--imagenet2012-steps_20k-lr_0.03-res_224.npz",
        sha256=None,
        image_size=224,
        classes=1000,
        pre_logits=None,
        format="npz",
        gelu="tanh",
        layer_norm_epsilon=1e-6,
        timm="vit_small_patch32_224.augreg_in21k_ft_in1k",
        source="AugReg, Steiner et al. 2021, arXiv 2106.10270; ImageNet-21k, fine-tuned on ImageNet-1k at 224 px",
    ),
    Checkpoint(
        model="vit_s32",
        name="augreg_in21k_ft_in1k_384",
        url="https://storage.googleapis.com/vit_models/augreg/S_32-i21k-300ep-lr_0.001-aug_none-wd_0.1-do_0.0-sd_0.0--imagenet2012-steps_20k-lr_0.01-res_384.npz",
        sha256=None,
        image_size=384,
        classes=1000,
        pre_logits=None,
        format="npz",
        gelu="tanh",
        layer_norm_epsilon=1e-6,
        timm="vit_small_patch32_384.augreg_in21k_ft_in1k",
        source="AugReg, Steiner et al. 2021, arXiv 2106.10270; ImageNet-21k, fine-tuned on ImageNet-1k at 384 px",
    ),
    Checkpoint(
        model="vit_b8",
        name="augreg_in21k",
        url="https://storage.googleapis.com/vit_models/augreg/B_8-i21k-300ep-lr_0.001-aug_medium1-wd_0.1-do_0.0-sd_0.0.npz",
        sha256=None,
        image_size=224,
        classes=21843,
        pre_logits=None,
        format="npz",
        gelu="tanh",
        layer_norm_epsilon=1e-6,
        timm="vit_base_patch8_224.augreg_in21k",
        source="AugReg, Steiner et al. 2021, arXiv 2106.10270; ImageNet-21k, 300 epochs",
    ),
    Checkpoint(
        model="vit_b8",
        name="augreg_in21k_ft_in1k",
        url="https://storage.googleapis.com/vit_models/augreg/B_8-i21k-300ep-lr_0.001-aug_medium1-wd_0.1-do_0.0-sd_0.0--imagenet2012-steps_20k-lr_0.01-res_224.npz",
        sha256=None,
        image_size=224,
        classes=1000,
        pre_logits=None,
        format="npz",
        gelu="tanh",
        layer_norm_epsilon=1e-6,
        timm="vit_base_patch8_224.augreg_in21k_ft_in1k",
        source="AugReg, Steiner et al. 2021, arXiv 2106.10270; ImageNet-21k, fine-tuned on ImageNet-1k at 224 px",
    ),
    Checkpoint(
        model="vit_b16",
        name="imagenet21k",
        url="https://storage.googleapis.com/vit_models/imagenet21k/ViT-B_16.npz",
        sha256=None,
        image_size=224,
        classes=21843,
        pre_logits=768,
        format="npz",
        gelu="tanh",
        layer_norm_epsilon=1e-6,
        timm="vit_base_patch16_224.orig_in21k",
        source="ViT, Dosovitskiy et al. 2020, arXiv 2010.11929; ImageNet-21k",
    ),
    Checkpoint(
        model="vit_b16",
        name="imagenet21k+imagenet2012",
        url="https://storage.googleapis.com/vit_models/imagenet21k+imagenet2012/ViT-B_16.npz",
        sha256=None,
        image_size=384,
        classes=1000,
        pre_logits=None,
        format="npz",
        gelu="tanh",
        layer_norm_epsilon=1e-6,
        timm="vit_base_patch16_384.orig_in21k_ft_in1k",
        source="ViT, Dosovitskiy et al. 2020, arXiv 2010.11929; ImageNet-21k, fine-tuned on ImageNet-1k at 384 px",
    ),
    Checkpoint(
        model="vit_b16",
        name="imagenet21k+imagenet2012_224",
        url="https://storage.googleapis.com/vit_models/imagenet21k+imagenet2012/ViT-B_16-224.npz",
        sha256=None,
        image_size=224,
        classes=1000,
        pre_logits=None,
        format="npz",
        gelu="tanh",
        layer_norm_epsilon=1e-6,
        timm="vit_base_patch16_224.orig_in21k_ft_in1k",
        source="ViT, Dosovitskiy et al. 2020, arXiv 2010.11929; ImageNet-21k, fine-tuned on ImageNet-1k at 224 px",
    ),
    Checkpoint(
        model="vit_b16",
        name="augreg_in21k",
        url="https://storage.googleapis.com/vit_models/augreg/B_16-i21k-300ep-lr_0.001-aug_medium1-wd_0.1-do_0.0-sd_0.0.npz",
        sha256=None,
        image_size=224,
        classes=21843,
        pre_logits=None,
        format="npz",
        gelu="tanh",
        layer_norm_epsilon=1e-6,
        timm="vit_base_patch16_224.augreg_in21k",
        source="AugReg, Steiner et al. 2021, arXiv 2106.10270; ImageNet-21k, 300 epochs",
    ),
    Checkpoint(
        model="vit_b16",
        name="augreg_in21k_ft_in1k",
        url="https://storage.googleapis.com/vit_models/augreg/B_16-i21k-300ep-lr_0.001-aug_medium1-wd_0.1-do_0.0-sd_0.0--imagenet2012-steps_20k-lr_0.01-res_224.npz",
        sha256=None,
        image_size=224,
        classes=1000,
        pre_logits=None,
        format="npz",
        gelu="tanh",
        layer_norm_epsilon=1e-6,
        timm="vit_base_patch16_224.augreg_in21k_ft_in1k",
        source="AugReg, Steiner et al. 2021, arXiv 2106.10270; ImageNet-21k, fine-tuned on ImageNet-1k at 224 px",
    ),
    Checkpoint(
        model="vit_b16",
        name="augreg_in21k_ft_in1k_384",
        url="https://storage.googleapis.com/vit_models/augreg/B_16-i21k-300ep-lr_0.001-aug_medium1-wd_0.1-do_0.0-sd_0.0--imagenet2012-steps_20k-lr_0.03-res_384.npz",
        sha256=None,
        image_size=384,
        classes=1000,
        pre_logits=None,
        format="npz",
        gelu="tanh",
        layer_norm_epsilon=1e-6,
        timm="vit_base_patch16_384.augreg_in21k_ft_in1k",
        source="AugReg, Steiner et al. 2021, arXiv 2106.10270; ImageNet-21k, fine-tuned on ImageNet-1k at 384 px",
    ),
    Checkpoint(
        model="vit_b32",
        name="imagenet21k",
        url="https://storage.googleapis.com/vit_models/imagenet21k/ViT-B_32.npz",
        sha256=None,
        image_size=224,
        classes=21843,
        pre_logits=768,
        format="npz",
        gelu="tanh",
        layer_norm_epsilon=1e-6,
        timm="vit_base_patch32_224.orig_in21k",
        source="ViT, Dosovitskiy et al. 2020, arXiv 2010.11929; ImageNet-21k",
    ),
    Checkpoint(
        model="vit_b32",
        name="imagenet21k+imagenet2012",
        url="https://storage.googleapis.com/vit_models/imagenet21k+imagenet2012/ViT-B_32.npz",
        sha256=None,
        image_size=384,
        classes=1000,
        pre_logits=None,
        format="npz",
        gelu="tanh",
        layer_norm_epsilon=1e-6,
        timm="vit_base_patch32_384.orig_in21k_ft_in1k",
        source="ViT, Dosovitskiy et al. 2020, arXiv 2010.11929; ImageNet-21k, fine-tuned on ImageNet-1k at 384 px",
    ),
    Checkpoint(
        model="vit_b32",
        name="augreg_in21k",
        url="https://storage.googleapis.com/vit_models/augreg/B_32-i21k-300ep-lr_0.001-aug_light1-wd_0.1-do_0.0-sd_0.0.npz",
        sha256=None,
        image_size=224,
        classes=21843,
        pre_logits=None,
        format="npz",
        gelu="tanh",
        layer_norm_epsilon=1e-6,
        timm="vit_base_patch32_224.augreg_in21k",
        source="AugReg, Steiner et al. 2021, arXiv 2106.10270; ImageNet-21k, 300 epochs",
    ),
    Checkpoint(
        model="vit_b32",
        name="augreg_in21k_ft_in1k",
        url="https://storage.googleapis.com/vit_models/augreg/B_32-i21k-300ep-lr_0.001-aug_medium1-wd_0.03-do_0.0-sd_0.0--imagenet2012-steps_20k-lr_0.03-res_224.npz",
        sha256=None,
        image_size=224,
        classes=1000,
        pre_logits=None,
        format="npz",
        gelu="tanh",
        layer_norm_epsilon=1e-6,
        timm="vit_base_patch32_224.augreg_in21k_ft_in1k",
        source="AugReg, Steiner et al. 2021, arXiv 2106.10270; ImageNet-21k, fine-tuned on ImageNet-1k at 224 px",
    ),
    Checkpoint(
        model="vit_b32",
        name="augreg_in21k_ft_in1k_384",
        url="https://storage.googleapis.com/vit_models/augreg/B_32-i21k-300ep-lr_0.001-aug_light1-wd_0.1-do_0.0-sd_0.0--imagenet2012-steps_20k-lr_0.01-res_384.npz",
        sha256=None,
        image_size=384,
        classes=1000,
        pre_logits=None,
        format="npz",
        gelu="tanh",
        layer_norm_epsilon=1e-6,
        timm="vit_base_patch32_384.augreg_in21k_ft_in1k",
        source="AugReg, Steiner et al. 2021, arXiv 2106.10270; ImageNet-21k, fine-tuned on ImageNet-1k at 384 px",
    ),
    Checkpoint(
        model="vit_l16",
        name="imagenet21k",
        url="https://storage.googleapis.com/vit_models/imagenet21k/ViT-L_16.npz",
        sha256=None,
        image_size=224,
        classes=21843,
        pre_logits=1024,
        format="npz",
        gelu="tanh",
        layer_norm_epsilon=1e-6,
        timm="vit_large_patch16_224.orig_in21k",
        source="ViT, Dosovitskiy et al. 2020, arXiv 2010.11929; ImageNet-21k",
    ),
    Checkpoint(
        model="vit_l16",
        name="imagenet21k+imagenet2012",
        url="https://storage.googleapis.com/vit_models/imagenet21k+imagenet2012/ViT-L_16.npz",
        sha256=None,
        image_size=384,
        classes=1000,
        pre_logits=None,
        format="npz",
        gelu="tanh",
        layer_norm_epsilon=1e-6,
        timm="vit_large_patch16_384.orig_in21k_ft_in1k",
        source="ViT, Dosovitskiy et al. 2020, arXiv 2010.11929; ImageNet-21k, fine-tuned on ImageNet-1k at 384 px",
    ),
    Checkpoint(
        model="vit_l16",
        name="imagenet21k+imagenet2012_224",
        url="https://storage.googleapis.com/vit_models/imagenet21k+imagenet2012/ViT-L_16-224.npz",
        sha256=None,
        image_size=224,
        classes=1000,
        pre_logits=None,
        format="npz",
        gelu="tanh",
        layer_norm_epsilon=1e-6,
        timm="vit_large_patch16_224.orig_in21k_ft_in1k",
        source="ViT, Dosovitskiy et al. 2020, arXiv 2010.11929; ImageNet-21k, fine-tuned on ImageNet-1k at 224 px",
    ),
    Checkpoint(
        model="vit_l16",
        name="augreg_in21k",
        url="https://storage.googleapis.com/vit_models/augreg/L_16-i21k-300ep-lr_0.001-aug_strong1-wd_0.1-do_0.0-sd_0.0.npz",
        sha256=None,
        image_size=224,
        classes=21843,
        pre_logits=None,
        format="npz",
        gelu="tanh",
        layer_norm_epsilon=1e-6,
        timm="vit_large_patch16_224.augreg_in21k",
        source="AugReg, Steiner et al. 2021, arXiv 2106.10270; ImageNet-21k, 300 epochs",
    ),
    Checkpoint(
        model="vit_l16",
        name="augreg_in21k_ft_in1k",
        url="https://storage.googleapis.com/vit_models/augreg/L_16-i21k-300ep-lr_0.001-aug_medium1-wd_0.1-do_0.1-sd_0.1--imagenet2012-steps_20k-lr_0.01-res_224.npz",
        sha256=None,
        image_size=224,
        classes=1000,
        pre_logits=None,
        format="npz",
        gelu="tanh",
        layer_norm_epsilon=1e-6,
        timm="vit_large_patch16_224.augreg_in21k_ft_in1k",
        source="AugReg, Steiner et al. 2021, arXiv 2106.10270; ImageNet-21k, fine-tuned on ImageNet-1k at 224 px",
    ),
    Checkpoint(
        model="vit_l16",
        name="augreg_in21k_ft_in1k_384",
        url="https://storage.googleapis.com/vit_models/augreg/L_16-i21k-300ep-lr_0.001-aug_strong1-wd_0.1-do_0.0-sd_0.0--imagenet2012-steps_20k-lr_0.01-res_384.npz",
        sha256=None,
        image_size=384,
        classes=1000,
        pre_logits=None,
        format="npz",
        gelu="tanh",
        layer_norm_epsilon=1e-6,
        timm="vit_large_patch16_384.augreg_in21k_ft_in1k",
        source="AugReg, Steiner et al. 2021, arXiv 2106.10270; ImageNet-21k, fine-tuned on ImageNet-1k at 384 px",
    ),
    Checkpoint(
        model="vit_l32",
        name="imagenet21k",
        url="https://storage.googleapis.com/vit_models/imagenet21k/ViT-L_32.npz",
        sha256=None,
        image_size=224,
        classes=21843,
        pre_logits=1024,
        format="npz",
        gelu="tanh",
        layer_norm_epsilon=1e-6,
        timm="vit_large_patch32_224.orig_in21k",
        source="ViT, Dosovitskiy et al. 2020, arXiv 2010.11929; ImageNet-21k; head is zeros (features only)",
    ),
    Checkpoint(
        model="vit_l32",
        name="imagenet21k+imagenet2012",
        url="https://storage.googleapis.com/vit_models/imagenet21k+imagenet2012/ViT-L_32.npz",
        sha256=None,
        image_size=384,
        classes=1000,
        pre_logits=None,
        format="npz",
        gelu="tanh",
        layer_norm_epsilon=1e-6,
        timm="vit_large_patch32_384.orig_in21k_ft_in1k",
        source="ViT, Dosovitskiy et al. 2020, arXiv 2010.11929; ImageNet-21k, fine-tuned on ImageNet-1k at 384 px",
    ),
    Checkpoint(
        model="vit_h14",
        name="imagenet21k",
        url="https://storage.googleapis.com/vit_models/imagenet21k/ViT-H_14.npz",
        sha256=None,
        image_size=224,
        classes=21843,
        pre_logits=1280,
        format="npz",
        gelu="tanh",
        layer_norm_epsilon=1e-6,
        timm="vit_huge_patch14_224.orig_in21k",
        source="ViT, Dosovitskiy et al. 2020, arXiv 2010.11929; ImageNet-21k; head is zeros (features only)",
    ),
    Checkpoint(
        model="vit_r50_b16",
        name="imagenet21k",
        url="https://storage.googleapis.com/vit_models/imagenet21k/R50+ViT-B_16.npz",
        sha256=None,
        image_size=224,
        classes=21843,
        pre_logits=768,
        format="npz",
        gelu="tanh",
        layer_norm_epsilon=1e-6,
        timm="vit_base_r50_s16_224.orig_in21k",
        source="ViT, Dosovitskiy et al. 2020, arXiv 2010.11929; ImageNet-21k",
    ),
    Checkpoint(
        model="vit_r50_b16",
        name="imagenet21k+imagenet2012",
        url="https://storage.googleapis.com/vit_models/imagenet21k+imagenet2012/R50+ViT-B_16.npz",
        sha256=None,
        image_size=384,
        classes=1000,
        pre_logits=None,
        format="npz",
        gelu="tanh",
        layer_norm_epsilon=1e-6,
        timm="vit_base_r50_s16_384.orig_in21k_ft_in1k",
        source="ViT, Dosovitskiy et al. 2020, arXiv 2010.11929; ImageNet-21k, fine-tuned on ImageNet-1k at 384 px",
    ),
    Checkpoint(
        model="vit_r50_l32",
        name="augreg_in21k",
        url="https://storage.googleapis.com/vit_models/augreg/R50_L_32-i21k-300ep-lr_0.001-aug_medium1-wd_0.1-do_0.1-sd_0.1.npz",
        sha256=None,
        image_size=224,
        classes=21843,
        pre_logits=None,
        format="npz",
        gelu="tanh",
        layer_norm_epsilon=1e-6,
        timm="vit_large_r50_s32_224.augreg_in21k",
        source="AugReg, Steiner et al. 2021, arXiv 2106.10270; ImageNet-21k, 300 epochs",
    ),
    Checkpoint(
        model="vit_r50_l32",
        name="augreg_in21k_ft_in1k",
        url="https://storage.googleapis.com/vit_models/augreg/R50_L_32-i21k-300ep-lr_0.001-aug_medium1-wd_0.1-do_0.1-sd_0.1--imagenet2012-steps_20k-lr_0.01-res_224.npz",
        sha256=None,
        image_size=224,
        classes=1000,
        pre_logits=None,
        format="npz",
        gelu="tanh",
        layer_norm_epsilon=1e-6,
        timm="vit_large_r50_s32_224.augreg_in21k_ft_in1k",
        source="AugReg, Steiner et al. 2021, arXiv 2106.10270; ImageNet-21k, fine-tuned on ImageNet-1k at 224 px",
    ),
    Checkpoint(
        model="vit_r50_l32",
        name="augreg_in21k_ft_in1k_384",
        url="https://storage.googleapis.com/vit_models/augreg/R50_L_32-i21k-300ep-lr_0.001-aug_medium1-wd_0.1-do_0.1-sd_0.1--imagenet2012-steps_20k-lr_0.01-res_384.npz",
        sha256=None,
        image_size=384,
        classes=1000,
        pre_logits=None,
        format="npz",
        gelu="tanh",
        layer_norm_epsilon=1e-6,
        timm="vit_large_r50_s32_384.augreg_in21k_ft_in1k",
        source="AugReg, Steiner et al. 2021, arXiv 2106.10270; ImageNet-21k, fine-tuned on ImageNet-1k at 384 px",
    ),
    Checkpoint(
        model="vit_r26_s32",
        name="augreg_in21k",
        url="https://storage.googleapis.com/vit_models/augreg/R26_S_32-i21k-300ep-lr_0.001-aug_light1-wd_0.1-do_0.0-sd_0.0.npz",
        sha256=None,
        image_size=224,
        classes=21843,
        pre_logits=None,
        format="npz",
        gelu="tanh",
        layer_norm_epsilon=1e-6,
        timm="vit_small_r26_s32_224.augreg_in21k",
        source="AugReg, Steiner et al. 2021, arXiv 2106.10270; ImageNet-21k, 300 epochs",
    ),
    Checkpoint(
        model="vit_r26_s32",
        name="augreg_in21k_ft_in1k",
        url="https://storage.googleapis.com/vit_models/augreg/R26_S_32-i21k-300ep-lr_0.001-aug_light0-wd_0.03-do_0.1-sd_0.1--imagenet2012-steps_20k-lr_0.03-res_224.npz",
        sha256=None,
        image_size=224,
        classes=1000,
        pre_logits=None,
        format="npz",
        gelu="tanh",
        layer_norm_epsilon=1e-6,
        timm="vit_small_r26_s32_224.augreg_in21k_ft_in1k",
        source="AugReg, Steiner et al. 2021, arXiv 2106.10270; ImageNet-21k, fine-tuned on ImageNet-1k at 224 px",
    ),
    Checkpoint(
        model="vit_r26_s32",
        name="augreg_in21k_ft_in1k_384",
        url="https://storage.googleapis.com/vit_models/augreg/R26_S_32-i21k-300ep-lr_0.001-aug_light1-wd_0.1-do_0.0-sd_0.0--imagenet2012-steps_20k-lr_0.01-res_384.npz",
        sha256=None,
        image_size=384,
        classes=1000,
        pre_logits=None,
        format="npz",
        gelu="tanh",
        layer_norm_epsilon=1e-6,
        timm="vit_small_r26_s32_384.augreg_in21k_ft_in1k",
        source="AugReg, Steiner et al. 2021, arXiv 2106.10270; ImageNet-21k, fine-tuned on ImageNet-1k at 384 px",
    ),
    Checkpoint(
        model="vit_rti16",
        name="augreg_in21k",
        url="https://storage.googleapis.com/vit_models/augreg/R_Ti_16-i21k-300ep-lr_0.001-aug_none-wd_0.03-do_0.0-sd_0.0.npz",
        sha256=None,
        image_size=224,
        classes=21843,
        pre_logits=None,
        format="npz",
        gelu="tanh",
        layer_norm_epsilon=1e-6,
        timm="vit_tiny_r_s16_p8_224.augreg_in21k",
        source="AugReg, Steiner et al. 2021, arXiv 2106.10270; ImageNet-21k, 300 epochs",
    ),
    Checkpoint(
        model="vit_rti16",
        name="augreg_in21k_ft_in1k",
        url="https://storage.googleapis.com/vit_models/augreg/R_Ti_16-i21k-300ep-lr_0.001-aug_none-wd_0.03-do_0.0-sd_0.0--imagenet2012-steps_20k-lr_0.03-res_224.npz",
        sha256=None,
        image_size=224,
        classes=1000,
        pre_logits=None,
        format="npz",
        gelu="tanh",
        layer_norm_epsilon=1e-6,
        timm="vit_tiny_r_s16_p8_224.augreg_in21k_ft_in1k",
        source="AugReg, Steiner et al. 2021, arXiv 2106.10270; ImageNet-21k, fine-tuned on ImageNet-1k at 224 px",
    ),
    Checkpoint(
        model="vit_rti16",
        name="augreg_in21k_ft_in1k_384",
        url="https://storage.googleapis.com/vit_models/augreg/R_Ti_16-i21k-300ep-lr_0.001-aug_none-wd_0.03-do_0.0-sd_0.0--imagenet2012-steps_20k-lr_0.03-res_384.npz",
        sha256=None,
        image_size=384,
        classes=1000,
        pre_logits=None,
        format="npz",
        gelu="tanh",
        layer_norm_epsilon=1e-6,
        timm="vit_tiny_r_s16_p8_384.augreg_in21k_ft_in1k",
        source="AugReg, Steiner et al. 2021, arXiv 2106.10270; ImageNet-21k, fine-tuned on ImageNet-1k at 384 px",
    ),
]


# A name that stands for the first of its targets released for the variant.
ALIASES = {"imagenet": ("augreg_in21k_ft_in1k", "imagenet21k+imagenet2012")}


def named(kind):
    """The presets of one `kind` ("paper", "hybrid" or "small"), in table order."""
    return {name: preset for name, preset in MODELS.items() if preset.kind == kind}


def model_of_variant(variant):
    """The preset name of a variant ("B/16" → "vit_b16"), or None."""
    return next((name for name, preset in MODELS.items() if variant and preset.variant == variant), None)


def checkpoints_of(variant):
    """The checkpoints of `variant`, in table order."""
    model = model_of_variant(variant)
    return [checkpoint for checkpoint in CHECKPOINTS if model is not None and checkpoint.model == model]


def _resolve(variant, name):
    table = {checkpoint.name: checkpoint for checkpoint in checkpoints_of(variant)}
    if name in table:
        return table[name]
    return next((table[target] for target in ALIASES.get(name, ()) if target in table), None)


def weights_names(variant):
    """The names `get_checkpoint` accepts for `variant` (its checkpoints, then aliases); [] if none."""
    names = [checkpoint.name for checkpoint in checkpoints_of(variant)]
    return names + [alias for alias in ALIASES if alias not in names and _resolve(variant, alias) is not None]


def variants_with_checkpoints():
    """The variants with at least one checkpoint."""
    return [preset.variant for preset in MODELS.values() if preset.variant and checkpoints_of(preset.variant)]


def get_checkpoint(variant, name):
    """The checkpoint `name` (or the alias `name`) of `variant`; ValueError naming the known ones if there is none."""
    checkpoint = _resolve(variant, name)
    if checkpoint is not None:
        return checkpoint
    known = weights_names(variant)
    if known:
        message = f"Unknown weights name for variant {variant!r}. Known names: {known}. "
    else:
        message = (
            f"No checkpoints are registered for variant {variant!r}; variants with checkpoints: "
            f"{variants_with_checkpoints()}. "
        )
    raise ValueError(message + f"Received: weights={name!r}")


def checkpoint_finder(variant):
    """`name → Checkpoint` of `variant`, what `weights.load.resolve` calls; None for a custom model."""
    if variant is None:
        return None
    return lambda name: get_checkpoint(variant, name)


def names_doc(variant):
    """The weights names of `variant` for a docstring."""
    names = weights_names(variant) if variant else []
    return ", ".join(repr(n) for n in names) if names else "none registered for this variant"


def register(checkpoint):
    """Adds `checkpoint` to `CHECKPOINTS`, replacing the row of the same model and name."""
    if not isinstance(checkpoint, Checkpoint) or checkpoint.model not in MODELS:
        raise TypeError(
            f"register() expects a Checkpoint whose `model` is a name of MODELS. Received: checkpoint={checkpoint!r}"
        )
    for i, row in enumerate(CHECKPOINTS):
        if (row.model, row.name) == (checkpoint.model, checkpoint.name):
            CHECKPOINTS[i] = checkpoint
            return
    CHECKPOINTS.append(checkpoint)
