"""timm's `VisionTransformer` on PyTorch (CPU here), eager or `torch.compile`d.

Weights come through timm's own official-`.npz` loader (`vision_transformer._load_weights`). timm's
MLP uses exact GELU (`nn.GELU()`); `logits(..., tanh_gelu=True)` switches it to the tanh form for
the parity check. This file imports no Keras: the worker loads it by path.
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


class Runner:
    """Options: `compile` (wrap the model in `torch.compile`, default mode)."""

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
            from timm.models.vision_transformer import VisionTransformer, _load_weights

            m = item["model"]
            net = VisionTransformer(
                img_size=m["image_size"],
                patch_size=m["patch_size"],
                embed_dim=m["hidden_size"],
                depth=m["depth"],
                num_heads=m["num_heads"],
                mlp_ratio=m["mlp_dim"] / m["hidden_size"],
                num_classes=m["classes"],
                qkv_bias=True,
                global_pool="token",
            )
            _load_weights(net, item["weights"])
            self.models[key] = net
        return self.models[key]

    def prepare(self, item):
        torch = self.torch
        start = time.perf_counter()
        net = self.model(item)
        x = torch.from_numpy(np.load(item["inputs"])[: item["batch"]].transpose(0, 3, 1, 2).copy())
        run = torch.compile(net) if self.compile else net
        bf16 = item["dtype"] == "bfloat16"
        if item["task"] == "infer":
            net.eval()
            if bf16:
                raise ValueError("The timm runner times float32 inference only. Received: dtype='bfloat16'")

            def step():
                with torch.inference_mode():
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
        x = torch.from_numpy(np.load(item["inputs"])[: item["batch"]].transpose(0, 3, 1, 2).copy())
        originals = [block.mlp.act for block in net.blocks]
        if tanh_gelu:
            for block in net.blocks:
                block.mlp.act = torch.nn.GELU(approximate="tanh")
        try:
            with torch.inference_mode():
                return net(x).float().numpy()
        finally:
            for block, act in zip(net.blocks, originals):
                block.mlp.act = act
