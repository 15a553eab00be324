"""What this CPU can do fast: its `lscpu` model name, the instruction-set flags that matter, the precision to use.

bf16 and int8 pay only where the CPU multiplies them natively: AMX tiles (`amx_bf16`, `amx_int8`; Intel
Xeon Sapphire Rapids and later), AVX-512 BF16 (`avx512_bf16`; Cooper Lake, AMD Zen 4) and VNNI int8 dot
products (`avx512_vnni`, `avx_vnni`). Elsewhere both run through conversions and are mostly no faster than
float32; the exception is ONNX Runtime's dynamic int8, whose AVX2 u8×s8 kernels beat float32 without VNNI
(docs/PERFORMANCE.md, the AVX2-only AMD EPYC). Reads `/proc/cpuinfo` (Linux); other systems report no flags, so
`auto` falls back to float32.
"""

import platform

# The flags the runtimes' fast paths use, in the order a report prints them.
FLAGS = ("amx_bf16", "amx_int8", "amx_tile", "avx512_bf16", "avx512_vnni", "avx_vnni", "avx512f", "avx2")
PRECISIONS = ("float32", "bfloat16", "int8")


def _cpuinfo(path="/proc/cpuinfo"):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def _field(text, key):
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name.strip() == key:
            return value.strip()
    return None


def cpu_features(cpuinfo=None):
    """`{"model_name": str, "flags": {flag: bool for flag in FLAGS}}` of the first CPU in `/proc/cpuinfo`.

    Args:
        cpuinfo: the text of `/proc/cpuinfo` (default: read it); tests pass their own.
    """
    text = _cpuinfo() if cpuinfo is None else cpuinfo
    present = set((_field(text, "flags") or "").split())
    name = _field(text, "model name") or platform.processor() or "unknown CPU"
    return {"model_name": name, "flags": {flag: flag in present for flag in FLAGS}}


def native_precisions(features=None):
    """The precisions this CPU multiplies natively, float32 first: bf16 with AMX or AVX-512 BF16, int8 with
    AMX-int8 or VNNI."""
    flags = (features or cpu_features())["flags"]
    precisions = ["float32"]
    if flags["amx_bf16"] or flags["avx512_bf16"]:
        precisions.append("bfloat16")
    if flags["amx_int8"] or flags["avx512_vnni"] or flags["avx_vnni"]:
        precisions.append("int8")
    return tuple(precisions)


def needs_int8_overflow_fix(features=None):
    """True on a CPU without VNNI or AMX-int8: its int8 products (AVX2's u8×s8, pairs summed into int16) saturate
    with full-range 8-bit weights, so int8 exports made here keep 7-bit weights (ONNX Runtime's `reduce_range`,
    NNCF's overflow fix)."""
    return "int8" not in native_precisions(features)


def auto_precision(supported, features=None, format=None):
    """The precision `precision="auto"` picks among a format's `supported` ones.

    bf16 where the CPU has AMX (its bf16 tiles run ~5x float32 and keep float32's exponent range, so no
    calibration is needed); otherwise int8 where the CPU has VNNI or AMX-int8 and the format quantises, and
    for `format="onnx"` (ONNX Runtime's dynamic int8) on any CPU with AVX2: on an AVX2-only AMD EPYC its int8
    ran 1.06-1.42x float32 for keras_vit's ViT-S/16 and 1.4-1.8x for timm's S/16 and B/16, where OpenVINO's
    static int8 ran 0.84-1.11x its float32; otherwise bf16 where native; otherwise float32.
    """
    features = features or cpu_features()
    native = native_precisions(features)
    if "bfloat16" in supported and "bfloat16" in native and features["flags"]["amx_bf16"]:
        return "bfloat16"
    if "int8" in supported and "int8" in native:
        return "int8"
    if "int8" in supported and format == "onnx" and features["flags"]["avx2"]:
        return "int8"
    if "bfloat16" in supported and "bfloat16" in native:
        return "bfloat16"
    return "float32"
