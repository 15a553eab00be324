"""The preset table: every row consistent with the architecture it names, and everything else derived from it."""

import re
from importlib import resources

import pytest

import keras_vit
from keras_vit.layers.resnet_unit import resnet_stride
from keras_vit.models import catalog, configs, presets
from keras_vit.models.bit import DEPTHS
from keras_vit.training import recipes
from keras_vit.weights.checkpoint import FORMATS, GELUS, Checkpoint

CHECKPOINT_IDS = [f"{c.model}:{c.name}" for c in presets.CHECKPOINTS]
IN21K, IN1K = 21843, 1000


def _table_headers():
    """The `[models.NAME]` headers of presets.toml, as written (duplicates kept)."""
    text = resources.files("keras_vit.models").joinpath(presets.TABLE).read_text(encoding="utf-8")
    return re.findall(r"^\[models\.([A-Za-z0-9_]+)\]", text, flags=re.MULTILINE)


def _effective_patch(preset):
    blocks = preset.arguments.get("resnet_blocks")
    return preset.arguments["patch_size"] * (resnet_stride(blocks) if preset.family == "hybrid" else 1)


def test_names_are_unique():
    keys = _table_headers()  # every row was read (TOML itself rejects a repeated table)
    assert len(keys) == len(set(keys)) == len(presets.MODELS)
    assert len(CHECKPOINT_IDS) == len(set(CHECKPOINT_IDS))
    timm_names = [c.timm for c in presets.CHECKPOINTS if c.timm]
    assert len(timm_names) == len(set(timm_names))
    assert len({p.constructor for p in presets.MODELS.values() if p.constructor}) == len(catalog.CONSTRUCTORS)


@pytest.mark.parametrize("name", sorted(presets.MODELS))
def test_model_rows_are_consistent(name):
    preset = presets.MODELS[name]
    assert preset.kind in presets.KINDS and preset.family in presets.FAMILIES
    if preset.kind == "small":
        assert preset.variant is preset.constructor is preset.timm is None
        return
    width = preset.variant.split("+")[-1].partition("/")[0].split("-")[-1]
    if width in configs.WIDTHS:  # DeiT III-M is DeiT's own width
        assert tuple(preset.arguments[k] for k in configs.SIZES) == configs.WIDTHS[width]
    if preset.kind == "paper":
        assert preset.family == "vit" and preset.title == f"ViT-{preset.variant}"
        assert preset.arguments == configs.decode_variant(preset.variant)
        assert preset.timm.endswith(f"_patch{preset.variant.partition('/')[2]}")
    elif preset.kind == "deit":
        assert preset.family == "deit" and preset.timm.endswith(f"_patch{preset.arguments['patch_size']}")
        assert (
            preset.arguments.get("distilled", False) == ("distilled" in preset.timm) == ("distilled" in preset.variant)
        )
        assert ("layer_scale" in preset.arguments) == preset.timm.startswith("deit3_")
    elif preset.kind == "bit":
        depth, width = re.fullmatch(r"BiT-R(\d+)x(\d)", preset.variant).groups()
        assert preset.family == "bit" and preset.title == preset.variant
        assert preset.arguments == dict(blocks=DEPTHS[int(depth)], width_factor=int(width))
        assert preset.timm in (None, f"resnetv2_{depth}x{width}_bit")
    else:
        assert preset.family == "hybrid" and preset.title == preset.variant.replace("+", "+ViT-")
    constructor = getattr(keras_vit, preset.constructor)
    assert constructor.__name__ == preset.constructor and constructor.variant == preset.variant
    assert catalog.get_constructor(name) is constructor


