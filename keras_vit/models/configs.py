"""The widths of the paper's Table 1 and `decode_variant`, read from the preset table."""

from keras_vit.models import presets

SIZES = ("hidden_size", "depth", "num_heads", "mlp_dim")

# Width name ("Ti", "S", "B", "L", "H") → (hidden_size, depth, num_heads, mlp_dim), from the paper's variants.
WIDTHS = {
    preset.variant.partition("/")[0]: tuple(preset.arguments[k] for k in SIZES)
    for preset in presets.named("paper").values()
}

# The paper's variants with a named constructor ("Ti/16", ..., "H/14").
VARIANTS = tuple(preset.variant for preset in presets.named("paper").values())


def decode_variant(variant):
    """`"B/16"` → `dict(hidden_size=768, depth=12, num_heads=12, mlp_dim=3072, patch_size=16)`.

    Any width name of Table 1 with any patch size is accepted ("S/8", "L/14", ...).
    """
    width, sep, patch = str(variant).partition("/")
    if width not in WIDTHS or not sep or not patch.isdigit():
        raise ValueError(
            f"A variant is a width name {sorted(WIDTHS)} and a patch size, like 'B/16'. Received: variant={variant!r}"
        )
    return dict(zip(SIZES, WIDTHS[width]), patch_size=int(patch))


def variant_name(hidden_size, depth, num_heads, mlp_dim, patch_size):
    """Inverse of `decode_variant`, or None for a custom size."""
    for width, sizes in WIDTHS.items():
        if sizes == (hidden_size, depth, num_heads, mlp_dim):
            return f"{width}/{patch_size}"
    return None
