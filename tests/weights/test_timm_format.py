"""timm and DeiT state dicts against timm itself: tiny timm models with seeded random weights, saved the way users
do (`torch.save(state_dict)`, DeiT's `{"model": ...}`, `safetensors.torch.save_file`), loaded by keras_vit, logits
compared with timm's forward; at a second resolution against timm's own resize; and back (`export_timm`).
keras_vit gets [-1, 1] pixels (`preprocess_input`) and timm the same images as its transforms give each family:
ImageNet mean/std for DeiT's, so the models' `PixelNormalization` is checked too."""

import keras
import numpy as np
import pytest
from torch_subprocess import requires, run_torch

import keras_vit
from keras_vit.models.from_checkpoint import model_from_checkpoint
from keras_vit.weights import formats

pytestmark = requires("torch", "timm", "safetensors")

TINY = dict(patch_size=8, embed_dim=32, depth=2, num_heads=2, mlp_ratio=2.0, num_classes=10)
# family → (timm class, its keyword arguments beyond TINY, timm architecture name for the export)
FAMILIES = {
    "vit": ("VisionTransformer", {}, "vit_small_patch16_224"),
    "gap": ("VisionTransformer", dict(class_token=False, global_pool="avg"), "vit_small_patch16_224"),
    "gap_cls": ("VisionTransformer", dict(global_pool="avg"), "vit_small_patch16_224"),
    "distilled": ("VisionTransformerDistilled", {}, "deit_tiny_distilled_patch16_224"),
    "deit3": ("VisionTransformer", dict(no_embed_class=True, init_values=1e-6), "deit3_small_patch16_224"),
    "reg": ("VisionTransformer", dict(reg_tokens=4, no_embed_class=True), "vit_small_patch16_224"),
    "reg_embedded": ("VisionTransformer", dict(reg_tokens=2), "vit_small_patch16_224"),
}
SIZE, RESIZED = 32, 48
KERAS_TINY = dict(patch_size=8, hidden_size=32, depth=2, num_heads=2, mlp_dim=64)

PRELUDE = """
import torch, safetensors.torch
import_torchvision()
import timm
from timm.models.vision_transformer import VisionTransformer, checkpoint_filter_fn
from timm.models.deit import VisionTransformerDistilled
CLASSES = {"VisionTransformer": VisionTransformer, "VisionTransformerDistilled": VisionTransformerDistilled}
TINY = %r
FAMILIES = %r
IMAGENET = {"distilled", "deit3"}  # DeiT's families: trained on ImageNet mean/std pixels, as timm's cfgs say
MEAN = torch.tensor(timm.data.IMAGENET_DEFAULT_MEAN).view(1, 3, 1, 1)
STD = torch.tensor(timm.data.IMAGENET_DEFAULT_STD).view(1, 3, 1, 1)


def pixels(name, family):  # the [-1, 1] images keras_vit gets, as timm's transforms give them to this family
    x = torch.from_numpy(inputs[name]).permute(0, 3, 1, 2)
    return ((x + 1) / 2 - MEAN) / STD if family in IMAGENET else x


def make(family, img_size):
    cls, extra, _ = FAMILIES[family]
    return CLASSES[cls](img_size=img_size, **TINY, **extra).eval()
"""

REFERENCE = """
for index, family in enumerate(FAMILIES):
    torch.manual_seed(index)
    model = make(family, %d)
    with torch.no_grad():  # every parameter away from its initialisation (LayerScale's 1e-6, zero biases, ...)
        for name, p in model.named_parameters():
            p.copy_(torch.randn_like(p) * (0.3 if p.ndim > 1 else 0.5) + (1.0 if name.endswith("gamma") else 0.0))
    state = model.state_dict()
    torch.save(state, f"{workdir}/{family}.pth")
    safetensors.torch.save_file(state, f"{workdir}/{family}.safetensors")
    if family == "distilled":
        torch.save({"model": state}, f"{workdir}/distilled_wrapped.pth")  # DeiT's files
    if family == "deit3":  # Facebook's DeiT III files: gamma_1 / gamma_2
        fb = {k.replace("ls1.gamma", "gamma_1").replace("ls2.gamma", "gamma_2"): v for k, v in state.items()}
        torch.save({"model": fb}, f"{workdir}/deit3_fb.pth")
    with torch.no_grad():
        outputs[family] = model(pixels("images", family)).numpy()
        outputs[family + "_features"] = model.forward_features(pixels("images", family)).numpy()
        bigger = make(family, %d)  # timm's own resize of the checkpoint's position embedding
        bigger.load_state_dict(checkpoint_filter_fn(state, bigger))
        outputs[family + "_resized"] = bigger(pixels("resized", family)).numpy()
"""

