"""Benchmark keras_vit against timm, keras-hub and vit-keras on this machine, side by side in one run.

Every configuration (implementation × backend × XLA/compile) runs in its own process; repetitions are
interleaved across configurations in a shuffled order; results are medians with IQR and min–max,
ratios to keras_vit's best, FLOP/s against a GEMM measured in the same run, peak RSS, and the max
logit difference to keras_vit on one shared random checkpoint. Peers come from `pip install -e .[bench]`;
a missing one is skipped with the reason. Writes bench.{md,csv,json,png} under --out.

    keras-vit bench --quick          # one tiny configuration, one call (seconds)
    keras-vit bench                  # the CPU suite (~15 min on 2 cores)
    keras-vit bench --deploy         # keras_vit's exports (OpenVINO, ONNX, LiteRT, SavedModel) and TensorFlow
                                     # paths vs timm, timm -> ONNX Runtime, timm -> OpenVINO; float32/bf16/int8
    keras-vit bench --deploy --quick # the same rows on the tiny model, one call each
    keras-vit bench --models B/16 --batches 32 --no-train --only keras_vit timm
"""

HELP = (
    "benchmark inference/training images/s against timm, keras-hub, vit-keras, ONNX Runtime, OpenVINO (CSV, JSON, PNG)"
)


def add_arguments(parser):
    parser.add_argument("--quick", action="store_true", help="one tiny configuration, one call (a smoke run)")
    parser.add_argument(
        "--deploy",
        action="store_true",
        help="the deployment suite: keras_vit per export format and precision vs timm, ONNX Runtime, OpenVINO "
        "(default models S/16 B/16, batches 1 8)",
    )
    parser.add_argument("--out", default=None, help="output folder (default runs/bench/<date-time>)")
    parser.add_argument("--models", nargs="+", default=None, help="inference variants (default Ti/16 S/16 B/16)")
    parser.add_argument("--batches", nargs="+", type=int, default=None, help="inference batch sizes (default 1 32)")
    parser.add_argument("--train-models", nargs="*", default=["Ti/16", "S/16"], help="training variants")
    parser.add_argument("--train-dtypes", nargs="*", default=["float32", "bfloat16"], help="training precisions")
    parser.add_argument("--no-train", action="store_true", help="skip the training phases")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved inference rounds (default %(default)s)")
    parser.add_argument("--train-rounds", type=int, default=2, help="interleaved training rounds (default %(default)s)")
    parser.add_argument(
        "--all",
        action="store_true",
        help="also keras-hub on JAX, keras_vit training on JAX, and the Keras peers on every model",
    )
    parser.add_argument("--only", nargs="*", default=None, help="keep configurations whose name contains a word")
    parser.add_argument("--gemm-n", type=int, default=4096, help="GEMM side for the peak rate (default %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="weights, inputs and measurement order")


def run(args):
    import datetime
    import os

    from keras_vit.bench import plans, report
    from keras_vit.bench.harness import Suite

    if args.rounds < 1 or args.train_rounds < 1:
        raise ValueError(
            f"`--rounds` and `--train-rounds` must be at least 1. Received: rounds={args.rounds}, "
            f"train_rounds={args.train_rounds}"
        )
    if args.quick:
        plan = plans.deploy_quick_plan() if args.deploy else plans.quick_plan()
    elif args.deploy:
        plan = plans.deploy_plan(
            models=args.models or plans.DEPLOY_MODELS,
            batches=args.batches or plans.DEPLOY_BATCHES,
            rounds=args.rounds,
            gemm_n=args.gemm_n,
            only=args.only,
            seed=args.seed,
        )
    else:
        plan = plans.full_plan(
            models=args.models or ("Ti/16", "S/16", "B/16"),
            batches=args.batches or (1, 32),
            train_models=[] if args.no_train else args.train_models,
            train_dtypes=args.train_dtypes,
            rounds=args.rounds,
            train_rounds=args.train_rounds,
            all_configs=args.all,
            gemm_n=args.gemm_n,
            only=args.only,
            seed=args.seed,
        )
    out = args.out or os.path.join("runs", "bench", datetime.datetime.now().strftime("%Y%m%d-%H%M%S"))
    results = Suite(plan, out).run()
    paths = report.write_all(results, out)
    print()
    print(report.table(results))
    print("Wrote " + ", ".join(paths.values()))
    return 0
