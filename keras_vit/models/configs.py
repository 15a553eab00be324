"""The variant table of the paper (Table 1) and the official configs, and `decode_variant`."""

# name: (hidden_size, depth, num_heads, mlp_dim)
WIDTHS = {
    "Ti": (192, 12, 3, 768),
    "S": (384, 12, 6, 1536),
    "B": (768, 12, 12, 3072),
    "L": (1024, 24, 16, 4096),
    "H": (1280, 32, 16, 5120),
}

# The variants with released checkpoints or named constructors.
VARIANTS = ("Ti/16", "S/16", "S/32", "B/8", "B/16", "B/32", "L/16", "L/32", "H/14")


def decode_variant(variant):
    """`"B/16"` → `dict(hidden_size=768, depth=12, num_heads=12, mlp_dim=3072, patch_size=16)`.

    Any width name of Table 1 with any patch size is accepted ("S/8", "L/14", ...).
    """
    width, sep, patch = str(variant).partition("/")
    if width not in WIDTHS or not sep or not patch.isdigit():
        raise ValueError(
            f"A variant is a width name {sorted(WIDTHS)} and a patch size, like 'B/16'. Received: variant={variant!r}"
        )
    hidden_size, depth, num_heads, mlp_dim = WIDTHS[width]
    return dict(hidden_size=hidden_size, depth=depth, num_heads=num_heads, mlp_dim=mlp_dim, patch_size=int(patch))


def variant_name(hidden_size, depth, num_heads, mlp_dim, patch_size):
    """Inverse of `decode_variant`, or None for a custom size."""
    for width, sizes in WIDTHS.items():
        if sizes == (hidden_size, depth, num_heads, mlp_dim):
            return f"{width}/{patch_size}"
    return None
