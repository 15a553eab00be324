"""Training throughput (images/s) of a recipe's model with and without XLA, and in float32 and bfloat16.

Every measurement goes through `keras_vit.training.train` (the real input pipeline, augmentation and
optimizer): epoch 1 compiles and warms up, epoch 2 is timed. Wall-clock and process CPU time are both
reported, because on a shared machine wall time depends on the other jobs (the load average is printed).

    python examples/train_throughput.py                   # the default recipe's model, 4 settings
    python examples/train_throughput.py --steps 60 --batch-size 256
    KERAS_BACKEND=jax python examples/train_throughput.py
    python examples/train_throughput.py --quick           # tiny model, a few steps
"""

import argparse
import os
import sys
import tempfile
import time


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipe", default="fmnist")
    parser.add_argument("--model", default=None, help="default: the recipe's")
    parser.add_argument("--batch-size", type=int, default=None, help="default: the recipe's")
    parser.add_argument("--steps", type=int, default=40, help="timed steps (default: %(default)s)")
    parser.add_argument("--settings", default="xla-fp32,noxla-fp32,xla-bf16,noxla-bf16")
    parser.add_argument("--quick", action="store_true", help="tiny model, 5 steps")
    args = parser.parse_args(argv)

    import keras

    from keras_vit.data import load as load_data
    from keras_vit.training import get_recipe, train

    recipe = get_recipe(args.recipe)
    overrides = dict(fewshot_shots=(), val_size=0, save_saved_model=False, verbose=0, epochs=2)
    if args.model or args.quick:
        overrides["model"] = "vit_tiny" if args.quick else args.model
    if args.batch_size:
        overrides["batch_size"] = args.batch_size
    steps = 5 if args.quick else args.steps
    batch_size = overrides.get("batch_size", recipe.batch_size)
    data = load_data(recipe.dataset, recipe.data_dir)
    data = data.head(test=batch_size)  # the final evaluation is not what is measured

    class Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.wall, self.cpu = time.perf_counter(), time.process_time()

        def on_epoch_end(self, epoch, logs=None):
            self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu

    print(f"backend {keras.backend.backend()}, recipe {args.recipe}, batch {batch_size}, {steps} timed steps")
    print(f"{'setting':12s} {'images/s':>9s} {'images/CPU-s':>12s} {'load':>5s}")
    rows = []
    for setting in args.settings.split(","):
        xla, precision = setting.split("-")
        timer = Timer()
        with tempfile.TemporaryDirectory() as out:
            train(
                recipe,
                data=data,
                out=out,
                steps_per_epoch=steps,
                jit_compile=xla == "xla",
                mixed_precision="bfloat16" if precision == "bf16" else None,
                callbacks=[timer],
                **overrides,
            )
        images = steps * batch_size
        rows.append((setting, images / timer.wall, images / timer.cpu, os.getloadavg()[0]))
        print(f"{rows[-1][0]:12s} {rows[-1][1]:9.0f} {rows[-1][2]:12.0f} {rows[-1][3]:5.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
