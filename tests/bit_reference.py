"""Independent NumPy reference of BiT's ResNet v2 (google-research/big_transfer `bit_jax/models.py`,
`bit_pytorch/models.py`, `bit_tf2/models.py`), reading parameters in BiT's own `.npz` layout; shares no code
with keras_vit.

The numerics of that code, in all three frameworks:
- weight standardisation per output channel over (kh, kw, cin): `(w - mean) / sqrt(var + 1e-10)`;
- GroupNorm: 32 groups, epsilon 1e-5, per-channel `gamma`/`beta`;
- `fixed_padding(x, k)`: `(k - 1) // 2` before, the rest after, then a VALID convolution (stride on the 3×3);
- root: StdConv 7×7/2 (no norm, no activation), zero padding of 1, max-pool 3×3/2 VALID; the zero padding is
  "subtly not the same" as -inf padding (bit_pytorch), since the root's output can be negative;
- unit: a = relu(gn1(x)); shortcut = x, or `a/proj` (1×1, strided) applied to a; conv1(a) → gn2 → relu →
  conv2 3×3 (stride) → gn3 → relu → conv3; out = shortcut + y (no activation after the sum);
- head: `resnet/group_norm` → relu → mean over (H, W) → `resnet/head/conv2d` 1×1 conv (kernel (1, 1, C, classes)).
"""

import re

import numpy as np

WS_EPS = 1e-10
GN_EPS = 1e-5
GROUPS = 32
BLOCKS = {50: (3, 4, 6, 3), 101: (3, 4, 23, 3), 152: (3, 8, 36, 3)}


def standardize(w, eps=WS_EPS):
    w = w - w.mean(axis=(0, 1, 2), keepdims=True)
    return w / np.sqrt(np.mean(w**2, axis=(0, 1, 2), keepdims=True) + eps)


def fixed_pad(x, k, value=0.0):
    before = (k - 1) // 2
    return np.pad(x, [(0, 0), (before, k - 1 - before), (before, k - 1 - before), (0, 0)], constant_values=value)


def conv_valid(x, w, stride):
    """Cross-correlation of (n, H, W, cin) with (k, k, cin, cout), VALID, as a sum over the kernel taps."""
    k = w.shape[0]
    oh, ow = (x.shape[1] - k) // stride + 1, (x.shape[2] - k) // stride + 1
    out = np.zeros((x.shape[0], oh, ow, w.shape[-1]))
    for ky in range(k):
        for kx in range(k):
            window = x[:, ky : ky + stride * (oh - 1) + 1 : stride, kx : kx + stride * (ow - 1) + 1 : stride]
            out += np.einsum("nhwc,cd->nhwd", window, w[ky, kx])
    return out


def std_conv(x, w, stride=1, ws_eps=WS_EPS):
    return conv_valid(fixed_pad(x, w.shape[0]), standardize(w, ws_eps), stride)


