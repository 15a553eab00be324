"""DeiT's distillation through attention (Touvron et al. 2021, arXiv 2012.12877, §4): a distilled DeiT learns from a
frozen teacher through its distillation token.

The student has two heads: `head` on the class token learns the labels, `head_dist` on the distillation token learns
the teacher's output; at inference the model's output is the mean of the two (`keras_vit/models/deit.py`). The
training loss is facebookresearch/deit's `DistillationLoss` (losses.py):

    loss = (1 − α) · CE(head, y) + α · distill
    hard: distill = CE(head_dist, argmax teacher(x))
    soft: distill = τ² · KL(softmax(teacher(x) / τ) ‖ softmax(head_dist / τ)) / C

with `y` the (label-smoothed, mixed) labels, C the number of classes and the teacher seeing the same augmented
images. Where the paper and the code differ, the code is followed: α is an argument for hard distillation too
(the paper's hard loss fixes it at 1/2, the code's `--distillation-alpha` defaults to 0.5), τ defaults to 1 (the
paper's soft experiments use τ = 3, λ = 0.1) and the soft term is divided by C as well as by the batch size (see
`DistillationLoss.call`).

`Distiller(student, teacher, ...)` is a `keras.Model`: `fit` trains the student with this loss (its own
`compute_loss`, Keras' own `train_step`), so strategies, XLA and mixed precision work as for any model;
`evaluate` and `predict` are the student's. `distiller.save(path)` writes the student alone, loadable without the
teacher (as `ModelCheckpoint` and `keras_vit.training.train` save it). `keras-vit train --teacher T.keras
--distillation hard|soft` runs it (`with_teacher`).
"""

import os

import keras
from keras import ops

DISTILLATIONS = ("hard", "soft")
TEACHER_OUTPUTS = ("auto", "logits", "probabilities")
# The student layers whose logits the loss reads (keras_vit/models/deit.py:distilled_head).
HEADS = ("head", "head_dist")
# log(p) of a teacher that gives probabilities, clipped here: the smallest normal float32, so that a class the
# teacher rules out stays ruled out at every temperature (keras' epsilon 1e-7 would give it weight at τ > 1).
_TINY = 1.1754944e-38


def _check_arguments(distillation, alpha, tau, label_smoothing):
    if distillation not in DISTILLATIONS:
        raise ValueError(f"`distillation` must be one of {DISTILLATIONS}. Received: distillation={distillation!r}")
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"`alpha` (the distillation term's weight) must be in [0, 1]. Received: alpha={alpha}")
    if not tau > 0.0:
        raise ValueError(f"`tau` (the soft distillation's temperature) must be positive. Received: tau={tau}")
    if not 0.0 <= label_smoothing < 1.0:
        raise ValueError(f"`label_smoothing` must be in [0, 1). Received: label_smoothing={label_smoothing}")


@keras.saving.register_keras_serializable(package="keras_vit")
class DistillationLoss(keras.losses.Loss):
    """DeiT's training loss (facebookresearch/deit `losses.DistillationLoss`), one value per image.

    `y_true` is `(labels, teacher_logits)`, `y_pred` `(head_logits, head_dist_logits)`; labels are one-hot (or
    mixed) rows, the logits `(batch, classes)`. Keras' reduction (mean over the batch, sample weights) and its
    scaling across `tf.distribute` replicas apply as for any `keras.losses.Loss`.

    Args:
        distillation: "hard" (cross-entropy to the teacher's argmax) or "soft" (KL divergence at temperature `tau`).
        alpha: the distillation term's weight (DeiT's `--distillation-alpha`, default 0.5).
        tau: the soft distillation's temperature (DeiT's `--distillation-tau`, default 1.0).
        label_smoothing: smoothing of the labels of the class head's cross-entropy (DeiT's `--smoothing`); the
            teacher's hard labels are not smoothed (as in DeiT's code).
    """

    def __init__(
        self, distillation="hard", alpha=0.5, tau=1.0, label_smoothing=0.0, name="distillation_loss", **kwargs
    ):
        super().__init__(name=name, **kwargs)
        _check_arguments(distillation, alpha, tau, label_smoothing)
        self.distillation = distillation
        self.alpha = float(alpha)
        self.tau = float(tau)
        self.label_smoothing = float(label_smoothing)

    def call(self, y_true, y_pred):
        labels, teacher = y_true
        logits, dist_logits = y_pred
        classes = logits.shape[-1]
        # timm's LabelSmoothingCrossEntropy (and, with MixUp, its smoothed mixed targets) is the cross-entropy to
        # (1 − ε) · y + ε / C.
        targets = labels * (1.0 - self.label_smoothing) + self.label_smoothing / classes
        base = -ops.sum(targets * ops.log_softmax(logits, axis=-1), axis=-1)
        if self.distillation == "hard":
            teacher_labels = ops.one_hot(ops.argmax(teacher, axis=-1), classes, dtype=dist_logits.dtype)
            distill = -ops.sum(teacher_labels * ops.log_softmax(dist_logits, axis=-1), axis=-1)
        else:
            log_teacher = ops.log_softmax(teacher / self.tau, axis=-1)
            log_student = ops.log_softmax(dist_logits / self.tau, axis=-1)
            kl = ops.sum(ops.exp(log_teacher) * (log_teacher - log_student), axis=-1)
            # DeiT's code sums the KL terms and divides by `outputs_kd.numel()` (batch × classes, "the legacy
            # PyTorch behavior", deit issue 61); the paper's KL is per image. Keras' mean over the batch does the
            # rest.
            distill = kl * (self.tau * self.tau) / classes
        return (1.0 - self.alpha) * base + self.alpha * distill

    def get_config(self):
        return dict(
            super().get_config(),
            distillation=self.distillation,
            alpha=self.alpha,
            tau=self.tau,
            label_smoothing=self.label_smoothing,
        )


