"""ViT-B/16 on one GPU: keras_vit (Keras 3, JAX backend, bf16) against timm + torch.compile, with MFU.

For a machine with JAX + CUDA and no TensorFlow; keras_vit is imported as a package (installed with
`pip install --no-deps -e .`, or from the source tree with `PYTHONPATH=.`). Measures, at 224 px in bfloat16 (`mixed_bfloat16` policy; float32 variables):
- inference images/s: the jitted forward pass, `attention_implementation="fused"`
  (`keras.ops.dot_product_attention` → cuDNN flash attention) and, for comparison, "einsum";
- training images/s: one jitted step (forward, backward, AdamW) built from Keras's stateless API
  (`stateless_call` + `optimizer.stateless_apply`, the same pieces `model.fit` compiles);
- timm's `VisionTransformer` (same sizes), `torch.compile`d, bf16 autocast, in its own
  process (so JAX and PyTorch never share the GPU's memory), when torch with CUDA is importable;
- MFU: model FLOPs (keras_vit's counter; training = `TRAIN_FLOPS_FACTOR` × forward) × images/s ÷ the GPU's
  dense bf16 peak, looked up from `jax.devices()[0].device_kind` (`keras_vit.bench.gpu.PEAK_BF16_TFLOPS`).
Nothing here imports TensorFlow; each part reports whether TensorFlow got imported, and from where.

    PYTHONPATH=. python benchmarks/gpu_bench.py                 # GPU: B/16, batch 256, ~5 min
    PYTHONPATH=. python benchmarks/gpu_bench.py --tiny          # any machine (CPU too): a width-32 model, seconds
    PYTHONPATH=. python benchmarks/gpu_bench.py --no-torch --batch 128

Writes `gpu_bench.json` into `--out` (default `$OUT` if set, else the current folder).
"""

import argparse
import importlib.abc
import json
import os
import subprocess
import sys
import time
import traceback

B16 = dict(patch_size=16, hidden_size=768, depth=12, num_heads=12, mlp_dim=3072, image_size=224, classes=1000)
TINY = dict(patch_size=8, hidden_size=32, depth=2, num_heads=2, mlp_dim=64, image_size=32, classes=10)


class WatchTensorFlow(importlib.abc.MetaPathFinder):
    """Records every lookup of `tensorflow` (with the caller's stack); the import itself proceeds.

    A lookup is not an import (torch._dynamo probes with `find_spec`); whether TensorFlow was really
    imported is `"tensorflow" in sys.modules` at the end, and the stacks say who asked.
    """

    def __init__(self):
        self.lookups = []

    def find_spec(self, name, path=None, target=None):
        if name == "tensorflow":
            stack = [
                f"{f.filename}:{f.lineno}" for f in traceback.extract_stack()[:-1] if "importlib" not in f.filename
            ]
            self.lookups.append(stack[-6:])
        return None


# -- keras_vit on JAX ---------------------------------------------------------------------------
def run_jax(args, sizes):
    os.environ["KERAS_BACKEND"] = "jax"
    import jax
    import keras
    import numpy as np

    from keras_vit.bench.gpu import jax_inference, jax_training
    from keras_vit.models.flops import count_flops
    from keras_vit.models.vit import build_vit

    device = jax.devices()[0]
    out = dict(framework="keras_vit (Keras 3 on JAX)", device=device.device_kind, platform=device.platform)
    out["versions"] = dict(jax=jax.__version__, keras=keras.__version__)
    size, classes = sizes["image_size"], sizes["classes"]
    arch = {k: sizes[k] for k in ("patch_size", "hidden_size", "depth", "num_heads", "mlp_dim")}
    rng = np.random.default_rng(0)
    x = jax.device_put(rng.uniform(-1, 1, (args.batch, size, size, 3)).astype("float32"))
    y = jax.device_put(rng.integers(0, classes, args.batch).astype("int32"))

    keras.config.set_dtype_policy("mixed_bfloat16")
    results = {}
    for attention in args.attention:
        model = build_vit(
            **arch,
            image_size=size,
            classes=classes,
            classifier_activation=None,
            attention_implementation=attention,
        )
        out["flops_per_image"] = int(count_flops(model))
        results[f"inference/{attention}"] = jax_inference(model, x, args.warmup, args.windows, args.steps)
        print(f"keras_vit jax inference ({attention}): {results[f'inference/{attention}']['median']:.1f} images/s")
        if attention == args.attention[0]:  # training with the first (default "fused") attention only
            results[f"training/{attention}"] = jax_training(model, x, y, args.warmup, args.windows, args.steps)
            print(f"keras_vit jax training ({attention}): {results[f'training/{attention}']['median']:.1f} images/s")
    out["results"] = results
    return out


