"""`pretrain_mpp`: masked patch prediction on a dataset's images (the `keras-vit pretrain-mpp` command)."""

import dataclasses
import os
import time

import keras

from keras_vit.fewshot import fewshot_evaluate
from keras_vit.pretraining.model import masked_patch_predictor
from keras_vit.training import atomic, recipes, run
from keras_vit.training.model_source import build_model
from keras_vit.training.strategy import get_strategy

# Masked patch prediction on Fashion-MNIST's training images (labels unused): the plain ViT `vit_fmnist`
# (49 patches of 4×4 px), AdamW with the paper's β, cosine decay. The paper: JFT, batch 4096, lr 2e-4, 1M steps.
MPP_FMNIST = dataclasses.replace(
    recipes.get_recipe("fmnist"),
    model="vit_fmnist",
    epochs=10,
    time_budget_min=None,
    lr=1e-3,
    warmup=0.05,
    label_smoothing=0.0,
    augment=("flip",),
    save_saved_model=False,
)


@dataclasses.dataclass
class PretrainResult:
    """What `pretrain_mpp` measured and wrote."""

    run_dir: str
    val_loss: float | None
    val_patch_accuracy: float | None
    fewshot: dict
    history: dict
    train_time_s: float
    paths: dict
    encoder: object = dataclasses.field(repr=False, default=None)


def pretrain_mpp(config=None, *, bits=3, corrupt_rate=0.5, mask_rate=0.8, random_rate=0.1, data=None, **overrides):
    """Pre-trains a plain ViT by masked patch prediction and saves its encoder.

    Args:
        config: a `TrainConfig` (default `MPP_FMNIST`); its model, data, optimisation, few-shot and output
            fields are used (labels only by the few-shot probe; augmentations other than crops and flips and the
            time budget are not). `config.strategy` distributes it as `train` does. Under `tf.distribute`
            the replicas draw the same corruption positions for their shares of a batch (as Keras's dropout
            draws the same masks); under JAX's `DataParallel` every image draws its own.
        bits, corrupt_rate, mask_rate, random_rate: as `masked_patch_predictor`.
        data: optional `keras_vit.data.Data` instead of loading `config.dataset`.
        **overrides: `TrainConfig` fields replacing the config's.

    After pre-training, the frozen encoder's features (the classifier's `pre_logits`: its class token, or the
    mean of its tokens) are probed by few-shot linear evaluation (`config.fewshot_shots`, paper §4.1).

    Returns:
        `PretrainResult`. Under `config.out/config.name`: `encoder.keras` (the ViT without its head: start a
        classifier from it with `keras-vit train --init-from`), `mpp.keras` (the whole pre-training model),
        `log.csv` and `results.json`.
    """
    from keras_vit.data.pipeline import images_only, make_dataset

    config = dataclasses.replace(config or MPP_FMNIST, **overrides)
    if config.time_budget_min:
        raise ValueError(
            "Pre-training runs a fixed number of epochs; set epochs instead. "
            f"Received: time_budget_min={config.time_budget_min}"
        )
    with run.run_settings(config):
        distribution = get_strategy(config.strategy, tpu=config.tpu)
        data = run.load_data(config) if data is None else data
        steps = run.steps_per_epoch_for(config, data)
        jit_compile = distribution.resolve_jit(config.jit_compile)
        with distribution.scope():
            classifier = build_model(config, data.num_classes)  # `init_from` continues from a saved encoder
            encoder = keras.Model(classifier.input, classifier.get_layer("encoder_norm").output, name=config.model)
            model = masked_patch_predictor(
                encoder, bits, corrupt_rate, mask_rate, random_rate, seed=config.seed, name=f"mpp_{config.model}"
            )
            optimizer, _ = recipes.make_optimizer(config, config.epochs * steps)
            model.compile(optimizer=optimizer, jit_compile=jit_compile)
            run.build_optimizer(model)

        image_size = tuple(encoder.input_shape[1:3])
        common = dict(image_size=image_size, num_classes=data.num_classes, batch_size=config.batch_size)
        augment = tuple(a for a in config.augment if a in ("crop", "flip"))
        train_ds = images_only(make_dataset(data.train, training=True, augment=augment, seed=config.seed, **common))
        val_ds = images_only(make_dataset(data.val, **common)) if data.val is not None else None

        run_dir = run.worker_run_dir(os.path.join(config.out, config.name or f"mpp_{config.model}"), distribution)
        paths = dict(
            run_dir=run_dir,
            encoder=os.path.join(run_dir, "encoder.keras"),
            mpp=os.path.join(run_dir, "mpp.keras"),
            csv=os.path.join(run_dir, "log.csv"),
            results=os.path.join(run_dir, "results.json"),
        )
        print(
            f"Masked patch prediction: {encoder.name}, {encoder.count_params():,} encoder parameters, "
            f"{config.epochs} epochs × {steps} steps of {config.batch_size}; strategy {distribution.name}, "
            f"jit_compile={jit_compile}; data {data.description}",
            flush=True,
        )
        fit_start = time.time()
        history = model.fit(
            train_ds,
            epochs=config.epochs,
            steps_per_epoch=steps,
            validation_data=val_ds,
            callbacks=[keras.callbacks.CSVLogger(paths["csv"])],
            shuffle=False,  # the dataset shuffles itself
            verbose=config.verbose,
        )
        train_time = time.time() - fit_start
        atomic.save_model(encoder, paths["encoder"])
        atomic.save_model(model, paths["mpp"])
        fewshot = {}
        if config.fewshot_shots:
            # `classifier` shares the trained encoder's layers; its `pre_logits` are the encoder's features.
            fewshot_train, fewshot_test, fewshot_kwargs = run.fewshot_setup(config, data, common)
            fewshot = fewshot_evaluate(classifier, fewshot_train, fewshot_test, **fewshot_kwargs)
        history = run.history_record(history)
        val_loss = history["val_loss"][-1] if "val_loss" in history else None
        val_accuracy = history["val_patch_accuracy"][-1] if "val_patch_accuracy" in history else None
        results = dict(
            **run.run_record(config),
            mpp=dict(bits=bits, corrupt_rate=corrupt_rate, mask_rate=mask_rate, random_rate=random_rate),
            backend=keras.backend.backend(),
            val_loss=val_loss,
            val_patch_accuracy=val_accuracy,
            fewshot={f"{k}shot": v for k, v in fewshot.items()},
            train_time_s=round(train_time, 1),
            history=history,
        )
        run.write_results(paths["results"], results)
        if val_accuracy is not None:
            print(f"\nValidation: loss {val_loss:.4f}, patch accuracy {val_accuracy:.4f} (corrupted patches)")
        if fewshot:
            print(
                "Few-shot linear accuracy of the encoder: " + ", ".join(f"{k}-shot {v:.4f}" for k, v in fewshot.items())
            )
        print(f"Encoder: {paths['encoder']}  (fine-tune: keras-vit train --model {config.model} --init-from it)")
        return PretrainResult(run_dir, val_loss, val_accuracy, fewshot, history, train_time, paths, encoder)
