"""Block and ResNet-unit numerics where the reference tests cannot see them: each LayerNorm's and GroupNorm's
epsilon on low-amplitude inputs (NumPy references), and stochastic depth's 1/keep_prob rescaling."""

import keras
import numpy as np
import pytest
import reference
import resnet_reference

from keras_vit.layers import TransformerBlock
from keras_vit.layers.resnet_unit import ResNetUnit

HIDDEN, HEADS, MLP = 16, 2, 32
B = reference.BLOCK.format(i=0)


def block_params(rng, branch_scale=1e-3):
    """One block in the official names; the branches' output projections are small, so the residual stream stays
    of the input's (tiny) amplitude and both LayerNorms see a variance near their epsilon."""
    att = B + "MultiHeadDotProductAttention_1/"
    head_dim = HIDDEN // HEADS
    p = {
        B + "LayerNorm_0/scale": 1 + 0.2 * rng.standard_normal(HIDDEN),
        B + "LayerNorm_0/bias": 0.2 * rng.standard_normal(HIDDEN),
    }
    p.update(
        {
            B + "LayerNorm_2/scale": 1 + 0.2 * rng.standard_normal(HIDDEN),
            B + "LayerNorm_2/bias": 0.2 * rng.standard_normal(HIDDEN),
        }
    )
    for name in ("query", "key", "value"):
        p[att + name + "/kernel"] = 0.3 * rng.standard_normal((HIDDEN, HEADS, head_dim))
        p[att + name + "/bias"] = 0.1 * rng.standard_normal((HEADS, head_dim))
    p[att + "out/kernel"] = branch_scale * rng.standard_normal((HEADS, head_dim, HIDDEN))
    p[att + "out/bias"] = np.zeros(HIDDEN)
    p[B + "MlpBlock_3/Dense_0/kernel"] = 0.3 * rng.standard_normal((HIDDEN, MLP))
    p[B + "MlpBlock_3/Dense_0/bias"] = 0.1 * rng.standard_normal(MLP)
    p[B + "MlpBlock_3/Dense_1/kernel"] = branch_scale * rng.standard_normal((MLP, HIDDEN))
    p[B + "MlpBlock_3/Dense_1/bias"] = np.zeros(HIDDEN)
    return p


def reference_block(x, p, eps0, eps2):
    y = reference.layer_norm(x, p[B + "LayerNorm_0/scale"], p[B + "LayerNorm_0/bias"], eps0)
    x = x + reference.attention_block(y, p, B, HEADS)[0]
    y = reference.layer_norm(x, p[B + "LayerNorm_2/scale"], p[B + "LayerNorm_2/bias"], eps2)
    y = reference.gelu_tanh(y @ p[B + "MlpBlock_3/Dense_0/kernel"] + p[B + "MlpBlock_3/Dense_0/bias"])
    return x + y @ p[B + "MlpBlock_3/Dense_1/kernel"] + p[B + "MlpBlock_3/Dense_1/bias"]


def assign_block(block, p):
    att = B + "MultiHeadDotProductAttention_1/"
    for norm, name in ((block.norm1, "LayerNorm_0"), (block.norm2, "LayerNorm_2")):
        norm.gamma.assign(p[B + name + "/scale"])
        norm.beta.assign(p[B + name + "/bias"])
    for name in ("query", "key", "value", "out"):
        getattr(block.attention, f"{name}_kernel").assign(p[att + name + "/kernel"])
        getattr(block.attention, f"{name}_bias").assign(p[att + name + "/bias"])
    for dense, name in ((block.mlp_dense_0, "Dense_0"), (block.mlp_dense_1, "Dense_1")):
        dense.kernel.assign(p[B + "MlpBlock_3/" + name + "/kernel"])
        dense.bias.assign(p[B + "MlpBlock_3/" + name + "/bias"])


@pytest.mark.parametrize("epsilon", [1e-12, 1e-2])
def test_both_layer_norms_use_the_block_epsilon_on_low_amplitude_tokens(epsilon):
    rng = np.random.default_rng(0)
    p = block_params(rng)
    x = 1e-3 * rng.standard_normal((2, 5, HIDDEN))
    want = reference_block(x, p, epsilon, epsilon)
    change = np.abs(want - x).max()  # what the branches add: the part the epsilons shape
    # Each LayerNorm's epsilon alone, if it were the official 1e-6 or Keras' default 1e-3, moves the output by far
    # more than the tolerance below.
    for wrong in (e for e in (1e-6, 1e-3) if abs(np.log10(e / epsilon)) > 2):
        for other in ((wrong, epsilon), (epsilon, wrong)):
            assert np.abs(reference_block(x, p, *other) - want).max() > 0.05 * change
    block = TransformerBlock(HEADS, MLP, layer_norm_epsilon=epsilon)
    block.build((2, 5, HIDDEN))
    assign_block(block, p)
    got = keras.ops.convert_to_numpy(block(x.astype("float32")))
    np.testing.assert_allclose(got - x, want - x, atol=2e-3 * change)


