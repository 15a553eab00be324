"""keras_vit itself: `build_vit` loading the shared `.npz` natively; also reports the model's FLOPs."""

from keras_vit.bench.runners.keras_common import KerasRunner
from keras_vit.models.flops import count_flops
from keras_vit.models.vit import build_vit


class Runner(KerasRunner):
    """Options: `xla` (TensorFlow only), `attention` ("auto", "einsum", "fused")."""

    def build(self, item):
        model = item["model"]
        sizes = {k: model[k] for k in ("patch_size", "hidden_size", "depth", "num_heads", "mlp_dim")}
        return build_vit(
            **sizes,
            image_size=model["image_size"],
            classes=model["classes"],
            weights=item["weights"],
            classifier_activation=None,
            attention_implementation=self.options.get("attention", "auto"),
        )

    def extra_info(self, model, item):
        return {"flops_per_image": int(count_flops(model))}
