"""What `keras-vit bench` runs: the full CPU suite and the one-configuration `--quick` smoke run."""

import os

from keras_vit.bench.harness import Config, Phase, Plan
from keras_vit.models.configs import decode_variant

# A width-32, depth-2 model on 32-pixel images: what `--quick` and the tests run.
TINY = dict(name="tiny", hidden_size=32, depth=2, num_heads=2, mlp_dim=64, patch_size=8, image_size=32, classes=10)

INFERENCE_CONFIGS = (
    Config("keras_vit/tf", "keras_vit", "tensorflow", {"xla": False}),
    Config("keras_vit/tf-xla", "keras_vit", "tensorflow", {"xla": True}),
    Config("keras_vit/jax", "keras_vit", "jax"),
    Config("timm/eager", "timm"),
    Config("timm/compile", "timm", options={"compile": True}),
    Config("keras_hub/tf-xla", "keras_hub", "tensorflow", {"xla": True}),
    Config("keras_hub/jax", "keras_hub", "jax"),
    Config("vit_keras/tf-xla", "vit_keras", "tensorflow", {"xla": True}),
)
TRAINING_CONFIGS = (
    Config("keras_vit/tf-xla", "keras_vit", "tensorflow", {"xla": True}),
    Config("keras_vit/jax", "keras_vit", "jax"),
    Config("timm/eager", "timm"),
)
GEMM_CONFIGS = tuple(
    Config(f"gemm/{f}", "gemm", options={"framework": f}) for f in ("numpy", "torch", "tensorflow", "jax")
)
GEMM_BF16_CONFIGS = tuple(Config(f"gemm/{f}", "gemm", options={"framework": f}) for f in ("torch", "jax"))


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
    gemm_n=4096,
    only=None,
    seed=0,
):
    """The CPU suite: GEMM peak, inference per model and batch, training steps; `only` filters config names."""
    phases = [
        Phase("GEMM float32", "gemm", [dict(n=gemm_n, dtype="float32")], _select(GEMM_CONFIGS, only)),
    ]
    if "bfloat16" in train_dtypes:
        phases.append(
            Phase("GEMM bfloat16", "gemm", [dict(n=gemm_n, dtype="bfloat16")], _select(GEMM_BF16_CONFIGS, only))
        )
    for variant in models:
        items = [dict(batch=b, dtype="float32") for b in batches]
        phases.append(
            Phase(f"{variant} inference", "infer", items, _select(INFERENCE_CONFIGS, only), model_spec(variant))
        )
    for variant in train_models:
        items = [dict(batch=train_batch, dtype=d) for d in train_dtypes]
        phases.append(
            Phase(f"{variant} training", "train", items, _select(TRAINING_CONFIGS, only), model_spec(variant))
        )
    return Plan([p for p in phases if p.configs], rounds=rounds, seed=seed)


def quick_plan(backend=None, out_batch=2):
    """One tiny keras_vit configuration on this process's Keras backend, one call: checks the plumbing."""
    backend = backend or os.environ.get("KERAS_BACKEND", "tensorflow")
    options = {"xla": False} if backend == "tensorflow" else {}
    config = Config(f"keras_vit/{'tf' if backend == 'tensorflow' else backend}", "keras_vit", backend, options)
    phases = [
        Phase(
            "GEMM float32",
            "gemm",
            [dict(n=128, dtype="float32")],
            [Config("gemm/numpy", "gemm", options={"framework": "numpy"})],
        ),
        Phase("tiny inference", "infer", [dict(batch=out_batch, dtype="float32")], [config], TINY),
    ]
    return Plan(phases, rounds=1, min_time=0.0, max_calls=1, settle_s=0.0, warmup_below_s=0.0)
