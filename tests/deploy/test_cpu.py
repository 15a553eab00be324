"""CPU flags → the precision `auto` picks, on /proc/cpuinfo texts of the machines this project meets."""

import pytest

from keras_vit.deploy.cpu import auto_precision, cpu_features, native_precisions

XEON_AMX = "model name\t: Intel(R) Xeon(R) Platinum 8481C\nflags\t\t: fpu avx2 avx512f avx512_vnni avx512_bf16 amx_bf16 amx_tile amx_int8\n"
EPYC_ZEN4 = "model name\t: AMD EPYC\nflags\t\t: fpu avx2 avx512f avx512_vnni avx512_bf16 avx_vnni\n"
VNNI_ONLY = "model name\t: Intel(R) Xeon(R) Gold 6230\nflags\t\t: fpu avx2 avx512f avx512_vnni\n"
OLD = "model name\t: Intel(R) Xeon(R) CPU E5-2690\nflags\t\t: fpu sse4_2 avx2\n"
EPYC_AVX2 = "model name\t: AMD EPYC\nflags\t\t: fpu sse4_2 avx2 fma\n"
NO_AVX2 = "model name\t: Intel(R) Atom(TM) CPU\nflags\t\t: fpu sse4_2\n"


def test_flags_are_read_from_the_first_cpu():
    features = cpu_features(XEON_AMX + "\n" + OLD)
    assert features["model_name"] == "Intel(R) Xeon(R) Platinum 8481C"
    assert features["flags"]["amx_bf16"] and features["flags"]["amx_int8"] and not features["flags"]["avx_vnni"]
    # A flag's name inside another's does not count ("avx512f" is not "avx512_fp16").
    assert not cpu_features("flags : avx512fp16x\n")["flags"]["avx512f"]
    assert cpu_features("")["flags"] == dict.fromkeys(cpu_features("")["flags"], False)


@pytest.mark.parametrize(
    ("cpuinfo", "native"),
    [
        (XEON_AMX, ("float32", "bfloat16", "int8")),
        (EPYC_ZEN4, ("float32", "bfloat16", "int8")),
        (VNNI_ONLY, ("float32", "int8")),
        (OLD, ("float32",)),
    ],
)
def test_native_precisions(cpuinfo, native):
    assert native_precisions(cpu_features(cpuinfo)) == native


@pytest.mark.parametrize(
    ("cpuinfo", "supported", "expected"),
    [
        (XEON_AMX, ("float32", "bfloat16", "int8"), "bfloat16"),  # AMX bf16 tiles: no calibration needed
        (EPYC_ZEN4, ("float32", "bfloat16", "int8"), "int8"),  # no AMX: VNNI int8 before AVX-512 bf16
        (EPYC_ZEN4, ("float32", "bfloat16"), "bfloat16"),
        (XEON_AMX, ("float32", "int8"), "int8"),
        (VNNI_ONLY, ("float32", "bfloat16"), "float32"),  # bf16 without native support: no gain
        (OLD, ("float32", "bfloat16", "int8"), "float32"),
    ],
)
def test_auto_precision(cpuinfo, supported, expected):
    assert auto_precision(supported, cpu_features(cpuinfo)) == expected


@pytest.mark.parametrize(
    ("cpuinfo", "format", "expected"),
    [
        (EPYC_AVX2, "onnx", "int8"),  # ONNX Runtime's dynamic int8 has AVX2 kernels: faster than float32 there
        (EPYC_AVX2, "openvino", "float32"),  # OpenVINO's static int8 without VNNI: no faster than float32
        (EPYC_AVX2, "litert", "float32"),
        (NO_AVX2, "onnx", "float32"),
        (XEON_AMX, "onnx", "int8"),
    ],
)
def test_auto_precision_per_format_without_vnni(cpuinfo, format, expected):
    supported = ("float32", "int8") if format != "openvino" else ("float32", "bfloat16", "int8")
    assert auto_precision(supported, cpu_features(cpuinfo), format=format) == expected


def test_export_auto_precision_reads_this_cpu_per_format(monkeypatch):
    import importlib

    from keras_vit.deploy import cpu

    convert = importlib.import_module("keras_vit.deploy.convert")  # the package's `convert` is the function

    monkeypatch.setattr(cpu, "cpu_features", lambda: cpu_features(EPYC_AVX2))
    assert convert.resolve_precision("onnx", "auto") == "int8"
    assert convert.resolve_precision("openvino", "auto") == "float32"
    monkeypatch.setattr(cpu, "cpu_features", lambda: cpu_features(XEON_AMX))
    assert convert.resolve_precision("openvino", "auto") == "bfloat16"


def test_int8_overflow_fix_where_the_cpu_has_no_vnni():
    from keras_vit.deploy.cpu import needs_int8_overflow_fix

    assert needs_int8_overflow_fix(cpu_features(EPYC_AVX2)) and needs_int8_overflow_fix(cpu_features(OLD))
    assert not needs_int8_overflow_fix(cpu_features(VNNI_ONLY)) and not needs_int8_overflow_fix(cpu_features(XEON_AMX))
