"""Every bad input names the problem and the fix, never a silent wrong result."""

import zipfile

import numpy as np
import pytest
import reference

import keras_vit

TINY = dict(hidden_size=32, depth=2, num_heads=4, mlp_dim=64, patch_size=8)


def save(tmp_path, params, name="ckpt.npz"):
    path = tmp_path / name
    np.savez(path, **params)
    return str(path)


def test_image_size_not_divisible_by_patch():
    with pytest.raises(ValueError, match=r"divisible by the patch size \(8\); try 32. Received: image_size=36"):
        keras_vit.ViT(image_size=36, **TINY)


def test_unknown_weights_name_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"(?s)imagenet21k.*Received: weights='imagenet22k'"):
        keras_vit.ViTB16(weights="imagenet22k")


def test_registered_names_need_a_named_variant():
    with pytest.raises(ValueError, match="custom model a file path"):
        keras_vit.ViT(image_size=32, weights="imagenet", **TINY)


def test_missing_file_path():
    with pytest.raises(FileNotFoundError, match="No weights file"):
        keras_vit.ViT(image_size=32, weights="/nonexistent/ckpt.npz", **TINY)


def test_missing_unexpected_and_misshaped_keys_are_all_named(tmp_path):
    params = reference.random_checkpoint()
    del params["Transformer/encoderblock_1/LayerNorm_0/scale"]
    params["Transformer/encoderblock_0/extra/kernel"] = np.zeros(3, "float32")
    params["Transformer/encoderblock_0/MlpBlock_3/Dense_0/bias"] = np.zeros(65, "float32")
    with pytest.raises(ValueError) as info:
        keras_vit.ViT(image_size=32, weights=save(tmp_path, params), **TINY)
    message = str(info.value)
    assert "missing in the checkpoint: ['Transformer/encoderblock_1/LayerNorm_0/scale']" in message
    assert "unexpected in the checkpoint: ['Transformer/encoderblock_0/extra/kernel']" in message
    assert "Dense_0/bias: checkpoint (65,), model (64,)" in message


def test_checkpoint_of_another_architecture(tmp_path):
    params = reference.random_checkpoint(hidden=48, heads=4)
    with pytest.raises(ValueError, match="hidden_size: checkpoint 48, model 32"):
        keras_vit.ViT(image_size=32, weights=save(tmp_path, params), **TINY)
    with pytest.raises(ValueError, match="classifier: checkpoint 'token', model 'gap'"):
        keras_vit.ViT(image_size=32, classifier="gap", weights=save(tmp_path, reference.random_checkpoint()), **TINY)


def test_corrupt_and_truncated_files(tmp_path):
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not a zip file at all")
    with pytest.raises(ValueError, match="corrupt or truncated"):
        keras_vit.ViT(image_size=32, weights=str(garbage), **TINY)
    good = save(tmp_path, reference.random_checkpoint())
    data = open(good, "rb").read()
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="corrupt or truncated"):
        keras_vit.ViT(image_size=32, weights=str(truncated), **TINY)
    assert zipfile.is_zipfile(good)


def test_unknown_file_type(tmp_path):
    path = tmp_path / "weights.pt"
    path.write_bytes(b"x")
    with pytest.raises(ValueError, match=r"must end in .npz, .safetensors, .pth, .bin"):
        keras_vit.ViT(image_size=32, weights=str(path), **TINY)


def test_pretrained_model_needs_three_channels(tmp_path):
    with pytest.raises(ValueError, match="3-channel"):
        keras_vit.ViT(
            image_size=32, input_shape=(32, 32, 1), weights=save(tmp_path, reference.random_checkpoint()), **TINY
        )


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(pooling="max", include_top=False), "Received: pooling='max'"),
        (dict(classifier="gap", pooling="token", include_top=False), "no class token"),
        (dict(classifier="cls"), "Received: classifier='cls'"),
        (dict(posemb="rope"), "Received: posemb='rope'"),
        (dict(image_size=(32, 32, 3)), "Received: image_size"),
        (dict(classifier_activation="nonsense"), "nonsense"),
        (dict(input_shape=(None, None, 3)), "dynamic_image_size=True"),
        (dict(input_shape=(64, 64, 3)), r"name different sizes.*image_size=32, input_shape=\(64, 64, 3\)"),
        (dict(depth=0), r"`depth` must be a whole number >= 1. Received: depth=0"),
        (dict(patch_size=0), r"`patch_size` must be a whole number >= 1"),
        (dict(num_heads=2.0), r"`num_heads` must be a whole number >= 1. Received: num_heads=2.0"),
        (dict(classes=0), r"`classes` must be a whole number >= 1"),
        (dict(layer_norm_epsilon=-1e-6), r"`layer_norm_epsilon` must be > 0"),
        (dict(drop_path=1.0), r"`drop_path` must be a rate in \[0, 1\)"),
    ],
)
def test_bad_builder_arguments(kwargs, match):
    args = dict(image_size=32, **TINY)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        keras_vit.ViT(**args)


def test_input_shape_alone_sets_the_size():
    model = keras_vit.ViT(input_shape=(64, 48, 3), **TINY)
    assert tuple(model.input.shape[1:]) == (64, 48, 3)
    assert tuple(keras_vit.ViT(**TINY).input.shape[1:]) == (224, 224, 3)  # ViT's default resolution


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_checkpoint_with_nan_or_inf_is_refused(tmp_path, bad):
    params = reference.random_checkpoint()
    params["Transformer/encoderblock_1/MlpBlock_3/Dense_1/kernel"][3, 5] = bad
    with pytest.raises(
        ValueError, match=r"NaN or Inf values in \['Transformer/encoderblock_1/MlpBlock_3/Dense_1/kernel'\]"
    ):
        keras_vit.ViT(image_size=32, weights=save(tmp_path, params), **TINY)


@pytest.mark.parametrize(
    "key",
    [
        "embedding/kernel",
        "Transformer/encoderblock_0/MultiHeadDotProductAttention_1/query/kernel",
        "Transformer/encoderblock_0/MlpBlock_3/Dense_0/kernel",
    ],
)
def test_one_misshaped_tensor_is_named_not_taken_for_another_width(tmp_path, key):
    params = reference.random_checkpoint()
    shape = list(params[key].shape)
    shape[-1 if key != "Transformer/encoderblock_0/MultiHeadDotProductAttention_1/query/kernel" else 1] += 1
    params[key] = np.zeros(shape, "float32")
    with pytest.raises(ValueError, match=rf"mis-shaped: \['{key}: checkpoint \({', '.join(map(str, shape))},?\)"):
        keras_vit.ViT(image_size=32, weights=save(tmp_path, params), **TINY)
