"""One random checkpoint in the official `.npz` layout, shared by every implementation under test.

Written from the layout itself (google-research/vision_transformer names and shapes), not from a
keras_vit model, so loading it also checks each implementation's converter. NumPy only.
"""

import numpy as np


def random_checkpoint(sizes, image_size=224, classes=1000, seed=0):
    """`{official name: float32 array}` with random values of a sensible scale.

    `sizes` is `decode_variant`'s dict (hidden_size, depth, num_heads, mlp_dim, patch_size).

    Kernels are N(0, 1/fan_in) so activations stay O(1) through the depth; LayerNorm scales are
    1 + N(0, 0.1) and biases N(0, 0.02), so that no parameter is trivially zero or one and a
    transposed or swapped tensor shows up in the logits. The head is random too (the official
    zero-initialised head would make every logit equal).
    """
    d, p, h, mlp = sizes["hidden_size"], sizes["patch_size"], sizes["num_heads"], sizes["mlp_dim"]
    if image_size % p:
        raise ValueError(f"`image_size` must be divisible by the patch size {p}. Received: image_size={image_size}")
    tokens = (image_size // p) ** 2 + 1
    rng = np.random.default_rng(seed)

    def kernel(shape, fan_in):
        return (rng.standard_normal(shape) / np.sqrt(fan_in)).astype(np.float32)

    def small(shape):
        return (0.02 * rng.standard_normal(shape)).astype(np.float32)

    def norm(prefix):
        return {f"{prefix}/scale": (1 + 0.1 * rng.standard_normal(d)).astype(np.float32), f"{prefix}/bias": small(d)}

    params = {
        "embedding/kernel": kernel((p, p, 3, d), p * p * 3),
        "embedding/bias": small(d),
        "cls": small((1, 1, d)),
        "Transformer/posembed_input/pos_embedding": small((1, tokens, d)),
    }
    for i in range(sizes["depth"]):
        block = f"Transformer/encoderblock_{i}"
        params.update(norm(f"{block}/LayerNorm_0"))
        params.update(norm(f"{block}/LayerNorm_2"))
        attention = f"{block}/MultiHeadDotProductAttention_1"
        for name in ("query", "key", "value"):
            params[f"{attention}/{name}/kernel"] = kernel((d, h, d // h), d)
            params[f"{attention}/{name}/bias"] = small((h, d // h))
        params[f"{attention}/out/kernel"] = kernel((h, d // h, d), d)
        params[f"{attention}/out/bias"] = small(d)
        params[f"{block}/MlpBlock_3/Dense_0/kernel"] = kernel((d, mlp), d)
        params[f"{block}/MlpBlock_3/Dense_0/bias"] = small(mlp)
        params[f"{block}/MlpBlock_3/Dense_1/kernel"] = kernel((mlp, d), mlp)
        params[f"{block}/MlpBlock_3/Dense_1/bias"] = small(d)
    params.update(norm("Transformer/encoder_norm"))
    params["head/kernel"] = kernel((d, classes), d)
    params["head/bias"] = small(classes)
    return params


def write_random_checkpoint(path, sizes, image_size=224, classes=1000, seed=0):
    """Writes `random_checkpoint(...)` to `path` (uncompressed `.npz`, as the released files); returns `path`."""
    np.savez(path, **random_checkpoint(sizes, image_size, classes, seed))
    return str(path)


def images(batch, image_size, seed=0):
    """The benchmark's input: `(batch, size, size, 3)` float32 uniform in [-1, 1] (preprocessed pixels)."""
    rng = np.random.default_rng(1000 + seed)
    return rng.uniform(-1.0, 1.0, (batch, image_size, image_size, 3)).astype(np.float32)


def labels(batch, classes, seed=0):
    rng = np.random.default_rng(2000 + seed)
    return rng.integers(0, classes, batch).astype(np.int32)
