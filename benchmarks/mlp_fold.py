"""Is folding the MLP's tokens into the batch (2-D Dense) faster? Both forms timed side by side in one process.

`TransformerBlock` applies its MLP's Dense layers to the 3-D `(batch, tokens, width)` tensor; the other form
reshapes to `(batch · tokens, width)` first, so that each Dense is a plain 2-D matrix product (which
TensorFlow's grappler can fuse with the bias and GELU). The same model (same weights) is compiled twice, once with each form;
the two compiled forward passes (to the pooled features; the fresh head is all zeros) are then called in alternating, shuffled order, and the medians and their
ratio are printed (with the largest difference of the outputs, which must be ~0).

    python benchmarks/mlp_fold.py                         # B/16 and S/16 at 224 px, batch 32, TF and TF+XLA
    python benchmarks/mlp_fold.py --models Ti/16 --batch 1 --rounds 10
    KERAS_BACKEND=jax python benchmarks/mlp_fold.py       # jax.jit
    python benchmarks/mlp_fold.py --tiny                  # a tiny model, anywhere
"""

import argparse
import os
import statistics

import numpy as np


def _mlp_folded(self, x, training):
    """`TransformerBlock._mlp` with the tokens folded into the batch, so each Dense is a 2-D product."""
    from keras import ops

    shape = ops.shape(x)
    y = ops.reshape(x, (-1, shape[-1]))
    y = ops.gelu(self.mlp_dense_0(y), approximate=True)
    y = self.dropout_layer(y, training=training)
    y = self.dropout_layer(self.mlp_dense_1(y), training=training)
    return ops.reshape(y, shape)


def _compiled(model, xla):
    import keras

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        return tf.function(lambda t: model(t, training=False), jit_compile=xla)
    import jax

    state = ([v.value for v in model.trainable_variables], [v.value for v in model.non_trainable_variables])
    step = jax.jit(lambda tv, ntv, t: model.stateless_call(tv, ntv, t, training=False)[0])
    return lambda t: step(*state, t)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=["S/16", "B/16"])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=6, help="calls of each form (default: %(default)s)")
    parser.add_argument("--tiny", action="store_true", help="a width-32, depth-2 model at 32 px")
    args = parser.parse_args(argv)

    import keras

    import keras_vit
    from keras_vit.bench.timing import interleaved_seconds
    from keras_vit.layers.transformer_block import TransformerBlock
    from keras_vit.models.configs import decode_variant

    shipped = TransformerBlock._mlp
    xla_settings = (False, True) if keras.backend.backend() == "tensorflow" else (True,)
    rng = np.random.default_rng(0)
    print(
        f"backend {keras.backend.backend()}, batch {args.batch}, {args.rounds} calls per form, "
        f"load {os.getloadavg()[0]:.1f}"
    )
    for name in ["tiny"] if args.tiny else args.models:
        if args.tiny:
            model = keras_vit.ViT(
                image_size=32, patch_size=8, hidden_size=32, depth=2, num_heads=2, mlp_dim=64, include_top=False
            )
        else:
            model = keras_vit.ViT(image_size=224, include_top=False, **decode_variant(name))
        size = model.input_shape[1]
        images = rng.uniform(-1, 1, (args.batch, size, size, 3)).astype("float32")
        for xla in xla_settings:
            forms = {}
            for form, mlp in (("2-D (folded)", _mlp_folded), ("3-D", shipped)):
                TransformerBlock._mlp = mlp
                try:
                    call = _compiled(model, xla)
                    out = np.asarray(call(images))  # traces with this form, compiles, warms up
                finally:
                    TransformerBlock._mlp = shipped
                forms[form] = dict(call=call, out=out)
            calls = {form: (lambda call=f["call"], x=images: call(x)) for form, f in forms.items()}
            times = interleaved_seconds(calls, args.rounds, sync=np.asarray)
            (a, fa), (b, fb) = forms.items()
            diff = float(np.max(np.abs(fa["out"] - fb["out"])))
            ma, mb = statistics.median(times[a]), statistics.median(times[b])
            label = "xla" if xla else ("graph" if keras.backend.backend() == "tensorflow" else "jit")
            print(
                f"{name:6s} {label:5s} {a}: {args.batch / ma:7.2f} img/s (median {ma * 1e3:.0f} ms)  "
                f"{b}: {args.batch / mb:7.2f} img/s (median {mb * 1e3:.0f} ms)  "
                f"folded/3-D speed {mb / ma:.3f}  max |diff| {diff:.1e}  load {os.getloadavg()[0]:.1f}"
            )


if __name__ == "__main__":
    main()