EXPORTED = """
for family in FAMILIES:
    _, extra, arch = FAMILIES[family]
    overlay = dict(file=f"{workdir}/exported_{family}.safetensors", num_classes=TINY["num_classes"])
    model = timm.create_model(arch, pretrained=True, pretrained_cfg_overlay=overlay, img_size=%d, **TINY, **extra)
    with torch.no_grad():
        outputs[family] = model.eval()(pixels("images", family)).numpy()
"""


def relative_error(got, want):
    return float(np.abs(got - want).max() / np.abs(want).max())


def _images(size, seed):
    return np.random.default_rng(seed).uniform(-1, 1, (2, size, size, 3)).astype("float32")


@pytest.fixture(scope="module")
def timm_files(tmp_path_factory):
    """Every family's timm reference, built in one torch process: its files and its logits."""
    workdir = tmp_path_factory.mktemp("timm")
    inputs = {"images": _images(SIZE, 0), "resized": _images(RESIZED, 1)}
    script = PRELUDE % (TINY, FAMILIES) + REFERENCE % (SIZE, RESIZED)
    return workdir, inputs, run_torch(script, inputs, workdir)


def _load(path, **kwargs):
    return model_from_checkpoint(path, num_heads=2, classifier_activation=None, **kwargs)


def _logits(model, images):
    return keras.ops.convert_to_numpy(model(images))


@pytest.mark.parametrize("suffix", [".pth", ".safetensors"])
@pytest.mark.parametrize("family", list(FAMILIES))
def test_logits_equal_timm(timm_files, family, suffix):
    workdir, inputs, want = timm_files
    model = _load(workdir / f"{family}{suffix}")
    error = relative_error(_logits(model, inputs["images"]), want[family])
    print(f"timm {family} {suffix}: max relative logit difference {error:.2e}")
    assert error <= 1e-4


@pytest.mark.parametrize("family", list(FAMILIES))
def test_a_second_resolution_equals_timms_resize(timm_files, family):
    workdir, inputs, want = timm_files
    model = _load(workdir / f"{family}.safetensors", image_size=RESIZED)
    error = relative_error(_logits(model, inputs["resized"]), want[family + "_resized"])
    print(f"timm {family} at {RESIZED} px: max relative logit difference {error:.2e}")
    assert error <= 1e-4


@pytest.mark.parametrize("name", ["distilled_wrapped.pth", "deit3_fb.pth"])
def test_facebook_deit_files(timm_files, name):
    workdir, inputs, want = timm_files
    family = name.split("_")[0]
    error = relative_error(_logits(_load(workdir / name), inputs["images"]), want[family])
    assert error <= 1e-4


def test_distilled_features_are_the_class_token(timm_files):
    workdir, inputs, want = timm_files
    model = _load(workdir / "distilled.pth", include_top=False, pooling="token")
    features = want["distilled_features"][:, 0]
    assert relative_error(_logits(model, inputs["images"]), features) <= 1e-4


def test_deit_constructor_loads_a_timm_file_with_timm_numerics(timm_files):
    workdir, inputs, want = timm_files
    sizes = dict(KERAS_TINY, distilled=True, image_size=SIZE, classifier_activation=None)
    model = keras_vit.build_deit(**sizes, weights=str(workdir / "distilled.safetensors"))
    assert model.get_layer("encoderblock_0").gelu == "exact"
    assert relative_error(_logits(model, inputs["images"]), want["distilled"]) <= 1e-4
    tanh = keras_vit.build_deit(**sizes, weights=str(workdir / "distilled.safetensors"), gelu="tanh")
    assert tanh.get_layer("encoderblock_0").gelu == "tanh"  # a user's override wins