@pytest.mark.parametrize("checkpoint", presets.CHECKPOINTS, ids=CHECKPOINT_IDS)
def test_checkpoint_rows_are_consistent(checkpoint):
    assert isinstance(checkpoint, Checkpoint)
    preset = presets.MODELS[checkpoint.model]
    assert preset.variant is not None, "checkpoints belong to a named variant"
    assert checkpoint.url.startswith("https://") and checkpoint.url.endswith(FORMATS[checkpoint.format])
    assert checkpoint.sha256 is None or len(checkpoint.sha256) == 64
    if checkpoint.format == "bit":  # BiT-S (ILSVRC-2012), BiT-M (ImageNet-21k) and BiT-M's ILSVRC-2012 fine-tune
        arch = preset.variant.removeprefix("BiT-")
        files = {"imagenet2012": (f"BiT-S-{arch}", IN1K), "imagenet21k": (f"BiT-M-{arch}", IN21K)}
        files["imagenet21k+imagenet2012"] = (f"BiT-M-{arch}-ILSVRC2012", IN1K)
        stem, classes = files[checkpoint.name]
        assert checkpoint.url == f"https://storage.googleapis.com/bit_models/{stem}.npz"
        assert checkpoint.classes == classes and checkpoint.timm is None
        return
    assert checkpoint.image_size % _effective_patch(preset) == 0
    assert checkpoint.pre_logits in (None, preset.arguments["hidden_size"])
    assert checkpoint.gelu in GELUS and 0 < checkpoint.layer_norm_epsilon < 1e-3
    tag = checkpoint.timm.partition(".")[2]
    assert checkpoint.timm == f"{preset.timm}_{checkpoint.image_size}.{tag}"
    if checkpoint.format != "npz":  # PyTorch-trained (DeiT, timm's fine-tunes): ImageNet-1k heads, timm's numerics
        assert checkpoint.classes == IN1K and tag.endswith("in1k") and checkpoint.name.startswith(tag)
        assert checkpoint.gelu == "exact" and checkpoint.layer_norm_epsilon == 1e-6
        return
    # The name, the URL and timm's tag tell the same data set and head.
    fine_tuned = checkpoint.name.startswith("imagenet21k+imagenet2012") or "ft_in1k" in checkpoint.name
    assert checkpoint.classes == (IN1K if fine_tuned else IN21K)
    assert tag.endswith("_ft_in1k") == fine_tuned
    assert ("imagenet2012" in checkpoint.url or "res_" in checkpoint.url) == fine_tuned
    assert checkpoint.timm == f"{preset.timm}_{checkpoint.image_size}.{tag}"


@pytest.mark.parametrize("checkpoint", [c for c in presets.CHECKPOINTS if c.timm], ids=lambda c: f"{c.model}:{c.name}")
def test_every_timm_name_resolves_to_its_row(checkpoint, monkeypatch):
    calls = []
    for name, constructor in list(catalog.CONSTRUCTORS.items()):

        def record(name=name, **kwargs):
            calls.append((name, kwargs))

        record.variant = constructor.variant
        monkeypatch.setitem(catalog.CONSTRUCTORS, name, record)
    keras_vit.create_model(checkpoint.timm)
    assert calls == [(checkpoint.model, dict(weights=checkpoint.name, image_size=checkpoint.image_size))]


def test_public_tables_are_derived_from_the_presets():
    assert keras_vit.VARIANTS == tuple(p.variant for p in presets.named("paper").values())
    assert list(keras_vit.HYBRIDS) == [p.variant for p in presets.named("hybrid").values()]
    assert keras_vit.HYBRIDS["R50+B/16"] == ("B", 1, (3, 4, 9))
    assert sorted(recipes.MODELS) == sorted(presets.named("small"))
    build, arguments = recipes.MODELS["vit_fmnist_hybrid"]
    assert build is keras_vit.ViTHybrid and arguments == presets.MODELS["vit_fmnist_hybrid"].arguments
    assert presets.weights_names("R26+B/32") == []  # no R26+B/32 checkpoint was released
    assert presets.weights_names("H/14") == ["imagenet21k"]


def test_register_replaces_the_row_of_the_same_name(monkeypatch):
    monkeypatch.setattr(presets, "CHECKPOINTS", list(presets.CHECKPOINTS))
    original = presets.get_checkpoint("B/16", "imagenet21k")
    mirror = original.__class__(**{**original.__dict__, "url": "https://mirror.example/ViT-B_16.npz"})
    presets.register(mirror)
    assert presets.get_checkpoint("B/16", "imagenet21k") is mirror
    assert len(presets.CHECKPOINTS) == len(CHECKPOINT_IDS)
    assert presets.weights_names("B/16")[0] == "imagenet21k"  # in place, not appended
    with pytest.raises(TypeError, match="Received: checkpoint="):
        presets.register(original.__class__(**{**original.__dict__, "model": "vit_b17"}))
