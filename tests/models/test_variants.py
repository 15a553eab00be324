"""Named variants: sizes of the paper's Table 1 and the keras.applications signature."""

import inspect

import pytest

import keras_vit


def vit_params(hidden, depth, mlp, patch, classes=1000, image=224):
    """Closed-form parameter count of a class-token ViT (no pre-logits)."""
    tokens = (image // patch) ** 2 + 1
    embedding = patch * patch * 3 * hidden + hidden
    block = 4 * (hidden * hidden + hidden) + 2 * hidden * mlp + mlp + hidden + 4 * hidden
    return embedding + hidden + tokens * hidden + depth * block + 2 * hidden + hidden * classes + classes


@pytest.mark.parametrize(
    "constructor,sizes",
    [
        (keras_vit.ViTTi16, (192, 12, 768, 16)),
        (keras_vit.ViTS32, (384, 12, 1536, 32)),
        (keras_vit.ViTB16, (768, 12, 3072, 16)),
    ],
)
def test_parameter_counts_match_the_closed_form(constructor, sizes):
    assert constructor().count_params() == vit_params(*sizes)


def test_table_1_sizes():
    # Paper, Table 1: B 86M, L 307M, H 632M. With a 1000-class head at 224 the closed form gives
    # 86.6M, 304.3M (timm reports the same 304.3M; the paper rounds differently) and 632.0M.
    for sizes, paper in [((768, 12, 3072, 16), 86), ((1024, 24, 4096, 16), 307), ((1280, 32, 5120, 14), 632)]:
        assert abs(vit_params(*sizes) / 1e6 - paper) / paper < 0.01


def test_keras_applications_signature():
    names = list(inspect.signature(keras_vit.ViTB16).parameters)
    assert names[:7] == [
        "include_top",
        "weights",
        "input_tensor",
        "input_shape",
        "pooling",
        "classes",
        "classifier_activation",
    ]
    assert {"image_size", "dropout", "name"} <= set(names)


def test_decode_variant_and_its_errors():
    assert keras_vit.decode_variant("L/14") == dict(
        hidden_size=1024, depth=24, num_heads=16, mlp_dim=4096, patch_size=14
    )
    with pytest.raises(ValueError, match="Received: variant='X/16'"):
        keras_vit.decode_variant("X/16")


def test_include_top_false_and_input_tensor():
    import keras

    inputs = keras.Input((64, 64, 3))
    model = keras_vit.ViTTi16(include_top=False, pooling="avg", input_tensor=inputs, image_size=64)
    assert model.output_shape == (None, 192)
    assert model.inputs[0] is inputs