def test_stochastic_depth_rescales_kept_samples_by_one_over_keep_prob():
    # With the MLP's output zeroed, a sample's output is x, or x + attention / keep_prob: its expectation over the
    # draws is the inference output x + attention.
    rate, n = 0.3, 4000
    block = TransformerBlock(HEADS, MLP, drop_path=rate)
    block.build((n, 3, HIDDEN))
    block.mlp_dense_1.kernel.assign(np.zeros((MLP, HIDDEN)))
    block.mlp_dense_1.bias.assign(np.zeros(HIDDEN))
    x = np.tile(np.random.default_rng(1).standard_normal((1, 3, HIDDEN)).astype("float32"), (n, 1, 1))
    branch = keras.ops.convert_to_numpy(block(x)) - x
    assert np.abs(branch).max() > 0.1
    trained = keras.ops.convert_to_numpy(block(x, training=True)) - x
    kept = np.abs(trained).max(axis=(1, 2)) > 0
    np.testing.assert_allclose(
        trained[kept], np.broadcast_to(branch[:1] / (1 - rate), trained[kept].shape), rtol=1e-4, atol=1e-5
    )
    np.testing.assert_array_equal(trained[~kept], 0)
    assert abs(kept.mean() - (1 - rate)) < 4 * np.sqrt(rate * (1 - rate) / n)  # 4 standard errors
    np.testing.assert_allclose(
        trained.mean(0), branch[0], atol=4 * np.abs(branch).max() * np.sqrt(rate / (1 - rate) / n)
    )


def unit_params(rng, cin, features, prefix="block1/unit1"):
    p = {}
    shapes = dict(
        conv1=(1, 1, cin, features),
        conv2=(3, 3, features, features),
        conv3=(1, 1, features, 4 * features),
        conv_proj=(1, 1, cin, 4 * features),
    )
    for conv, shape in shapes.items():
        p[f"{prefix}/{conv}/kernel"] = (rng.standard_normal(shape) * 0.1 + 0.02).astype("float32")
        gn = conv.replace("conv", "gn")
        p[f"{prefix}/{gn}/scale"] = (1 + 0.3 * rng.standard_normal(shape[-1])).astype("float32")
        p[f"{prefix}/{gn}/bias"] = (0.3 * rng.standard_normal(shape[-1])).astype("float32")
    return p


def test_every_group_norm_of_a_unit_uses_epsilon_1e6_on_low_amplitude_input():
    # Inputs of amplitude 1e-4: every GroupNorm (gn1, gn2, gn3 and gn_proj) sees a variance far below Keras'
    # default epsilon 1e-3, so only the official 1e-6 gives the reference's output.
    rng = np.random.default_rng(0)
    unit = ResNetUnit(32, strides=2)
    x = (1e-4 * rng.standard_normal((2, 6, 6, 64))).astype("float32")
    unit.build(x.shape)
    p = unit_params(rng, 64, 32)
    for conv in ("conv1", "conv2", "conv3", "conv_proj"):
        getattr(unit, conv).kernel.assign(p[f"block1/unit1/{conv}/kernel"])
        gn = getattr(unit, conv.replace("conv", "gn"))
        gn.gamma.assign(p[f"block1/unit1/{gn.name}/scale"])
        gn.beta.assign(p[f"block1/unit1/{gn.name}/bias"])
    want = resnet_reference.unit(x.astype("float64"), p, "block1/unit1", 2)
    assert np.abs(want).max() > 0.5
    np.testing.assert_allclose(keras.ops.convert_to_numpy(unit(x)), want, atol=2e-3)
    # The projection alone (the unit's shortcut) at epsilon 1e-6 as well.
    projected = resnet_reference.group_norm(
        resnet_reference.std_conv(x.astype("float64"), p["block1/unit1/conv_proj/kernel"], 2),
        p["block1/unit1/gn_proj/scale"],
        p["block1/unit1/gn_proj/bias"],
    )
    got = keras.ops.convert_to_numpy(unit.gn_proj(unit.conv_proj(x)))
    np.testing.assert_allclose(got, projected, atol=2e-3)