def test_describe_names_the_family(timm_files):
    workdir, _, _ = timm_files
    info = formats.TIMM.describe(formats.read_arrays(workdir / "distilled.pth"))
    assert info["prefix_tokens"] == {"cls": 1, "dist": 1} and info["distilled"] and info["classes"] == 10
    info = formats.TIMM.describe(formats.read_arrays(workdir / "reg.safetensors"))
    assert info["register_tokens"] == 4 and info["grid_side"] == SIZE // 8


@pytest.fixture(scope="module")
def exported(timm_files, tmp_path_factory):
    """Each family as a keras_vit model with random weights of its own, exported, and timm's logits of the file."""
    workdir = tmp_path_factory.mktemp("exported")
    _, inputs, _ = timm_files
    wanted = {}
    for index, family in enumerate(FAMILIES):
        model = _load(timm_files[0] / f"{family}.pth")
        rng = np.random.default_rng(100 + index)
        for variable in model.weights:  # not timm's weights: e.g. a class-token posemb row DeiT III has no place for
            variable.assign(rng.standard_normal(variable.shape).astype("float32") * 0.3)
        wanted[family] = _logits(model, inputs["images"])
        # None: inferred (DeiT III, register models: no prefix rows); the one timm model of other rows says so.
        no_embed_class = False if family == "reg_embedded" else None
        keras_vit.export_timm(model, workdir / f"exported_{family}.safetensors", no_embed_class=no_embed_class)
    script = PRELUDE % (TINY, FAMILIES) + EXPORTED % SIZE
    return wanted, run_torch(script, inputs, workdir)


@pytest.mark.parametrize("family", list(FAMILIES))
def test_exported_file_gives_timm_the_same_logits(exported, family):
    wanted, got = exported
    error = relative_error(got[family], wanted[family])
    print(f"export_timm {family}: max relative logit difference {error:.2e}")
    assert error <= 1e-4


def test_an_unsupported_family_is_named(tmp_path):
    swin = {
        "patch_embed.proj.weight": np.zeros((32, 3, 4, 4), "float32"),
        "layers.0.blocks.0.attn.qkv.weight": np.zeros((96, 32), "float32"),
        "layers.0.blocks.0.attn.relative_position_bias_table": np.zeros((49, 2), "float32"),
    }
    from keras_vit.weights.safetensors_file import write_safetensors

    write_safetensors(swin, tmp_path / "swin.safetensors")
    with pytest.raises(ValueError, match="looks like a Swin Transformer state dict"):
        model_from_checkpoint(tmp_path / "swin.safetensors")
    with pytest.raises(ValueError, match="looks like a timm ConvNeXt state dict"):
        formats.adapter_for(["stem.0.weight", "stages.0.blocks.0.conv_dw.weight"])


def test_a_timm_vit_with_other_parts_names_them(timm_files):
    workdir, _, _ = timm_files
    arrays = formats.read_arrays(workdir / "vit.safetensors")
    arrays["blocks.0.attn.q_norm.weight"] = np.ones(16, "float32")  # timm's qk_norm
    with pytest.raises(ValueError, match=r"unknown keys \['blocks.0.attn.q_norm.weight'\]"):
        formats.TIMM.to_canonical(arrays)


def test_export_needs_a_learned_posemb(tmp_path):
    model = keras_vit.ViT(image_size=32, posemb="sincos2d", **KERAS_TINY)
    with pytest.raises(ValueError, match="posemb='learned'"):
        keras_vit.export_timm(model, tmp_path / "model.safetensors")


def test_another_class_count_renews_both_distilled_heads(timm_files):
    workdir, inputs, want = timm_files
    with pytest.warns(UserWarning, match="head was left freshly initialised"):
        model = _load(workdir / "distilled.pth", classes=3)
    assert model.output_shape == (None, 3) and model.get_layer("head_dist").units == 3
    features = _load(workdir / "distilled.pth", include_top=False, pooling="token")
    np.testing.assert_allclose(
        _logits(features, inputs["images"]), want["distilled_features"][:, 0], rtol=1e-4, atol=1e-5
    )
