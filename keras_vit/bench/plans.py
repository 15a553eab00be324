"""What `keras-vit bench` runs: the CPU suite (default and `--all`), the deployment suite (`--deploy`) and the
one-configuration `--quick` run (`--deploy --quick`: the deployment rows on the tiny model)."""

import os

from keras_vit.bench.harness import Config, Phase, Plan
from keras_vit.models.configs import decode_variant

# A width-32, depth-2 model on 32-pixel images: what `--quick` and the tests run.
TINY = dict(name="tiny", hidden_size=32, depth=2, num_heads=2, mlp_dim=64, patch_size=8, image_size=32, classes=10)

# keras_vit in each setting, and timm eager and compiled: every inference phase.
CORE_CONFIGS = (
    Config("keras_vit/tf", "keras_vit", "tensorflow", {"xla": False}),
    Config("keras_vit/tf-xla", "keras_vit", "tensorflow", {"xla": True}),
    Config("keras_vit/jax", "keras_vit", "jax"),
    Config("timm/eager", "timm"),
    Config("timm/compile", "timm", options={"compile": True}),
)
# The Keras peers: by default on the models the targets name (S/16, B/16), on every model with --all.
PEER_CONFIGS = (
    Config("keras_hub/tf-xla", "keras_hub", "tensorflow", {"xla": True}),
    Config("vit_keras/tf-xla", "vit_keras", "tensorflow", {"xla": True}),
)
# Only with --all: keras-hub on JAX (slower than on TensorFlow + XLA in our runs, and a minute per model) and
# keras_vit on the torch backend (eager: the same torch kernels as timm eager).
EXTRA_CONFIGS = (Config("keras_hub/jax", "keras_hub", "jax"), Config("keras_vit/torch", "keras_vit", "torch"))
PEER_MODELS = ("S/16", "B/16")

# Training: TensorFlow without XLA is there for bfloat16 (oneDNN's avx512_bf16 products; XLA:CPU's bf16 ones
# are slower than its float32). JAX only with --all: its CPU train step ran at 0.51–0.60x TensorFlow's.
TRAINING_CONFIGS = (
    Config("keras_vit/tf", "keras_vit", "tensorflow", {"xla": False}),
    Config("keras_vit/tf-xla", "keras_vit", "tensorflow", {"xla": True}),
    Config("timm/eager", "timm"),
)
EXTRA_TRAINING_CONFIGS = (Config("keras_vit/jax", "keras_vit", "jax"),)
GEMM_CONFIGS = tuple(
    Config(f"gemm/{f}", "gemm", options={"framework": f}) for f in ("numpy", "torch", "tensorflow", "jax")
)
GEMM_BF16_CONFIGS = tuple(Config(f"gemm/{f}", "gemm", options={"framework": f}) for f in ("torch", "jax"))
# The two fastest GEMM libraries here, timed again inside every model phase: the roofline divides by a
# rate measured in the same rounds, under the same load, as the model.
INLINE_GEMM_FRAMEWORKS = ("tensorflow", "torch")


# The deployment suite: keras_vit's TensorFlow paths (float32 + XLA; bf16 variables without XLA, oneDNN's bf16
# products, since XLA:CPU's are slower than its float32) and its exports per format and precision, against what
# a CPU user would deploy instead: timm eager (float32, bf16 autocast), timm -> ONNX Runtime, timm -> OpenVINO.
# One worker per implementation and runtime, running each of its precisions.
DEPLOY_CONFIGS = (
    Config("keras_vit/tf-xla", "keras_vit", "tensorflow", {"xla": True}),
    Config("keras_vit/tf", "keras_vit", "tensorflow", {"xla": False}, dtypes=("bfloat16",)),
    Config("keras_vit/saved_model", "deploy", "tensorflow", {"format": "saved_model"}, dtypes=("float32", "bfloat16")),
    Config(
        "keras_vit/openvino", "deploy", "tensorflow", {"format": "openvino"}, dtypes=("float32", "bfloat16", "int8")
    ),
    # tf2onnx's conversion of ViT-B/16 was killed for memory beside the other 12 workers' models (24 GB machine).
    Config("keras_vit/onnx", "deploy", "tensorflow", {"format": "onnx"}, dtypes=("float32", "int8"), setup_alone=True),
    Config("keras_vit/litert", "deploy", "tensorflow", {"format": "litert"}, dtypes=("float32", "int8")),
    Config("timm/eager", "timm", dtypes=("float32", "bfloat16")),
    Config("timm/onnxruntime", "timm_onnxruntime", dtypes=("float32", "int8")),
    Config("timm/openvino", "timm_openvino", dtypes=("float32", "bfloat16", "int8")),
)
DEPLOY_MODELS = ("S/16", "B/16")
DEPLOY_BATCHES = (1, 8)
# The GEMMs timed in every deployment phase, per precision: each row's fraction of the rate of its own precision
# divides by the fastest of these in the same rounds. int8: torch._int_mm, OpenVINO's u8 x i8 FullyConnected,
# ONNX Runtime's MatMulInteger (see gemm.py).
DEPLOY_GEMMS = {
    "tensorflow": ("float32",),
    "torch": ("float32", "bfloat16", "int8"),
    "openvino": ("float32", "bfloat16", "int8"),
    "onnxruntime": ("int8",),
}


