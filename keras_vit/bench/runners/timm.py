"""timm's `VisionTransformer` on PyTorch (CPU here), eager or `torch.compile`d, float32 or bf16 autocast.

Weights come through timm's own official-`.npz` loader (`vision_transformer._load_weights`). timm's
MLP uses exact GELU (`nn.GELU()`); `logits(..., tanh_gelu=True)` switches it to the tanh form for
the parity check. bfloat16 inference is `torch.autocast("cpu", dtype=torch.bfloat16)` around the
float32 model (oneDNN's avx512_bf16 / AMX products), as a timm user would run it. This file imports
no Keras: the worker loads it by path, and so do the runners that export timm's model
(`timm_onnxruntime.py`, `timm_openvino.py`), which build it with `build_timm`.
"""

import sys
import time

import numpy as np

_TORCHVISION_SHIM = None


def import_torchvision():
    """Imports torchvision even when its C++ ops cannot load; timm needs only its Python parts.

    PyPI's Linux torchvision wheels are CUDA builds: beside the CPU-only torch its `_C.so` does not
    load, and `import torchvision` then fails registering fake kernels for `nms`/`qnms` ("operator
    torchvision::nms does not exist"). Defining those two schemas lets the import finish; the ops
    themselves stay unusable, and neither timm's ViT nor this benchmark calls them.
    """
    global _TORCHVISION_SHIM
    import torch

    try:
        import torchvision
    except RuntimeError as error:
        if "torchvision::nms" not in str(error):
            raise
        for name in [n for n in sys.modules if n == "torchvision" or n.startswith("torchvision.")]:
            del sys.modules[name]
        _TORCHVISION_SHIM = torch.library.Library("torchvision", "FRAGMENT")
        for op in ("nms", "qnms"):
            _TORCHVISION_SHIM.define(f"{op}(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
        import torchvision
    return torchvision


def timm_vit(model):
    """timm's `VisionTransformer` of the bench's `model` spec (sizes, image size, classes), randomly initialised."""
    import_torchvision()  # before timm, which imports torchvision
    from timm.models.vision_transformer import VisionTransformer

    return VisionTransformer(
        img_size=model["image_size"],
        patch_size=model["patch_size"],
        embed_dim=model["hidden_size"],
        depth=model["depth"],
        num_heads=model["num_heads"],
        mlp_ratio=model["mlp_dim"] / model["hidden_size"],
        num_classes=model["classes"],
        qkv_bias=True,
        global_pool="token",
    )


def build_timm(model, weights, tanh_gelu=False):
    """timm's ViT for the bench's `model` spec (sizes, image size, classes) with the `.npz` at `weights`.

    `tanh_gelu` swaps the MLP's exact GELU for the tanh form (the official checkpoints' activation).
    """
    import torch

    net = timm_vit(model)  # imports torchvision before timm
    from timm.models.vision_transformer import _load_weights

    _load_weights(net, weights)
    if tanh_gelu:
        for block in net.blocks:
            block.mlp.act = torch.nn.GELU(approximate="tanh")
    return net


def load_images(item, batch=None):
    """The bench's input images (NHWC float32 on disk) as an NCHW array of `batch` (default: the item's) images."""
    images = np.load(item["inputs"])[: batch or item["batch"]]
    return np.ascontiguousarray(images.transpose(0, 3, 1, 2))


class Runner:
    """Options: `compile` (wrap the model in `torch.compile`, default mode). Items: float32 or bfloat16."""

    def __init__(self, options):
        import torch

        import_torchvision()
        self.torch = torch
        self.options = options
        self.compile = bool(options.get("compile", False))
        self.models = {}

    def model(self, item):
        key = (item["model"]["name"], item["task"])
        if key not in self.models:
            self.models[key] = build_timm(item["model"], item["weights"])
        return self.models[key]

    def prepare(self, item):
        torch = self.torch
        start = time.perf_counter()
        net = self.model(item)
        x = torch.from_numpy(load_images(item))
        run = torch.compile(net) if self.compile else net
        if item["dtype"] not in ("float32", "bfloat16"):
            raise ValueError(
                "The timm runner runs float32 and bfloat16 (autocast); int8 is timm_onnxruntime's and "
                f"timm_openvino's. Received: dtype={item['dtype']!r}"
            )
        bf16 = item["dtype"] == "bfloat16"
        if item["task"] == "infer":
            net.eval()

            def step():
                with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                    run(x)

        else:
            net.train()
            y = torch.from_numpy(np.load(item["labels"])[: item["batch"]].astype(np.int64))
            optimizer = torch.optim.AdamW(net.parameters(), lr=1e-4)

            def step():
                optimizer.zero_grad(set_to_none=True)
                with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                    loss = torch.nn.functional.cross_entropy(run(x), y)
                loss.backward()
                optimizer.step()

        info = dict(
            torch=torch.__version__,
            threads=torch.get_num_threads(),
            compile=self.compile,
            params=sum(p.numel() for p in net.parameters()),
            build_s=time.perf_counter() - start,
        )
        return step, info

    def logits(self, item, tanh_gelu=False):
        torch = self.torch
        net = self.model(dict(item, task="infer")).eval()
        x = torch.from_numpy(load_images(item))
        bf16 = item["dtype"] == "bfloat16"
        originals = [block.mlp.act for block in net.blocks]
        if tanh_gelu:
            for block in net.blocks:
                block.mlp.act = torch.nn.GELU(approximate="tanh")
        try:
            with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                return net(x).float().numpy()
        finally:
            for block, act in zip(net.blocks, originals):
                block.mlp.act = act
