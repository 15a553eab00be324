"""Independent NumPy reference of the official ViT: checkpoints in the official layout and a forward pass.

Written from the paper's equations and the official code's numerics (tanh GELU, LayerNorm eps 1e-6,
pre-LN blocks, class token, learned 1-D posemb, pre_logits tanh); shares no code with keras_vit.
"""

import numpy as np

BLOCK = "Transformer/encoderblock_{i}/"


def random_checkpoint(
    seed=0,
    hidden=32,
    depth=2,
    heads=4,
    mlp=64,
    patch=8,
    grid=4,
    classes=10,
    representation_size=None,
    classifier="token",
    channels=3,
):
    """A random checkpoint with the official `.npz` names and shapes (values large enough to matter)."""
    rng = np.random.default_rng(seed)

    def normal(*shape, scale=0.2):
        return (rng.standard_normal(shape) * scale).astype("float32")

    head_dim = hidden // heads
    prefix = 1 if classifier == "token" else 0
    p = {
        "embedding/kernel": normal(patch, patch, channels, hidden, scale=0.05),
        "embedding/bias": normal(hidden),
        "Transformer/posembed_input/pos_embedding": normal(1, prefix + grid * grid, hidden),
        "Transformer/encoder_norm/scale": 1 + normal(hidden),
        "Transformer/encoder_norm/bias": normal(hidden),
        "head/kernel": normal(representation_size or hidden, classes),
        "head/bias": normal(classes),
    }
    if prefix:
        p["cls"] = normal(1, 1, hidden)
    if representation_size:
        p["pre_logits/kernel"] = normal(hidden, representation_size)
        p["pre_logits/bias"] = normal(representation_size)
    for i in range(depth):
        b = BLOCK.format(i=i)
        for ln in ("LayerNorm_0", "LayerNorm_2"):
            p[b + ln + "/scale"] = 1 + normal(hidden)
            p[b + ln + "/bias"] = normal(hidden)
        att = b + "MultiHeadDotProductAttention_1/"
        for name in ("query", "key", "value"):
            p[att + name + "/kernel"] = normal(hidden, heads, head_dim)
            p[att + name + "/bias"] = normal(heads, head_dim)
        p[att + "out/kernel"] = normal(heads, head_dim, hidden)
        p[att + "out/bias"] = normal(hidden)
        p[b + "MlpBlock_3/Dense_0/kernel"] = normal(hidden, mlp)
        p[b + "MlpBlock_3/Dense_0/bias"] = normal(mlp)
        p[b + "MlpBlock_3/Dense_1/kernel"] = normal(mlp, hidden)
        p[b + "MlpBlock_3/Dense_1/bias"] = normal(hidden)
    return p


def layer_norm(x, scale, bias, eps=1e-6):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * scale + bias


def gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))


def gelu_exact(x):
    from scipy.special import erf

    return 0.5 * x * (1 + erf(x / np.sqrt(2)))


GELU = {"tanh": gelu_tanh, "exact": gelu_exact}


def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis, keepdims=True))
    return e / e.sum(axis, keepdims=True)


def patchify(images, patch):
    """(n, H, W, C) → (n, gh * gw, patch * patch * C), rows in (ky, kx, c) order like a conv kernel."""
    n, h, w, c = images.shape
    x = images.reshape(n, h // patch, patch, w // patch, patch, c).transpose(0, 1, 3, 2, 4, 5)
    return x.reshape(n, (h // patch) * (w // patch), patch * patch * c)


def attention_block(x, p, b, heads):
    """Self-attention of block prefix `b`; returns output and weights (n, heads, T, T)."""
    att = b + "MultiHeadDotProductAttention_1/"
    q = np.einsum("ntd,dhk->nhtk", x, p[att + "query/kernel"]) + p[att + "query/bias"][None, :, None]
    k = np.einsum("ntd,dhk->nhtk", x, p[att + "key/kernel"]) + p[att + "key/bias"][None, :, None]
    v = np.einsum("ntd,dhk->nhtk", x, p[att + "value/kernel"]) + p[att + "value/bias"][None, :, None]
    weights = softmax(np.einsum("nhqk,nhsk->nhqs", q, k) / np.sqrt(q.shape[-1]))
    out = np.einsum("nhqs,nhsk->nqhk", weights, v)
    return np.einsum("nqhk,hkd->nqd", out, p[att + "out/kernel"]) + p[att + "out/bias"], weights


def encoder(tokens, p, heads, gelu="tanh", eps=1e-6):
    """Blocks + final norm on already embedded tokens."""
    x = tokens
    depth = len({k.split("/")[1] for k in p if k.startswith("Transformer/encoderblock_")})
    for i in range(depth):
        b = BLOCK.format(i=i)
        y = layer_norm(x, p[b + "LayerNorm_0/scale"], p[b + "LayerNorm_0/bias"], eps)
        x = x + attention_block(y, p, b, heads)[0]
        y = layer_norm(x, p[b + "LayerNorm_2/scale"], p[b + "LayerNorm_2/bias"], eps)
        y = GELU[gelu](y @ p[b + "MlpBlock_3/Dense_0/kernel"] + p[b + "MlpBlock_3/Dense_0/bias"])
        x = x + y @ p[b + "MlpBlock_3/Dense_1/kernel"] + p[b + "MlpBlock_3/Dense_1/bias"]
    return layer_norm(x, p["Transformer/encoder_norm/scale"], p["Transformer/encoder_norm/bias"], eps)


def forward(p, images, heads, posemb=None, gelu="tanh", eps=1e-6):
    """Logits of the official ViT for `images` (n, H, W, C) float; `posemb` overrides the checkpoint's;
    `gelu` ("tanh" official, "exact" erf) and `eps` (LayerNorm) for checkpoints of other numerics."""
    images = images.astype("float64")
    p = {k: v.astype("float64") for k, v in p.items()}
    kernel = p["embedding/kernel"]
    patch, hidden = kernel.shape[0], kernel.shape[-1]
    x = patchify(images, patch) @ kernel.reshape(-1, hidden) + p["embedding/bias"]
    if "cls" in p:
        x = np.concatenate([np.broadcast_to(p["cls"], (x.shape[0], 1, hidden)), x], axis=1)
    x = x + (p["Transformer/posembed_input/pos_embedding"] if posemb is None else posemb)
    x = encoder(x, p, heads, gelu, eps)
    x = x[:, 0] if "cls" in p else x.mean(1)
    if "pre_logits/kernel" in p:
        x = np.tanh(x @ p["pre_logits/kernel"] + p["pre_logits/bias"])
    return x @ p["head/kernel"] + p["head/bias"]