def deploy_gemms(n, native=None):
    """One GEMM worker per library of `DEPLOY_GEMMS`, timing each of its precisions at size `n`.

    torch's bf16 product runs only where the CPU multiplies bf16 natively (`native`: default this CPU's
    `native_precisions()`): elsewhere it falls back to a scalar loop, minutes per 4096² call (2.3 s at 1024² on an
    AVX2-only AMD EPYC), which would stall the phase's set-up. OpenVINO's bf16 product converts and stays timed.
    """
    if native is None:
        from keras_vit.deploy.cpu import native_precisions

        native = native_precisions()
    configs = []
    for framework, dtypes in DEPLOY_GEMMS.items():
        if framework == "torch":
            dtypes = tuple(d for d in dtypes if d != "bfloat16" or "bfloat16" in native)
        items = tuple(dict(n=n, dtype=d) for d in dtypes)
        configs.append(Config(f"gemm/{framework}", "gemm", options={"framework": framework}, task="gemm", items=items))
    return configs


def deploy_plan(models=DEPLOY_MODELS, batches=DEPLOY_BATCHES, rounds=3, gemm_n=4096, only=None, seed=0):
    """The deployment suite: per model, every `DEPLOY_CONFIGS` row at each batch and precision, and the GEMMs.

    `only` keeps the configurations whose name contains one of its words (the GEMMs always run).
    """
    phases = [
        Phase(
            f"{variant} deployment",
            "infer",
            [dict(batch=b, dtype="float32") for b in batches],
            _select(DEPLOY_CONFIGS, only) + deploy_gemms(gemm_n),
            model_spec(variant),
        )
        for variant in models
    ]
    return Plan(phases, rounds=rounds, seed=seed)


def deploy_quick_plan(configs=DEPLOY_CONFIGS, batch=2):
    """The deployment rows on the tiny model, one call each, with the GEMMs at n=128: checks the plumbing."""
    phase = Phase(
        "tiny deployment", "infer", [dict(batch=batch, dtype="float32")], list(configs) + deploy_gemms(128), TINY
    )
    return Plan([phase], rounds=1, min_time=0.0, max_calls=1, settle_s=0.0, warmup_below_s=0.0, setup_parallel=2)


def with_inline_gemms(configs, n):
    """`configs` and, when there are any, the inline GEMMs of size `n` that ride along with them."""
    if not configs:
        return configs
    item = (dict(n=n, dtype="float32"),)
    return configs + [
        Config(f"gemm/{f}", "gemm", options={"framework": f}, task="gemm", items=item) for f in INLINE_GEMM_FRAMEWORKS
    ]


def model_spec(variant, image_size=224, classes=1000):
    return dict(name=variant, image_size=image_size, classes=classes, **decode_variant(variant))


def _select(configs, only):
    return [c for c in configs if not only or any(word in c.name for word in only)]


def full_plan(
    models=("Ti/16", "S/16", "B/16"),
    batches=(1, 32),
    train_models=("Ti/16", "S/16"),
    train_dtypes=("float32", "bfloat16"),
    train_batch=32,
    rounds=3,
    train_rounds=2,
    gemm_n=4096,
    all_configs=False,
    only=None,
    seed=0,
):
    """The CPU suite: GEMM peak, inference per model and batch, training steps.

    `all_configs` adds keras-hub on JAX, keras_vit training on JAX, and runs the Keras peers on every
    model; `only` keeps the configurations whose name contains one of its words.
    """
    phases = [Phase("GEMM float32", "gemm", [dict(n=gemm_n, dtype="float32")], _select(GEMM_CONFIGS, only))]
    if train_models and "bfloat16" in train_dtypes:
        phases.append(
            Phase("GEMM bfloat16", "gemm", [dict(n=gemm_n, dtype="bfloat16")], _select(GEMM_BF16_CONFIGS, only))
        )
    for variant in models:
        configs = list(CORE_CONFIGS)
        if all_configs or variant in PEER_MODELS:
            configs += PEER_CONFIGS
        if all_configs:
            configs += EXTRA_CONFIGS
        items = [dict(batch=b, dtype="float32") for b in batches]
        configs = with_inline_gemms(_select(configs, only), gemm_n)
        phases.append(Phase(f"{variant} inference", "infer", items, configs, model_spec(variant)))
    for variant in train_models:
        items = [dict(batch=train_batch, dtype=d) for d in train_dtypes]
        configs = list(TRAINING_CONFIGS) + (list(EXTRA_TRAINING_CONFIGS) if all_configs else [])
        configs = with_inline_gemms(_select(configs, only), gemm_n)
        phases.append(Phase(f"{variant} training", "train", items, configs, model_spec(variant), rounds=train_rounds))
    return Plan([p for p in phases if p.configs], rounds=rounds, seed=seed)


def quick_plan(backend=None, batch=2):
    """One tiny keras_vit configuration on this process's Keras backend, one call: checks the plumbing."""
    backend = backend or os.environ.get("KERAS_BACKEND", "tensorflow")
    options = {"xla": False} if backend == "tensorflow" else {}
    config = Config(f"keras_vit/{'tf' if backend == 'tensorflow' else backend}", "keras_vit", backend, options)
    gemm = Config("gemm/numpy", "gemm", options={"framework": "numpy"})
    phases = [
        Phase("GEMM float32", "gemm", [dict(n=128, dtype="float32")], [gemm]),
        Phase("tiny inference", "infer", [dict(batch=batch, dtype="float32")], [config], TINY),
    ]
    return Plan(phases, rounds=1, min_time=0.0, max_calls=1, settle_s=0.0, warmup_below_s=0.0, setup_parallel=1)