def gives_probabilities(model):
    """Whether a classifier's output is a softmax (its last layer is `Softmax` or has the softmax activation)."""
    layer = model.layers[-1] if getattr(model, "layers", None) else None
    if isinstance(layer, keras.layers.Softmax):
        return True
    return getattr(getattr(layer, "activation", None), "__name__", None) == "softmax"


@keras.saving.register_keras_serializable(package="keras_vit")
class Distiller(keras.Model):
    """A distilled DeiT `student` trained to match a frozen `teacher` (DeiT's hard or soft distillation).

    Training (`fit`): the loss is `DistillationLoss` on the student's two heads (`head`, `head_dist`) and the
    teacher's output on the same images; the teacher is not trainable and runs in inference mode; metrics read
    the student's output (the mean of its heads). Evaluation and `predict`: the student alone, with the compiled
    loss. The student's layers are the Distiller's by name (`get_layer`, `inputs`), so what reads a trained model's
    layers (few-shot evaluation of `pre_logits`) reads the student.

    Args:
        student: a functional model with layers `head` and `head_dist` (a distilled DeiT: `build_deit(distilled=True,
            ...)`, `keras_vit.DeiTTi16Distilled(...)`).
        teacher: any Keras classifier of the same images: one `(batch, classes)` output, logits or probabilities.
        distillation: "hard" or "soft".
        alpha: the distillation term's weight (DeiT: 0.5).
        tau: the soft distillation's temperature (DeiT: 1.0).
        label_smoothing: smoothing of the class head's labels (DeiT: 0.1).
        teacher_outputs: "logits", "probabilities" (their log is used: the same softmax at every τ) or "auto" (from
            the teacher's last layer).

    Example:
        >>> distiller = Distiller(student, keras.saving.load_model("teacher.keras"), "soft", tau=3.0)
        >>> distiller.compile(optimizer="adamw", loss="categorical_crossentropy", metrics=["accuracy"])
        >>> distiller.fit(images, one_hot_labels)
        >>> distiller.save("student.keras")  # the student only

    Reference: Touvron et al., "Training data-efficient image transformers & distillation through attention",
    arXiv 2012.12877; facebookresearch/deit `losses.py`.
    """

    def __init__(
        self,
        student,
        teacher,
        distillation="hard",
        alpha=0.5,
        tau=1.0,
        label_smoothing=0.0,
        teacher_outputs="auto",
        name="distiller",
        **kwargs,
    ):
        super().__init__(name=name, **kwargs)
        missing = [head for head in HEADS if head not in {layer.name for layer in getattr(student, "layers", ())}]
        if missing:
            raise ValueError(
                "The student of a distillation needs a class head and a distillation head: a distilled DeiT "
                "(deit_ti16_distilled, build_deit(distilled=True, ...)). "
                f"Received: student={student.name!r} without layers {missing}"
            )
        if teacher_outputs not in TEACHER_OUTPUTS:
            raise ValueError(
                f"`teacher_outputs` must be one of {TEACHER_OUTPUTS}. Received: teacher_outputs={teacher_outputs!r}"
            )
        self.distillation_loss = DistillationLoss(distillation, alpha, tau, label_smoothing)
        self.student = student
        self.teacher = teacher
        self.teacher.trainable = False
        self.teacher_outputs = teacher_outputs
        self._teacher_gives_probabilities = (
            gives_probabilities(teacher) if teacher_outputs == "auto" else teacher_outputs == "probabilities"
        )
        # One forward pass gives the student's output and both heads' logits; it shares the student's layers.
        heads = [student.get_layer(head).output for head in HEADS]
        self._training_outputs = keras.Model(student.input, [student.output, *heads], name=f"{student.name}_heads")
        self.built = True  # the student and the teacher come built (BackupAndRestore needs a built model)

    @property
    def distillation(self):
        return self.distillation_loss.distillation

    @property
    def alpha(self):
        return self.distillation_loss.alpha

    @property
    def tau(self):
        return self.distillation_loss.tau

    @property
    def label_smoothing(self):
        return self.distillation_loss.label_smoothing

    @property
    def inputs(self):
        return self.student.inputs

    def get_layer(self, name=None, index=None):
        return self.student.get_layer(name, index)

    def call(self, inputs, training=None):
        if training:
            return tuple(self._training_outputs(inputs, training=True))
        return self.student(inputs, training=training)

    def teacher_logits(self, images):
        """The teacher's logits of `images` (float32, no gradient): the log of its probabilities if it gives them."""
        outputs = ops.cast(self.teacher(images, training=False), "float32")
        if self._teacher_gives_probabilities:
            outputs = ops.log(ops.maximum(outputs, _TINY))
        return ops.stop_gradient(outputs)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        if not isinstance(y_pred, tuple):  # evaluation: the student's output and the compiled loss
            return super().compute_loss(x, y, y_pred, sample_weight, training)
        _, logits, dist_logits = y_pred
        loss = self.distillation_loss((y, self.teacher_logits(x)), (logits, dist_logits), sample_weight)
        # The student's own losses (regularizers, add_loss); never the teacher's.
        for extra in self.student.losses:
            loss = loss + ops.cast(ops.sum(extra), loss.dtype)
        return loss

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        if isinstance(y_pred, tuple):  # training: the student's output, the mean of its heads
            y_pred = y_pred[0]
        return super().compute_metrics(x, y, y_pred, sample_weight)

    def save(self, filepath, *args, **kwargs):
        """Saves the student alone (loadable without the teacher): the model a distillation trains."""
        return self.student.save(filepath, *args, **kwargs)

    def get_config(self):
        return dict(
            name=self.name,
            student=keras.saving.serialize_keras_object(self.student),
            teacher=keras.saving.serialize_keras_object(self.teacher),
            distillation=self.distillation,
            alpha=self.alpha,
            tau=self.tau,
            label_smoothing=self.label_smoothing,
            teacher_outputs=self.teacher_outputs,
        )

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("student", "teacher"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)


