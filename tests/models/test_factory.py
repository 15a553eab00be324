"""`create_model` / `list_models`: catalog and timm names map to the right constructor, resolution and weights."""

import numpy as np
import pytest

import keras_vit
from keras_vit.models import catalog


@pytest.fixture
def calls(monkeypatch):
    """Replaces the catalog's constructors with recorders (same `variant`), so no model is built."""
    calls = []
    for name, constructor in list(catalog.CONSTRUCTORS.items()):

        def record(name=name, **kwargs):
            calls.append((name, kwargs))

        record.variant = constructor.variant
        monkeypatch.setitem(catalog.CONSTRUCTORS, name, record)
    return calls


@pytest.mark.parametrize(
    "name, expected",
    [
        ("vit_b16", ("vit_b16", dict(weights=None))),
        ("vit_base_patch16_224", ("vit_b16", dict(weights=None, image_size=224))),
        ("vit_small_patch32_384", ("vit_s32", dict(weights=None, image_size=384))),
        ("vit_huge_patch14_224.orig_in21k", ("vit_h14", dict(weights="imagenet21k", image_size=224))),
        (
            "vit_large_patch16_384.orig_in21k_ft_in1k",
            ("vit_l16", dict(weights="imagenet21k+imagenet2012", image_size=384)),
        ),
        (
            "vit_large_patch16_224.orig_in21k_ft_in1k",
            ("vit_l16", dict(weights="imagenet21k+imagenet2012_224", image_size=224)),
        ),
        ("vit_base_patch8_224.augreg_in21k_ft_in1k", ("vit_b8", dict(weights="augreg_in21k_ft_in1k", image_size=224))),
        (
            "vit_base_patch16_384.augreg_in21k_ft_in1k",
            ("vit_b16", dict(weights="augreg_in21k_ft_in1k_384", image_size=384)),
        ),
        (
            "vit_tiny_r_s16_p8_384.augreg_in21k_ft_in1k",
            ("vit_rti16", dict(weights="augreg_in21k_ft_in1k_384", image_size=384)),
        ),
        ("vit_small_r26_s32_224.augreg_in21k", ("vit_r26_s32", dict(weights="augreg_in21k", image_size=224))),
        (
            "vit_base_r50_s16_384.orig_in21k_ft_in1k",
            ("vit_r50_b16", dict(weights="imagenet21k+imagenet2012", image_size=384)),
        ),
        ("vit_large_r50_s32_224", ("vit_r50_l32", dict(weights=None, image_size=224))),
    ],
)
def test_names_map_to_constructor_resolution_and_weights(calls, name, expected):
    keras_vit.create_model(name)
    assert calls == [expected]


def test_keywords_reach_the_constructor(calls):
    keras_vit.create_model("vit_s16", weights="augreg_in21k", classes=10, include_top=False)
    keras_vit.create_model("vit_small_patch16_224", classes=5, image_size=224)
    assert calls == [
        ("vit_s16", dict(weights="augreg_in21k", classes=10, include_top=False)),
        ("vit_s16", dict(weights=None, image_size=224, classes=5)),
    ]


@pytest.mark.parametrize(
    "name, kwargs, message",
    [
        ("vit_b17", {}, "Unknown model name"),
        ("vit_base_patch15_224", {}, "Unknown model name"),
        ("vit_b16.augreg_in21k", {}, r"weights by keyword: create_model\('vit_b16', weights=...\)"),
        ("vit_base_patch16_224.laion2b", {}, "Unknown pretrained tag"),
        ("vit_base_patch16_224.augreg_in21k", dict(weights="imagenet"), "names its weights already"),
        (
            "vit_base_patch16_224",
            dict(image_size=384),
            r"224-px model; for another resolution use create_model\('vit_b16'",
        ),
        # B/8 has no 384-px fine-tune: the error says what exists and how to resample.
        (
            "vit_base_patch8_384.augreg_in21k_ft_in1k",
            {},
            r"released: 224 px\).*weights='augreg_in21k_ft_in1k', image_size=384",
        ),
        ("vit_huge_patch14_224.augreg_in21k", {}, "No augreg_in21k checkpoint is registered for H/14"),
    ],
)
def test_bad_names_fail_with_the_fix(calls, name, kwargs, message):
    with pytest.raises(ValueError, match=message):
        keras_vit.create_model(name, **kwargs)
    assert calls == []


def test_list_models():
    assert keras_vit.list_models() == sorted(catalog.CONSTRUCTORS)
    assert keras_vit.list_models("vit_r*") == ["vit_r26_b32", "vit_r26_s32", "vit_r50_b16", "vit_r50_l32", "vit_rti16"]
    pretrained = keras_vit.list_models(pretrained=True)
    assert "vit_b16" in pretrained and "vit_r26_b32" not in pretrained  # no R26+B/32 checkpoint was released


def test_timm_name_builds_the_same_model_as_the_constructor():
    a = keras_vit.create_model("vit_tiny_patch16_32", classes=10)
    b = keras_vit.ViTTi16(image_size=32, classes=10)
    assert a.input_shape == b.input_shape == (None, 32, 32, 3)
    assert [(w.path, w.shape) for w in a.weights] == [(w.path, w.shape) for w in b.weights]
    assert a.count_params() == b.count_params()
    x = np.zeros((1, 32, 32, 3), "float32")
    assert a.predict(x, verbose=0).shape == (1, 10)


def test_command_line_takes_timm_names():
    from argparse import Namespace

    from keras_vit.commands.common import build_model

    model = build_model(Namespace(model="vit_tiny_patch16_32", weights=None, image_size=None, classes=10))
    assert model.input_shape == (None, 32, 32, 3) and model.output_shape == (None, 10)