# -- timm + torch.compile -----------------------------------------------------------------------
def run_torch(args, sizes):
    # Keras on its torch backend (importing keras_vit imports Keras): TensorFlow and JAX stay out of this process.
    os.environ["KERAS_BACKEND"] = "torch"
    import torch

    from keras_vit.bench.runners.timm import timm_vit
    from keras_vit.bench.timing import time_windows

    cuda = torch.cuda.is_available()
    device = "cuda" if cuda else "cpu"
    out = dict(framework="timm (PyTorch, torch.compile)", device=torch.cuda.get_device_name() if cuda else "cpu")
    out["versions"] = dict(torch=torch.__version__)
    torch.manual_seed(0)
    model = timm_vit(sizes).to(device)
    x = torch.rand(args.batch, 3, sizes["image_size"], sizes["image_size"], device=device) * 2 - 1
    y = torch.randint(0, sizes["classes"], (args.batch,), device=device)

    def sync():
        if cuda:
            torch.cuda.synchronize()

    results = {}
    compiled = torch.compile(model) if args.torch_compile else model
    model.eval()

    def infer():
        with torch.inference_mode(), torch.autocast(device, dtype=torch.bfloat16):
            compiled(x)

    start = time.perf_counter()
    infer()
    sync()
    compile_s = time.perf_counter() - start
    rate = time_windows(infer, sync, args.warmup, args.windows, args.steps, args.batch)
    results["inference"] = dict(rate, compile_s=compile_s, batch=args.batch)
    print(f"timm inference: {rate['median']:.1f} images/s", flush=True)

    model.train()
    compiled = torch.compile(model) if args.torch_compile else model
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)

    def train():
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast(device, dtype=torch.bfloat16):
            loss = torch.nn.functional.cross_entropy(compiled(x), y)
        loss.backward()
        optimizer.step()

    start = time.perf_counter()
    train()
    sync()
    compile_s = time.perf_counter() - start
    rate = time_windows(train, sync, args.warmup, args.windows, args.steps, args.batch)
    results["training"] = dict(rate, compile_s=compile_s, batch=args.batch)
    print(f"timm training: {rate['median']:.1f} images/s", flush=True)
    out["results"] = results
    return out