def load_teacher(path, num_classes, input_shape):
    """The teacher saved at `path` (a `.keras` classifier), checked against the dataset's `num_classes` and the
    student's `input_shape` (`(height, width, channels)`); each problem is one `ValueError` naming the fix."""
    if not str(path).endswith(".keras") or not os.path.isfile(path):
        what = "does not exist" if not os.path.exists(path) else "is not a .keras file"
        raise ValueError(
            f"The teacher file {what}; pass a Keras classifier saved with model.save('teacher.keras'). "
            f"Received: teacher={path!r}"
        )
    try:
        teacher = keras.saving.load_model(path, compile=False)
    except Exception as error:  # an unreadable file or an unknown custom layer: say which
        raise ValueError(
            f"The teacher could not be loaded ({type(error).__name__}: {str(error).splitlines()[0][:200]}); save it "
            f"with model.save('teacher.keras'), its custom layers registered. Received: teacher={path!r}"
        ) from error
    outputs, inputs = getattr(teacher, "outputs", None) or [], getattr(teacher, "inputs", None) or []
    if len(outputs) != 1 or len(outputs[0].shape) != 2 or len(inputs) != 1:
        raise ValueError(
            "The teacher must be a classifier: one image input and one (batch, classes) output. "
            f"Received: teacher={path!r} with inputs {[tuple(t.shape) for t in inputs]}, "
            f"outputs {[tuple(t.shape) for t in outputs]}"
        )
    if outputs[0].shape[-1] != num_classes:
        raise ValueError(
            f"The teacher predicts {outputs[0].shape[-1]} classes but the dataset has {num_classes}; train (or "
            f"fine-tune) a teacher on this dataset. Received: teacher={path!r}"
        )
    teacher_shape = tuple(inputs[0].shape[1:])
    if len(teacher_shape) != len(input_shape) or any(
        t is not None and s is not None and t != s for t, s in zip(teacher_shape, input_shape)
    ):
        raise ValueError(
            f"The teacher takes images of shape {teacher_shape} but the student is trained on {tuple(input_shape)}; "
            "it sees the student's images, so save a teacher for that size (or build it with a None height and "
            f"width), or pass the teacher's size as --image-size. Received: teacher={path!r}"
        )
    return teacher


def with_teacher(model, config, num_classes):
    """What `fit` trains: `model` itself, or, when `config.teacher` names a teacher, its `Distiller`.

    Call it in the distribution strategy's scope (the teacher's variables are created there)."""
    if not config.teacher:
        return model
    if config.fewshot_shots and "pre_logits" not in {layer.name for layer in model.layers}:
        # Said before training, not after it: the few-shot probe reads `pre_logits`.
        raise ValueError(
            "Few-shot evaluation reads a pre_logits layer, which this distilled student does not have; add "
            f"--fewshot-shots none (fewshot_shots=()). Received: model={config.model!r}, "
            f"fewshot_shots={config.fewshot_shots}"
        )
    teacher = load_teacher(config.teacher, num_classes, tuple(model.input_shape[1:]))
    distiller = Distiller(
        model,
        teacher,
        config.distillation,
        alpha=config.distillation_alpha,
        tau=config.distillation_tau,
        label_smoothing=config.label_smoothing,
    )
    print(
        f"Distillation: {config.distillation}, alpha {distiller.alpha}, tau {distiller.tau}, from teacher "
        f"{teacher.name} ({teacher.count_params():,} parameters, "
        f"{'probabilities' if distiller._teacher_gives_probabilities else 'logits'}; frozen)"
    )
    return distiller
