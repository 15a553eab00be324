"""Independent NumPy reference of the official hybrid's ResNet (google-research/vision_transformer
`models_resnet.py` and the root in `models_vit.py`); shares no code with keras_vit.

Numerics of the official code: StdConv standardises each output channel's kernel over (kh, kw, cin) as
`(w - mean) / (std + 1e-5)` (population std); flax SAME padding puts the odd extra row/column at the end;
GroupNorm has 32 groups and epsilon 1e-6; the max-pool pads with -inf.
"""

import numpy as np


def same_pads(size, kernel, stride):
    """(before, after) padding of TF/flax SAME along one axis."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def standardize(w, eps=1e-5):
    mean = w.mean(axis=(0, 1, 2), keepdims=True)
    std = w.std(axis=(0, 1, 2), keepdims=True)
    return (w - mean) / (std + eps)


def conv2d_same(x, w, stride=1):
    """Cross-correlation of (n, H, W, cin) with (k, k, cin, cout), SAME padding, as an explicit sum over taps."""
    k = w.shape[0]
    pads = [same_pads(x.shape[1], k, stride), same_pads(x.shape[2], k, stride)]
    xp = np.pad(x, [(0, 0), pads[0], pads[1], (0, 0)])
    oh, ow = -(-x.shape[1] // stride), -(-x.shape[2] // stride)
    out = np.zeros((x.shape[0], oh, ow, w.shape[-1]), dtype=np.float64)
    for ky in range(k):
        for kx in range(k):
            window = xp[:, ky : ky + stride * (oh - 1) + 1 : stride, kx : kx + stride * (ow - 1) + 1 : stride]
            out += np.einsum("nhwc,cd->nhwd", window, w[ky, kx])
    return out


def std_conv(x, w, stride=1, eps=1e-5):
    return conv2d_same(x, standardize(w, eps), stride)


def group_norm(x, scale, bias, groups=32, eps=1e-6):
    n, h, w, c = x.shape
    g = x.reshape(n, h, w, groups, c // groups)
    mean = g.mean(axis=(1, 2, 4), keepdims=True)
    var = g.var(axis=(1, 2, 4), keepdims=True)
    g = (g - mean) / np.sqrt(var + eps)
    return g.reshape(n, h, w, c) * scale.reshape(-1) + bias.reshape(-1)


def max_pool_same(x, k=3, stride=2):
    pads = [same_pads(x.shape[1], k, stride), same_pads(x.shape[2], k, stride)]
    xp = np.pad(x, [(0, 0), pads[0], pads[1], (0, 0)], constant_values=-np.inf)
    oh, ow = -(-x.shape[1] // stride), -(-x.shape[2] // stride)
    out = np.full((x.shape[0], oh, ow, x.shape[-1]), -np.inf)
    for ky in range(k):
        for kx in range(k):
            out = np.maximum(
                out, xp[:, ky : ky + stride * (oh - 1) + 1 : stride, kx : kx + stride * (ow - 1) + 1 : stride]
            )
    return out


def relu(x):
    return np.maximum(x, 0)


def unit(x, p, prefix, stride):
    """Bottleneck unit `prefix` ("block1/unit1"); the projection is used when the checkpoint has one."""

    def gn(y, name):
        return group_norm(y, p[f"{prefix}/{name}/scale"], p[f"{prefix}/{name}/bias"])

    residual = x
    if f"{prefix}/conv_proj/kernel" in p:
        residual = gn(std_conv(x, p[f"{prefix}/conv_proj/kernel"], stride), "gn_proj")
    y = relu(gn(std_conv(x, p[f"{prefix}/conv1/kernel"]), "gn1"))
    y = relu(gn(std_conv(y, p[f"{prefix}/conv2/kernel"], stride), "gn2"))
    y = gn(std_conv(y, p[f"{prefix}/conv3/kernel"]), "gn3")
    return relu(residual + y)


def resnet(images, p):
    """Root + stages of a checkpoint (stages and units read from its keys) → feature map, float64."""
    p = {k: np.asarray(v, dtype=np.float64) for k, v in p.items()}
    x = std_conv(images.astype(np.float64), p["conv_root/kernel"], stride=2)
    x = max_pool_same(relu(group_norm(x, p["gn_root/scale"], p["gn_root/bias"])))
    stages = sorted({int(k.split("/")[0][5:]) for k in p if k.startswith("block")})
    for s in stages:
        units = sorted({int(k.split("/")[1][4:]) for k in p if k.startswith(f"block{s}/")})
        for u in units:
            x = unit(x, p, f"block{s}/unit{u}", 2 if s > 1 and u == 1 else 1)
    return x


def random_resnet(blocks=(2, 1), width=32, seed=0, legacy_gn=False):
    """Random ResNet parameters with the official names and shapes; GN as (C,) or legacy (1, 1, 1, C)."""
    rng = np.random.default_rng(seed)
    p = {}

    def conv(name, k, cin, cout):
        p[f"{name}/kernel"] = (rng.standard_normal((k, k, cin, cout)) * 0.1 + 0.02).astype("float32")

    def gn(name, c):
        shape = (1, 1, 1, c) if legacy_gn else (c,)
        p[f"{name}/scale"] = (1 + 0.3 * rng.standard_normal(shape)).astype("float32")
        p[f"{name}/bias"] = (0.3 * rng.standard_normal(shape)).astype("float32")

    conv("conv_root", 7, 3, width)
    gn("gn_root", width)
    cin = width
    for s, units in enumerate(blocks, 1):
        features = width * 2 ** (s - 1)
        for u in range(1, units + 1):
            prefix = f"block{s}/unit{u}"
            if cin != 4 * features or (s > 1 and u == 1):
                conv(f"{prefix}/conv_proj", 1, cin, 4 * features)
                gn(f"{prefix}/gn_proj", 4 * features)
            conv(f"{prefix}/conv1", 1, cin, features)
            gn(f"{prefix}/gn1", features)
            conv(f"{prefix}/conv2", 3, features, features)
            gn(f"{prefix}/gn2", features)
            conv(f"{prefix}/conv3", 1, features, 4 * features)
            gn(f"{prefix}/gn3", 4 * features)
            cin = 4 * features
    return p, cin