def run_part(args, part):
    """Runs one framework in a fresh process (the GPU's memory is never shared between them)."""
    command = [sys.executable, os.path.abspath(__file__), "--part", part, "--json-stdout"]
    command += ["--batch", str(args.batch), "--steps", str(args.steps), "--windows", str(args.windows)]
    command += ["--warmup", str(args.warmup), "--attention", *args.attention]
    command += ["--tiny"] if args.tiny else []
    command += [] if args.torch_compile else ["--no-torch-compile"]
    proc = subprocess.run(command, capture_output=True, text=True)
    sys.stderr.write(proc.stderr[-4000:])
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    for line in proc.stdout.splitlines():
        if not line.startswith("{"):
            print(line)
    if proc.returncode or not lines:
        return dict(framework=part, error=f"exit code {proc.returncode}: {proc.stderr.strip()[-600:]}")
    return json.loads(lines[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tiny", action="store_true", help="width-32 model on 32-px images (runs anywhere)")
    parser.add_argument("--batch", type=int, default=None, help="batch size (default 256; 8 with --tiny)")
    parser.add_argument("--steps", type=int, default=None, help="calls per timing window (default 10; 2 with --tiny)")
    parser.add_argument("--windows", type=int, default=None, help="timing windows (default 5; 2 with --tiny)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed calls after compiling")
    parser.add_argument("--attention", nargs="+", default=["fused", "einsum"], help="keras_vit attention paths")
    parser.add_argument("--no-torch", action="store_true", help="skip timm")
    parser.add_argument("--no-torch-compile", dest="torch_compile", action="store_false", help="timm eager")
    parser.add_argument("--peak-tflops", type=float, default=None, help="override the GPU's dense bf16 peak")
    parser.add_argument("--out", default=os.environ.get("OUT", "."), help="folder for gpu_bench.json")
    parser.add_argument("--part", choices=("jax", "torch"), default=None, help=argparse.SUPPRESS)
    parser.add_argument("--json-stdout", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.batch = args.batch or (8 if args.tiny else 256)
    args.steps = args.steps or (2 if args.tiny else 10)
    args.windows = args.windows or (2 if args.tiny else 5)
    sizes = TINY if args.tiny else B16

    if args.part:  # a child: one framework, result as the last JSON line
        watch = WatchTensorFlow()
        sys.meta_path.insert(0, watch)
        result = run_jax(args, sizes) if args.part == "jax" else run_torch(args, sizes)
        result["tensorflow_imported"] = "tensorflow" in sys.modules
        result["tensorflow_lookups"] = watch.lookups
        print(json.dumps(result))
        return 0

    parts = [run_part(args, "jax")]
    import importlib.util

    if args.no_torch:
        pass
    elif importlib.util.find_spec("torch") is None or importlib.util.find_spec("timm") is None:
        parts.append(dict(framework="timm", error="torch or timm is not installed: skipped"))
    else:
        parts.append(run_part(args, "torch"))

    # The children have run: this process may now import keras_vit (on JAX, as they did) for its arithmetic.
    os.environ.setdefault("KERAS_BACKEND", "jax")
    from keras_vit.bench.gemm import TRAIN_FLOPS_FACTOR, achieved_flops, fraction_of_peak
    from keras_vit.bench.gpu import peak_tflops

    jax_part = parts[0]
    flops = jax_part.get("flops_per_image")
    peak = peak_tflops(jax_part.get("device", ""), args.peak_tflops)
    print()
    print(f"Device: {jax_part.get('device')}; dense bf16 peak: {peak or 'unknown'} TFLOP/s; batch {args.batch}")
    print(
        f"Model: {'tiny' if args.tiny else 'ViT-B/16'} at {sizes['image_size']} px, {flops} FLOPs per image (forward)"
    )
    print()
    print("| framework | task | images/s (median) | min–max | TFLOP/s | MFU | compile s |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for part in parts:
        if "error" in part:
            print(f"| {part['framework']} | - | - | - | - | - | {part['error'][:80]} |")
            continue
        for task, r in part["results"].items():
            task_flops = flops * (TRAIN_FLOPS_FACTOR if task.startswith("training") else 1) if flops else None
            tflops = achieved_flops(task_flops, r["median"]) / 1e12 if task_flops else None
            r["tflops"] = tflops
            r["mfu"] = fraction_of_peak(task_flops, r["median"], peak * 1e12) if (task_flops and peak) else None
            mfu = f"{100 * r['mfu']:.1f} %" if r["mfu"] is not None else "-"
            print(
                f"| {part['framework']} | {task} | {r['median']:.1f} | {r['min']:.1f}–{r['max']:.1f} "
                f"| {tflops:.2f} | {mfu} | {r['compile_s']:.1f} |"
            )
    print()
    for part in parts:
        if "tensorflow_imported" in part:
            who = f" (first asked from {part['tensorflow_lookups'][0]})" if part["tensorflow_imported"] else ""
            print(f"{part['framework']}: TensorFlow imported: {part['tensorflow_imported']}{who}")
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "gpu_bench.json")
    with open(path, "w") as f:
        json.dump(dict(peak_bf16_tflops=peak, sizes=sizes, batch=args.batch, parts=parts), f, indent=1)
    print(f"Wrote {path}")
    return 0 if all("error" not in p for p in parts[:1]) else 1


if __name__ == "__main__":
    sys.exit(main())