def group_norm(x, gamma, beta, groups=GROUPS, eps=GN_EPS):
    n, h, w, c = x.shape
    g = x.reshape(n, h, w, groups, c // groups)
    g = (g - g.mean(axis=(1, 2, 4), keepdims=True)) / np.sqrt(g.var(axis=(1, 2, 4), keepdims=True) + eps)
    return g.reshape(n, h, w, c) * gamma + beta


def max_pool_valid(x, k=3, stride=2):
    oh, ow = (x.shape[1] - k) // stride + 1, (x.shape[2] - k) // stride + 1
    out = np.full((x.shape[0], oh, ow, x.shape[-1]), -np.inf)
    for ky in range(k):
        for kx in range(k):
            window = x[:, ky : ky + stride * (oh - 1) + 1 : stride, kx : kx + stride * (ow - 1) + 1 : stride]
            out = np.maximum(out, window)
    return out


def relu(x):
    return np.maximum(x, 0)


def unit(x, p, prefix, stride, eps=None):
    """One pre-activation bottleneck unit, `prefix` = "resnet/block2/unit01/"."""
    eps = eps or {}

    def gn(y, group):
        return group_norm(
            y, p[f"{prefix}{group}/group_norm/gamma"], p[f"{prefix}{group}/group_norm/beta"], **eps.get("gn", {})
        )

    def conv(y, group, s=1):
        return std_conv(y, p[f"{prefix}{group}/standardized_conv2d/kernel"], s, **eps.get("ws", {}))

    a = relu(gn(x, "a"))
    shortcut = x
    if f"{prefix}a/proj/standardized_conv2d/kernel" in p:
        shortcut = std_conv(a, p[f"{prefix}a/proj/standardized_conv2d/kernel"], stride, **eps.get("ws", {}))
    y = conv(a, "a")
    y = conv(relu(gn(y, "b")), "b", stride)
    y = conv(relu(gn(y, "c")), "c")
    return y + shortcut


def stages(p):
    """{stage: units} read from the keys (`resnet/block{s}/unit{uu}/...`)."""
    found = {}
    for key in p:
        if m := re.match(r"resnet/block(\d+)/unit(\d+)/", key):
            found[int(m.group(1))] = max(found.get(int(m.group(1)), 0), int(m.group(2)))
    return dict(sorted(found.items()))


def features(images, p, root_stride=2, root_pool=True, groups=GROUPS, gn_eps=GN_EPS, ws_eps=WS_EPS):
    """Root and stages → the feature map, before the pre-head GroupNorm (float64)."""
    p = {k: np.asarray(v, dtype=np.float64) for k, v in p.items()}
    eps = dict(gn=dict(groups=groups, eps=gn_eps), ws=dict(ws_eps=ws_eps))
    x = std_conv(images.astype(np.float64), p["resnet/root_block/standardized_conv2d/kernel"], root_stride, ws_eps)
    if root_pool:
        x = max_pool_valid(fixed_pad(x, 3, value=0.0))
    for s, units in stages(p).items():
        for u in range(1, units + 1):
            x = unit(x, p, f"resnet/block{s}/unit{u:02d}/", 2 if s > 1 and u == 1 else 1, eps)
    return x, p


def pooled(images, p, groups=GROUPS, gn_eps=GN_EPS, **kwargs):
    """The pre-head GroupNorm → relu → global average: `(n, C)`, the pre-logits."""
    x, p = features(images, p, groups=groups, gn_eps=gn_eps, **kwargs)
    x = relu(group_norm(x, p["resnet/group_norm/gamma"], p["resnet/group_norm/beta"], groups, gn_eps))
    return x.mean(axis=(1, 2))


def logits(images, p, **kwargs):
    """The whole model: pre-logits through the 1×1 head conv."""
    x = pooled(images, p, **kwargs)
    kernel = np.asarray(p["resnet/head/conv2d/kernel"], dtype=np.float64)
    return x @ kernel.reshape(kernel.shape[-2], kernel.shape[-1]) + np.asarray(p["resnet/head/conv2d/bias"])


def random_bit(blocks=(1, 2), width=32, classes=5, root_kernel=7, channels=3, seed=0, kernel_scale=0.1, gn_scale=0.3):
    """Random parameters with BiT's names and shapes (`width` = 64 × the width factor)."""
    rng = np.random.default_rng(seed)
    p = {}

    def conv(name, k, cin, cout):
        kernel = rng.standard_normal((k, k, cin, cout)) * kernel_scale + 0.2 * kernel_scale
        p[f"{name}/standardized_conv2d/kernel"] = kernel.astype("float32")

    def gn(name, c):
        p[f"{name}/group_norm/gamma"] = (1 + gn_scale * rng.standard_normal(c)).astype("float32")
        p[f"{name}/group_norm/beta"] = (gn_scale * rng.standard_normal(c)).astype("float32")

    conv("resnet/root_block", root_kernel, channels, width)
    cin = width
    for s, units in enumerate(blocks, 1):
        mid = width * 2 ** (s - 1)
        for u in range(1, units + 1):
            prefix = f"resnet/block{s}/unit{u:02d}"
            if cin != 4 * mid or (s > 1 and u == 1):
                conv(f"{prefix}/a/proj", 1, cin, 4 * mid)
            gn(f"{prefix}/a", cin)
            conv(f"{prefix}/a", 1, cin, mid)
            gn(f"{prefix}/b", mid)
            conv(f"{prefix}/b", 3, mid, mid)
            gn(f"{prefix}/c", mid)
            conv(f"{prefix}/c", 1, mid, 4 * mid)
            cin = 4 * mid
    p["resnet/group_norm/gamma"] = (1 + gn_scale * rng.standard_normal(cin)).astype("float32")
    p["resnet/group_norm/beta"] = (gn_scale * rng.standard_normal(cin)).astype("float32")
    p["resnet/head/conv2d/kernel"] = (rng.standard_normal((1, 1, cin, classes)) * 0.1).astype("float32")
    p["resnet/head/conv2d/bias"] = (rng.standard_normal(classes) * 0.1).astype("float32")
    return p
